"""The working memory of ``retention`` and ``clv.summary`` on a stream
follows the distinct customer-days (customer-periods), not the rows
(issue 23): the peak resident memory of a call on a stream of 4,000,000
rows (20,000 customers, 200 rows each on 5 days of 200), made batch by
batch by a generator, is compared with the bytes of the rows' used
columns, which a call that gathers the batches into one table holds.

As in ``tests/test_clv_summary_memory.py``: a fresh child process resets
its high-water mark (``/proc/self/clear_refs``) and reads ``VmHWM`` after
the call, with a fixed malloc mmap threshold."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

_CHILD = r"""
import gc, json, sys
import numpy as np, pandas as pd, pyarrow as pa
import ciblage

def status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1]) * 1024
    raise RuntimeError(key)

CUSTOMERS, BATCHES, BATCH_ROWS = 20_000, 40, 100_000
START = np.datetime64("2024-01-01", "us")

def batches():
    # Customer c buys on days (37c + 41k) mod 200, k = 0..4, at any hour.
    for i in range(BATCHES):
        rng = np.random.default_rng(i)
        ids = rng.integers(0, CUSTOMERS, BATCH_ROWS)
        day = (ids * 37 + rng.integers(0, 5, BATCH_ROWS) * 41) % 200
        ts = START + (day * 86_400 + rng.integers(0, 86_400, BATCH_ROWS)) * 1_000_000
        amount = np.round(rng.lognormal(3.0, 1.0, BATCH_ROWS), 2)
        amount[::50] *= -1
        yield pa.record_batch({"customer_id": ids, "timestamp": ts.astype("datetime64[us]"), "amount": amount})

calls = {
    "retention": lambda data: ciblage.retention(data, period="month"),
    "retention_week": lambda data: ciblage.retention(data, period="week", as_of="2024-06-01"),
    "clv": lambda data: ciblage.clv.summary(data),
    "clv_month": lambda data: ciblage.clv.summary(data, freq="M", calibration_end="2024-04-30"),
}
out = {}
for name in sys.argv[1:]:
    # Threads, caches and the first use of each path.
    calls[name](list(batches())[:1])
    gc.collect()
    pa.default_memory_pool().release_unused()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    before = status("VmRSS:")
    calls[name](batches())
    out[name] = {"peak": status("VmHWM:") - before, "input": BATCHES * BATCH_ROWS * 24}
    gc.collect()
print(json.dumps(out))
"""


def _measure(calls: list[str]) -> dict:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pytest.skip("no /proc/self/clear_refs to reset the peak resident memory")
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, *calls],
        env={**os.environ, "MALLOC_MMAP_THRESHOLD_": "131072"},
        capture_output=True,
        text=True,
        timeout=600,
        cwd=Path(__file__).parent,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_stream_peak_memory_follows_the_customer_days() -> None:
    result = _measure(["retention", "retention_week", "clv", "clv_month"])
    for name, r in result.items():
        # The used columns of the 4,000,000 rows: 96 MB (3 x 8 bytes a
        # row), all held by a call that gathers the batches first. The
        # states hold 100,000 customer-days (fewer customer-periods), about
        # 120 bytes each.
        assert r["peak"] <= r["input"] // 3, (name, r)
