"""The speed grid: ciblage against pandas, polars and DuckDB at every size (issue 23).

Run from the repository root, after `make develop-release` and with DuckDB installed
(`make bench-grid` does both and runs the 1M/5M rows of the grid):
    .venv/bin/python benches/python/bench_grid.py [--rows 1M,5M,10M,50M] [--customers 1%,10%]
        [--ids int,str] [--tz naive,aware] [--inputs pandas,polars,pyarrow]
        [--functions rfm,customer_totals,value_tiers,retention,summary]
        [--peers pandas,polars,duckdb] [--repeat 3] [--quick] [--no-check] [--json PATH]
`--quick`: 1M rows, 1 % customers, int ids, naive timestamps, pandas input, 2 warm calls.
Output: a Markdown table on stdout (the slowest ratio of each peer in bold), progress on
stderr, JSON in benches/python/results/grid_<date>.json (or --json PATH).

What is measured, per data cell (rows x customers x ids x time zone):
  * Data: `ciblage.datasets.transactions(..., seed=42, return_rate=0)`, written to parquet once
    per cell by a process of its own; tz-aware cells carry the timestamps as
    timestamp[us, Europe/Paris] (local days and months differ from UTC's).
  * Every (tool, function, input) runs in a FRESH child process, the tools taking turns:
    the child loads the parquet into its input (pandas / polars / pyarrow, not timed), then
    times the first call and `--repeat` warm calls (best of them; "first/warm" divides the
    first call by their median, and the JSON holds each call's fresh pages, from the minor
    page faults, and system time: what the first call touches that later calls reuse);
    "work MiB" is the rise of
    the child's RSS high-water mark over its RSS once loaded (Linux: the mark is reset by
    writing 5 to /proc/self/clear_refs), i.e. the memory the work needs beyond the loaded data.
    ciblage runs from each input; pandas from pandas, polars from polars, DuckDB by SQL over
    the pyarrow table. A peer's ratio is its warm time over ciblage's from the same library
    (DuckDB: from pyarrow); > 1 means ciblage is faster.
  * Bandwidth: a child reads every buffer of the input columns once with numpy (best of 5);
    "x pass" is ciblage's warm time (pyarrow input) over that pass.
  * Checks (unless --no-check): on the first data cell of each kind (ids x time zone), every
    tool writes its result's canonical form (peers.digest) to parquet and the parent's
    checker process asserts they equal ciblage's (counts exactly, sums to 1e-9 relative).
The peers' idioms are in benches/python/peers.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_rfm import RESULTS, machine_info, native_build  # noqa: E402 - this folder is on sys.path from the line above

FUNCTIONS = ("rfm", "customer_totals", "value_tiers", "retention", "summary")
PEERS = ("pandas", "polars", "duckdb")
INPUTS = ("pandas", "polars", "pyarrow")
ZONE = "Europe/Paris"


def parse_size(text: str) -> int:
    t = text.strip().lower()
    for suffix, mult in (("k", 1_000), ("m", 1_000_000), ("g", 1_000_000_000)):
        if t.endswith(suffix):
            return int(float(t[:-1]) * mult)
    return int(t)


def _status_mib(key: str) -> float:
    line = next(ln for ln in Path("/proc/self/status").read_text().splitlines() if ln.startswith(key + ":"))
    return int(line.split()[1]) / 1024


def load(path: str, lib: str):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    if lib == "pyarrow":
        return table
    if lib == "pandas":
        out = table.to_pandas()
    else:
        import polars as pl

        out = pl.from_arrow(table)
    # The Arrow copy is dropped and its pages given back, so that the work's
    # memory is not hidden in pages the load freed.
    del table
    pa.default_memory_pool().release_unused()
    return out


# --------------------------------------------------------------------------- children
def child(spec: dict) -> None:
    """One tool, one function, one input, in a fresh process; prints one JSON line."""
    import peers

    tool, function, lib = spec["tool"], spec["function"], spec["input"]
    t0 = time.perf_counter()
    data = load(spec["path"], lib)
    load_s = time.perf_counter() - t0
    if tool == "ciblage":
        import ciblage  # imported before the clock: the import is not the call

        del ciblage
        call = lambda: peers.ciblage_call(function, data)  # noqa: E731
    elif tool == "duckdb":
        import duckdb

        con = duckdb.connect()
        con.execute(f"SET threads = {len(os.sched_getaffinity(0))}")
        call = lambda: peers.duckdb_call(function, data, con)  # noqa: E731
    elif tool == "pandas":
        call = lambda: peers.pandas_call(function, data)  # noqa: E731
    else:
        call = lambda: peers.polars_call(function, data)  # noqa: E731
    try:
        Path("/proc/self/clear_refs").write_text("5")
        start = _status_mib("VmRSS")
    except OSError:
        start = None
    times, faulted, system, out = [], [], [], None
    for _ in range(1 + spec["repeat"]):
        out = None
        before = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        out = call()
        times.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_SELF)
        faulted.append((after.ru_minflt - before.ru_minflt) * resource.getpagesize() / 2**20)
        system.append(after.ru_stime - before.ru_stime)
    work = None if start is None else max(0.0, _status_mib("VmHWM") - start)
    if spec.get("digest"):
        peers.digest(function, tool, out).to_parquet(spec["digest"])
    res = {
        "first": times[0],
        "warm": min(times[1:]),
        "warm_median": statistics.median(times[1:]),
        "times": times,
        "faulted_mib": faulted,
        "system_s": system,
        "load": load_s,
        "work_mib": work,
    }
    print(
        f"    {tool:8} {function:15} {lib:8} first {times[0]:.3f} warm {res['warm']:.3f} "
        f"(median {res['warm_median']:.3f}, first/warm {times[0] / res['warm_median']:.2f}, "
        f"first call faults {faulted[0]:,.0f} MiB of fresh pages, later {statistics.median(faulted[1:]):,.0f}) "
        f"work {work or 0:,.0f} MiB",
        file=sys.stderr,
        flush=True,
    )
    print(json.dumps(res))


def bandwidth(path: str) -> None:
    """One pass over every buffer of the input columns with numpy: best of 5 (s, bytes)."""
    import numpy as np
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    arrays = []
    for col in table.columns:
        for chunk in col.chunks:
            for buf in chunk.buffers():
                if buf is not None and buf.size >= 8:
                    arrays.append(np.frombuffer(buf, dtype=np.uint64, count=buf.size // 8))
    total = sum(a.nbytes for a in arrays)
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        for a in arrays:
            a.sum()
        best = min(best, time.perf_counter() - t0)
    print(json.dumps({"pass_s": best, "bytes": total, "gb_s": total / best / 1e9}))


def compare(paths: list[str]) -> None:
    """Asserts that every digest equals the first (ciblage's); prints what differs."""
    import numpy as np
    import pandas as pd

    ref = pd.read_parquet(paths[0])
    bad = []
    for p in paths[1:]:
        other = pd.read_parquet(p)
        if len(other) != len(ref) or list(other.columns) != list(ref.columns):
            bad.append(f"{Path(p).stem}: shape {other.shape} vs {ref.shape}")
            continue
        for c in ref.columns:
            a, b = ref[c].to_numpy(), other[c].to_numpy()
            if a.dtype.kind == "f" or b.dtype.kind == "f":
                ok = np.allclose(a.astype(float), b.astype(float), rtol=1e-9, atol=1e-6)
            else:
                ok = (a.astype(str) == b.astype(str)).all() if a.dtype.kind == "O" else (a == b).all()
            if not ok:
                diff = np.flatnonzero(a != b)[:3] if a.dtype.kind != "f" else np.flatnonzero(~np.isclose(a, b))[:3]
                bad.append(f"{Path(p).stem}: column {c} differs at rows {diff.tolist()}")
    print(json.dumps({"mismatches": bad, "rows": len(ref)}))


def run(args: list[str], env: dict) -> dict:
    p = subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE, env=env, text=True)
    stdout = p.stdout.read()
    _, status, usage = os.wait4(p.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"child {args[:2]} failed (exit {os.waitstatus_to_exitcode(status)})")
    res = json.loads(stdout.strip().splitlines()[-1])
    res["peak_rss_mib"] = usage.ru_maxrss / 1024
    return res


