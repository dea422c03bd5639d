"""RFM end to end from an in-memory DataFrame: ciblage vs polars vs pandas, in one run.

Run from the repository root, after `make develop-release` (10M rows / 1M customers by default):
    .venv/bin/python benches/python/bench_rfm.py [--rows N] [--customers N] [--ids int|str|both]
        [--repeat 3] [--rounds 1] [--tools ciblage-pandas,ciblage-polars,pandas,polars] [--threads N]
Output: a Markdown table and a machine line on stdout (paste into docs/benchmarks.md), progress
on stderr, JSON in benches/python/results/ (git-ignored).

What is measured:
  * Data: `ciblage.datasets.transactions(..., seed=42, string_ids=..., return_rate=0)`, generated
    once per id kind and written to parquet in a temporary directory.
  * Each tool runs in fresh child processes (`--child`, one per round, the tools taking turns
    over `--rounds` rounds; peak RSS is the largest of its rounds), each of which loads the parquet (`pd.read_parquet`
    / `pl.read_parquet`, reported as "load s"), then times ONLY the compute from the in-memory
    DataFrame to the final per-customer table, REPEAT times ("best s" = min, "median s").
    - pandas / polars: the usual idiom (reference notes rfm-clv-churn.md section 5): group by
      customer (last date, count, sum), recency in days from (max date normalised + 1 day),
      quintiles on rank(first / ordinal) for R and F, on values for M. polars >= 2 uses
      `bin_quantiles(right_closed=True)` instead of the deprecated `qcut`.
    - ciblage-pandas / -polars: `ciblage.rfm_analysis(df, ...).customers`, including the
      conversion to Arrow and of the result back to the caller's library.
  * "peak RSS MiB": ru_maxrss of the child (os.wait4): interpreter, imports, data and compute.
    Loading the parquet file usually sets it. "RSS before MiB" is the child's RSS once the data
    is loaded and the tool imported; "work peak MiB" its high-water mark from then on (Linux:
    the mark is reset by writing 5 to /proc/self/clear_refs), i.e. the peak of the timed work;
    "work adds MiB" the largest rise of that peak over the RSS before, per child: the memory
    the work itself needs on top of the loaded data (the load's own peak varies from child
    to child by up to ~100 MiB with the same file).
    Linux starts a child's ru_maxrss at its parent's high-water mark, so the data is generated
    in a process of its own and the parent never imports pandas, polars or ciblage.
  * "ratio vs ciblage": best s / best s of ciblage on the same library and id kind; > 1 means
    ciblage is faster. The machine line says whether ciblage's extension is a release build.
  * Checks: each child prints its customer count and sum of frequency (and of monetary); the
    parent asserts they equal --customers / --rows and agree across tools.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import platform
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from importlib.util import find_spec
from pathlib import Path

TOOLS = ("ciblage-pandas", "ciblage-polars", "pandas", "polars")
RESULTS = Path(__file__).resolve().parent / "results"


def rfm_pandas(df):
    import pandas as pd

    snapshot = df["timestamp"].max().normalize() + pd.Timedelta(days=1)
    rfm = df.groupby("customer_id").agg(
        last=("timestamp", "max"), frequency=("timestamp", "size"), monetary=("amount", "sum")
    )
    rfm["recency"] = (snapshot - rfm["last"]).dt.days
    rfm["R"] = pd.qcut(rfm["recency"].rank(method="first"), 5, labels=[5, 4, 3, 2, 1]).astype(int)
    rfm["F"] = pd.qcut(rfm["frequency"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5]).astype(int)
    rfm["M"] = pd.qcut(rfm["monetary"], 5, labels=[1, 2, 3, 4, 5]).astype(int)
    rfm["rfm_score"] = rfm["R"] * 100 + rfm["F"] * 10 + rfm["M"]
    return rfm


def rfm_polars(df):
    import polars as pl

    def quint(e):  # 1..5; polars >= 2 deprecates qcut for bin_quantiles (same right-closed bins)
        if hasattr(e, "bin_quantiles"):
            return e.bin_quantiles(5, labels=False, right_closed=True).cast(pl.Int32) + 1
        return e.qcut(5, labels=list("12345")).cast(pl.String).cast(pl.Int32)

    snapshot = df.select(pl.col("timestamp").max().dt.truncate("1d") + pl.duration(days=1)).item()
    rfm = df.group_by("customer_id").agg(
        pl.col("timestamp").max().alias("last"),
        pl.len().alias("frequency"),
        pl.col("amount").sum().alias("monetary"),
    )
    rfm = rfm.with_columns(recency=(pl.lit(snapshot) - pl.col("last")).dt.total_days())
    rfm = rfm.with_columns(
        R=6 - quint(pl.col("recency").rank("ordinal")),
        F=quint(pl.col("frequency").rank("ordinal")),
        M=quint(pl.col("monetary")),
    )
    return rfm.with_columns(rfm_score=pl.col("R") * 100 + pl.col("F") * 10 + pl.col("M"))


def _status_mib(key: str) -> float:
    """A field of /proc/self/status (kB) in MiB."""
    line = next(ln for ln in Path("/proc/self/status").read_text().splitlines() if ln.startswith(key + ":"))
    return int(line.split()[1]) / 1024


def child(tool: str, path: str, repeat: int) -> None:
    """Runs in a fresh process: load, then time the compute REPEAT times; prints one JSON line."""
    lib = tool.removeprefix("ciblage-")
    t0 = time.perf_counter()
    df = importlib.import_module(lib).read_parquet(path)  # pd.read_parquet / pl.read_parquet
    load = time.perf_counter() - t0
    if tool.startswith("ciblage"):
        import ciblage

        def compute(d):
            r = ciblage.rfm_analysis(d, customer="customer_id", timestamp="timestamp", amount="amount")
            return r.customers

        code = "rfm_code"
    else:
        compute, code = (rfm_pandas if lib == "pandas" else rfm_polars), "rfm_score"
    # From here on, the process's high-water mark is the work's own: Linux
    # resets VmHWM to the current RSS on writing 5 to clear_refs.
    try:
        Path("/proc/self/clear_refs").write_text("5")
        start_rss = _status_mib("VmRSS")
    except OSError:
        start_rss = None
    times, out = [], None
    for _ in range(repeat):
        out = None  # free the previous result before the next run
        t0 = time.perf_counter()
        out = compute(df)
        times.append(time.perf_counter() - t0)
    res = {
        "customers": len(out),
        "sum_frequency": int(out["frequency"].sum()),
        "sum_monetary": float(out["monetary"].sum()),
        "rfm_codes": len(set(out[code].to_list())),
        "times": times,
        "load": load,
        "start_rss_mib": start_rss,
        "work_peak_mib": _status_mib("VmHWM") if start_rss is not None else None,
    }
    res["work_adds_mib"] = None if start_rss is None else max(0.0, res["work_peak_mib"] - start_rss)
    print(
        f"    {tool}: customers={res['customers']:,} sum_frequency={res['sum_frequency']:,} "
        f"sum_monetary={res['sum_monetary']:,.2f} distinct_codes={res['rfm_codes']} "
        f"times={' '.join(f'{t:.3f}' for t in times)}",
        file=sys.stderr,
        flush=True,
    )
    print(json.dumps(res))


def generate(path: str, rows: int, customers: int, string_ids: bool) -> None:
    """Runs in its own process, so that the parent's peak RSS stays small."""
    import pyarrow.parquet as pq

    import ciblage

    table = ciblage.datasets.transactions(
        customers=customers, transactions=rows, seed=42, string_ids=string_ids, return_rate=0.0
    )
    pq.write_table(table, path)


