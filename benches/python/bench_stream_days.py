"""Streaming cell for ``retention`` and ``clv.summary``: the same rows given as one
in-memory table or as a stream of record batches (made by a generator, batch by
batch), each run in a fresh process that reports its peak resident size (VmHWM)
above the interpreter's size after imports and its one-thread CPU time
(``time.process_time``, run with ``RAYON_NUM_THREADS=1``). Both include making the
rows; the table run holds all of them (its three used columns: 24 bytes a row), the
stream run one batch and the day states (about 120 bytes per customer-day, or
customer-period once collapsed). Streams are timed twice: as ``ciblage`` reads
them by default (``stream``: gathered into one table under 1 GiB of used columns,
``ciblage._stream_days.GATHER_BYTES``) and read into day states from the first
batch (``states``: the path of streams past that budget).

Customers buy on ``--days-per-customer`` days of 200, several rows a day; their ids
are integers or, with ``--ids str``, strings.

    .venv/bin/python benches/python/bench_stream_days.py --rows 4M --customers 20000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

RUN = r"""
import json, sys, time
import numpy as np, pyarrow as pa
import ciblage

def hwm():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))

rows, customers, per, mode, what = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
string_ids = sys.argv[6] == "str"
BATCH = 100_000
START = np.datetime64("2024-01-01", "us")

def batches():
    for i in range(0, rows, BATCH):
        n = min(BATCH, rows - i)
        rng = np.random.default_rng(i)
        ids = rng.integers(0, customers, n)
        day = (ids * 37 + rng.integers(0, per, n) * 41) % 200
        ts = START + (day * 86_400 + rng.integers(0, 86_400, n)) * 1_000_000
        amount = np.round(rng.lognormal(3.0, 1.0, n), 2)
        amount[::50] *= -1
        customer = pa.array(ids).cast(pa.string()) if string_ids else ids
        yield pa.record_batch({"customer_id": customer, "timestamp": ts.astype("datetime64[us]"), "amount": amount})

calls = {
    "retention": lambda d: ciblage.retention(d, period="month"),
    "clv": lambda d: ciblage.clv.summary(d),
    "clv_W": lambda d: ciblage.clv.summary(d, freq="W"),
}
if mode == "states":
    from ciblage import _stream_days
    _stream_days.GATHER_BYTES = 0
calls[what](pa.Table.from_batches([next(batches())]))
base = hwm()
start = time.process_time()
data = pa.Table.from_batches(list(batches())) if mode == "table" else batches()
calls[what](data)
print(json.dumps({"cpu": time.process_time() - start, "peak_kib": hwm() - base}))
"""


def parse_rows(text: str) -> int:
    text = text.strip().upper()
    scale = {"K": 1_000, "M": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("KM")) * scale)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default="4M")
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--days-per-customer", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--ids", choices=("int", "str"), default="int", help="customer ids as integers or strings")
    parser.add_argument("--calls", default="retention,clv,clv_W", help="calls to time, comma-separated")
    args = parser.parse_args()
    rows = parse_rows(args.rows)
    env = {**os.environ, "RAYON_NUM_THREADS": "1"}
    print(f"{rows:,} rows, {args.customers:,} customers on {args.days_per_customer} days each, {args.ids} ids")
    print("| call | input | CPU s (1 thread) | peak MiB |")
    print("|---|---|---:|---:|")
    for what in args.calls.split(","):
        for _ in range(args.repeat):
            for mode in ("table", "stream", "states"):
                argv = [str(rows), str(args.customers), str(args.days_per_customer), mode, what, args.ids]
                out = subprocess.run([sys.executable, "-c", RUN, *argv], capture_output=True, text=True, env=env)
                if out.returncode:
                    raise SystemExit(out.stderr)
                r = json.loads(out.stdout.strip().splitlines()[-1])
                print(f"| {what} | {mode} | {r['cpu']:.2f} | {r['peak_kib'] / 1024:.0f} |")


if __name__ == "__main__":
    main()