def generate(path: str, rows: int, customers: int, ids: str, tz: str) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    import ciblage

    table = ciblage.datasets.transactions(
        customers=customers, transactions=rows, seed=42, string_ids=ids == "str", return_rate=0.0
    )
    table = table.select(["customer_id", "timestamp", "amount"])
    if tz == "aware":
        i = table.schema.get_field_index("timestamp")
        ts = table.column(i).cast(pa.timestamp("us")).cast(pa.timestamp("us", tz=ZONE))
        table = table.set_column(i, "timestamp", ts)
    pq.write_table(table, path)


# --------------------------------------------------------------------------- parent
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", default="1M,5M,10M,50M")
    ap.add_argument("--customers", default="1%,10%", help="shares of the rows (or counts)")
    ap.add_argument("--ids", default="int,str")
    ap.add_argument("--tz", default="naive,aware")
    ap.add_argument("--inputs", default=",".join(INPUTS))
    ap.add_argument("--functions", default=",".join(FUNCTIONS))
    ap.add_argument("--peers", default=",".join(PEERS))
    ap.add_argument("--repeat", type=int, default=3, help="warm calls per child, after the first")
    ap.add_argument("--quick", action="store_true", help="1M rows, 1 %%, int, naive, pandas input")
    ap.add_argument("--no-check", action="store_true")
    ap.add_argument("--json", default=None)
    ap.add_argument("--threads", type=int, default=None, help="POLARS_MAX_THREADS / RAYON_NUM_THREADS")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--bandwidth", help=argparse.SUPPRESS)
    ap.add_argument("--compare", nargs="+", help=argparse.SUPPRESS)
    ap.add_argument("--gen", nargs=5, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        return child(json.loads(a.child))
    if a.bandwidth:
        return bandwidth(a.bandwidth)
    if a.compare:
        return compare(a.compare)
    if a.gen:
        return generate(a.gen[0], int(a.gen[1]), int(a.gen[2]), a.gen[3], a.gen[4])
    if a.quick:
        a.rows, a.customers, a.ids, a.tz, a.inputs, a.repeat = "1M", "1%", "int", "naive", "pandas", 2

    def pick(text: str, allowed: tuple[str, ...], name: str) -> list[str]:
        got = [t.strip() for t in text.split(",") if t.strip()]
        if unknown := set(got) - set(allowed):
            ap.error(f"unknown {name} {sorted(unknown)}; choose from {','.join(allowed)}")
        return got

    functions = pick(a.functions, FUNCTIONS, "functions")
    peer_list = pick(a.peers, PEERS, "peers")
    inputs = pick(a.inputs, INPUTS, "inputs")
    id_kinds = pick(a.ids, ("int", "str"), "ids")
    zones = pick(a.tz, ("naive", "aware"), "tz")
    row_counts = [parse_size(r) for r in a.rows.split(",")]
    env = dict(os.environ)
    if a.threads:
        env.update(POLARS_MAX_THREADS=str(a.threads), RAYON_NUM_THREADS=str(a.threads))
    info = machine_info()
    build = native_build()
    info["ciblage_build"] = build[0]
    try:
        from importlib.metadata import version

        info["duckdb"] = version("duckdb")
    except Exception:  # noqa: BLE001 - reported, then left out
        info["duckdb"] = None
        if "duckdb" in peer_list:
            print("WARNING: duckdb is not installed (`make bench-grid` installs it); left out", file=sys.stderr)
            peer_list.remove("duckdb")
    if build[0] != "release":
        print("WARNING: ciblage's extension is a debug build; run `make develop-release`", file=sys.stderr)

    cells, checked = [], set()
    with tempfile.TemporaryDirectory(prefix="bench_grid_") as tmp:
        for rows in row_counts:
            for share in a.customers.split(","):
                share = share.strip()
                customers = max(1, round(rows * float(share[:-1]) / 100)) if share.endswith("%") else parse_size(share)
                for ids in id_kinds:
                    for tz in zones:
                        path = str(Path(tmp) / f"tx_{rows}_{customers}_{ids}_{tz}.parquet")
                        print(f"data: {rows:,} rows, {customers:,} customers, {ids} ids, {tz}", file=sys.stderr)
                        subprocess.run(
                            [sys.executable, __file__, "--gen", path, str(rows), str(customers), ids, tz],
                            check=True,
                            env=env,
                        )
                        bw = run(["--bandwidth", path], env)
                        check = not a.no_check and (ids, tz) not in checked
                        checked.add((ids, tz))
                        for function in functions:
                            runs = [("ciblage", lib) for lib in inputs]
                            runs += [(p, "pyarrow" if p == "duckdb" else p) for p in peer_list]
                            results, digests = {}, []
                            for tool, lib in runs:
                                spec = {
                                    "tool": tool,
                                    "function": function,
                                    "input": lib,
                                    "path": path,
                                    "repeat": a.repeat,
                                }
                                if check and (tool != "ciblage" or not digests):
                                    spec["digest"] = str(Path(tmp) / f"{function}_{tool}_{lib}.parquet")
                                    digests.append(spec["digest"])
                                results[(tool, lib)] = run(["--child", json.dumps(spec)], env)
                            mismatches = None
                            if len(digests) > 1:
                                compared = run(["--compare", *digests], env)
                                mismatches = compared["mismatches"]
                                print(
                                    f"  check {function}: {len(digests)} tools, {compared['rows']:,} rows",
                                    file=sys.stderr,
                                )
                                for m in mismatches:
                                    print(f"  MISMATCH {function}: {m}", file=sys.stderr)
                            cells.append(
                                {
                                    "rows": rows,
                                    "customers": customers,
                                    "ids": ids,
                                    "tz": tz,
                                    "function": function,
                                    "bandwidth": bw,
                                    "checked": mismatches,
                                    "results": {f"{t}/{lib}": r for (t, lib), r in results.items()},
                                }
                            )
    if native_build() != build:
        info["ciblage_build"] += " (rebuilt during the run!)"
    report(cells, peer_list, inputs, info, a)


def report(cells: list[dict], peer_list: list[str], inputs: list[str], info: dict, a) -> None:
    # ratio of each peer against ciblage from the peer's library.
    own = {"pandas": "pandas", "polars": "polars", "duckdb": "pyarrow"}
    for c in cells:
        r = c["results"]
        c["ratios"] = {}
        for p in peer_list:
            # ciblage from the peer's library, else from pyarrow (no conversion), else the first input.
            base = r.get(f"ciblage/{own[p]}") or r.get("ciblage/pyarrow") or r[f"ciblage/{inputs[0]}"]
            c["ratios"][p] = r[f"{p}/{own[p]}"]["warm"] / base["warm"]
        arrow = r.get("ciblage/pyarrow") or r[f"ciblage/{inputs[0]}"]
        c["x_pass"] = arrow["warm"] / c["bandwidth"]["pass_s"]
        c["first_over_warm"] = max(r[f"ciblage/{lib}"]["first"] / r[f"ciblage/{lib}"]["warm_median"] for lib in inputs)
    worst = {p: min(range(len(cells)), key=lambda i: cells[i]["ratios"][p]) for p in peer_list}
    head = "| rows | customers | ids | tz | function | " + " | ".join(f"ciblage/{lib} warm s" for lib in inputs)
    head += " | first/warm | work MiB | x pass | " + " | ".join(f"{p} s (ratio, work MiB)" for p in peer_list)
    head += " | check |"
    print(head)
    print("|" + "---|" * 5 + "---:|" * (len(inputs) + 3 + len(peer_list)) + "---|")
    for i, c in enumerate(cells):
        r = c["results"]
        ours = " | ".join(f"{r[f'ciblage/{lib}']['warm']:.3f}" for lib in inputs)
        work = max((r[f"ciblage/{lib}"]["work_mib"] or 0) for lib in inputs)
        peers_txt = []
        for p in peer_list:
            pr = r[f"{p}/{own[p]}"]
            txt = f"{pr['warm']:.3f} ({c['ratios'][p]:.1f}×, {pr['work_mib'] or 0:,.0f})"
            peers_txt.append(f"**{txt}**" if worst[p] == i else txt)
        check = "–" if c["checked"] is None else ("equal" if not c["checked"] else "DIFFERS")
        print(
            f"| {c['rows']:,} | {c['customers']:,} | {c['ids']} | {c['tz']} | {c['function']} | {ours} "
            f"| {c['first_over_warm']:.2f} | {work:,.0f} | {c['x_pass']:.1f}× | "
            + " | ".join(peers_txt)
            + f" | {check} |"
        )
    bw = cells[0]["bandwidth"]["gb_s"] if cells else float("nan")
    i = info
    print(
        f"\n{i['nproc']} cores ({i['cpu']}), Python {i['python']}, pandas {i['pandas']}, polars {i['polars']}, "
        f"pyarrow {i['pyarrow']}, DuckDB {i['duckdb']}, ciblage {i['ciblage']} ({i['ciblage_build']} build), "
        f"{i['date']}, load average at start {i['loadavg'][0]:.2f}; one numpy pass over the input at "
        f"{bw:.1f} GB/s; warm = best of {a.repeat} calls after the first, each tool in fresh processes; "
        "ratio = peer warm s / ciblage warm s from the peer's library (DuckDB: pyarrow); "
        "x pass = ciblage warm s (pyarrow) / one pass; first/warm = ciblage's first call in a fresh process over "
        "the median of its later calls (the worst input); bold: each peer's worst cell."
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = Path(a.json) if a.json else RESULTS / f"grid_{dt.datetime.now():%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps({"machine": info, "args": vars(a), "cells": cells}, indent=1))
    print(f"JSON results: {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