def run_child(tool: str, path: Path, repeat: int, env: dict) -> dict:
    cmd = [sys.executable, __file__, "--child", tool, str(path), "--repeat", str(repeat)]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, env=env, text=True)
    stdout = p.stdout.read()
    # This child's own rusage (RUSAGE_CHILDREN would be the max over all children so far).
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise SystemExit(f"{tool} failed (exit {p.returncode})")
    res = json.loads(stdout.strip().splitlines()[-1])
    res["peak_rss_mib"] = usage.ru_maxrss / 1024  # Linux: KiB
    return res


def native_build() -> tuple[str, float]:
    """('debug' | 'release', mtime) of ciblage's extension (debug builds carry DWARF sections)."""
    so = next(Path(find_spec("ciblage").submodule_search_locations[0]).glob("_native*.so"))
    with open(so, "rb") as f:  # ELF64: section header table -> section name string table
        head = f.read(64)
        (shoff,) = struct.unpack_from("<Q", head, 0x28)
        entsize, _, strndx = struct.unpack_from("<HHH", head, 0x3A)
        f.seek(shoff + strndx * entsize + 0x18)
        off, size = struct.unpack("<QQ", f.read(16))
        f.seek(off)
        names = f.read(size)
    return ("debug" if b".debug_info" in names else "release"), so.stat().st_mtime


def machine_info() -> dict:
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": cpu,
        "python": platform.python_version(),
        **{m: version(m) for m in ("pandas", "polars", "pyarrow", "ciblage")},
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "loadavg": os.getloadavg(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--ids", choices=("int", "str", "both"), default="int")
    ap.add_argument("--repeat", type=int, default=3, help="calls per child process")
    ap.add_argument("--rounds", type=int, default=1, help="child processes per tool, taking turns")
    ap.add_argument("--tools", default=",".join(TOOLS))
    ap.add_argument("--threads", type=int, default=None, help="POLARS_MAX_THREADS / RAYON_NUM_THREADS")
    ap.add_argument("--child", nargs=2, metavar=("TOOL", "PARQUET"), help=argparse.SUPPRESS)
    ap.add_argument("--gen", metavar="PARQUET", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        return child(a.child[0], a.child[1], a.repeat)
    if a.gen:
        return generate(a.gen, a.rows, a.customers, a.ids == "str")

    tools = [t.strip() for t in a.tools.split(",") if t.strip()]
    if unknown := set(tools) - set(TOOLS):
        ap.error(f"unknown tools {sorted(unknown)}; choose from {','.join(TOOLS)}")
    env = dict(os.environ)
    if a.threads:
        env.update(POLARS_MAX_THREADS=str(a.threads), RAYON_NUM_THREADS=str(a.threads))
    info = machine_info()  # the parent stays small (no pandas/polars/ciblage import): see run_child
    build = native_build()
    info["ciblage_build"] = build[0]
    if build[0] != "release":
        print("WARNING: ciblage's extension is a debug build; run `make develop-release`", file=sys.stderr)

    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_rfm_") as tmp:
        for ids in ("int", "str") if a.ids == "both" else (a.ids,):
            path = Path(tmp) / f"tx_{ids}.parquet"
            print(f"generating {a.rows:,} rows / {a.customers:,} customers, {ids} ids ...", file=sys.stderr)
            subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--gen",
                    str(path),
                    "--ids",
                    ids,
                    "--rows",
                    str(a.rows),
                    "--customers",
                    str(a.customers),
                ],
                check=True,
            )
            results = {}
            # The tools take turns, one child process each per round, so that
            # a noisy spell of the machine falls on all of them, not on one.
            for round_ in range(a.rounds):
                for tool in tools:
                    print(
                        f"  round {round_ + 1}/{a.rounds}: running {tool} ({ids} ids) ...", file=sys.stderr, flush=True
                    )
                    r = run_child(tool, path, a.repeat, env)
                    assert (r["customers"], r["sum_frequency"]) == (a.customers, a.rows), (tool, r)
                    if tool in results:
                        kept = results[tool]
                        kept["times"] += r["times"]
                        kept["load"] = min(kept["load"], r["load"])
                        kept["peak_rss_mib"] = max(kept["peak_rss_mib"], r["peak_rss_mib"])
                        if r["work_peak_mib"] is not None:
                            kept["work_peak_mib"] = max(kept["work_peak_mib"], r["work_peak_mib"])
                            kept["start_rss_mib"] = max(kept["start_rss_mib"], r["start_rss_mib"])
                            kept["work_adds_mib"] = max(kept["work_adds_mib"], r["work_adds_mib"])
                    else:
                        results[tool] = r
            ref = next(iter(results.values()))["sum_monetary"]
            for tool, r in results.items():
                assert abs(r["sum_monetary"] - ref) <= 1e-9 * abs(ref), (tool, r["sum_monetary"], ref)
                base = results.get("ciblage-" + tool.removeprefix("ciblage-"))
                rows.append(
                    {
                        "tool": tool,
                        "ids": ids,
                        "rows": a.rows,
                        "customers": a.customers,
                        "best": min(r["times"]),
                        "median": statistics.median(r["times"]),
                        "ratio": min(r["times"]) / min(base["times"]) if base else None,
                        **r,
                    }
                )

    if native_build() != build:
        print("WARNING: ciblage's extension was rebuilt during the run: mixed results", file=sys.stderr)
        info["ciblage_build"] += " (rebuilt during the run!)"
    print(
        "| tool | ids | rows | best s | median s | load s | peak RSS MiB | RSS before MiB "
        "| work peak MiB | work adds MiB | ratio vs ciblage |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")

    def mib(v: float | None) -> str:
        return "–" if v is None else f"{v:,.0f}"

    for r in rows:
        name = f"{r['tool']} {info[r['tool'].split('-')[0]]}"
        ratio = f"{r['ratio']:.2f}×" if r["ratio"] is not None else "–"
        print(
            f"| {name} | {r['ids']} | {r['rows']:,} | {r['best']:.3f} | {r['median']:.3f} "
            f"| {r['load']:.3f} | {r['peak_rss_mib']:,.0f} | {mib(r['start_rss_mib'])} "
            f"| {mib(r['work_peak_mib'])} | {mib(r['work_adds_mib'])} | {ratio} |"
        )
    i = info
    print(
        f"\n{i['nproc']} cores ({i['cpu']}), Python {i['python']}, pandas {i['pandas']}, polars "
        f"{i['polars']}, pyarrow {i['pyarrow']}, ciblage {i['ciblage']} ({i['ciblage_build']} build), "
        f"{i['date']}, load average at start {i['loadavg'][0]:.2f}; {a.customers:,} customers, "
        f"best/median of {a.rounds} round(s) × {a.repeat} calls (tools taking turns), "
        f"threads={a.threads or 'default'}; ratio = best s / best s "
        "of ciblage on the same library."
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"rfm_{a.rows}_{dt.datetime.now():%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps({"machine": info, "args": vars(a), "results": rows}, indent=1))
    print(f"JSON results: {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
