"""Value tiers + Gini + monthly cohort matrix from an in-memory DataFrame: ciblage vs pandas.

Run from the repository root, after `make develop-release` (10M rows / 1M customers by default):
    .venv/bin/python benches/python/bench_value.py [--rows N] [--customers N] [--repeat 3] [--rounds 3]
Output: a Markdown table and a machine line on stdout (for docs/benchmarks.md), progress on
stderr, JSON in benches/python/results/ (git-ignored).

What is measured, in fresh child processes (data loaded from parquet first, not timed), the
tools taking turns for `--rounds` rounds of `--repeat` calls each:
  * pandas: revenue per customer (groupby sum), count tiers 5/15/80 (stable sort, the boundary
    customer in the upper tier, zero/negative value apart), per-tier summary, Gini (sorted
    cumulative sums), and the monthly acquisition-cohort matrix of active customers (integer
    month codes, first month per customer, distinct (customer, month) pairs, groupby + unstack).
  * ciblage: `customer_totals(df)` (revenue per customer), `value_tiers`,
    `concentration(...).gini` and `retention(df, period="month").cohorts("classic",
    shares=False)`, conversions to and from pandas included.
Both must agree on the tier sizes, the Gini coefficient (1e-9) and the cohort matrix total.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_rfm import RESULTS, machine_info, native_build  # noqa: E402 - found only once the line above puts this folder on sys.path

TOOLS = ("ciblage", "pandas")
SHARES = (0.05, 0.15, 0.80)


def value_pandas(df):
    import numpy as np
    import pandas as pd

    revenue = df.groupby("customer_id")["amount"].sum()
    ranked = revenue[revenue > 0].sort_values(ascending=False, kind="stable")
    n = len(ranked)
    ends = np.ceil(n * np.cumsum(SHARES) - 1e-9)
    ends[-1] = n
    tier = pd.Series(len(SHARES), index=revenue.index)
    tier[ranked.index] = np.searchsorted(ends, np.arange(1, n + 1), side="left")
    summary = revenue.groupby(tier).agg(["size", "sum"])
    x = np.sort(np.clip(revenue.to_numpy(), 0, None))
    cum = np.concatenate([[0.0], np.cumsum(x)])
    gini = 1 - (cum[:-1] + cum[1:]).sum() / (cum[-1] * len(x))
    buys = df[df["amount"] > 0]
    ts = buys["timestamp"]
    month = ts.dt.year * 12 + ts.dt.month - 1
    first = month.groupby(buys["customer_id"]).transform("min")
    pairs = pd.DataFrame({"customer_id": buys["customer_id"], "cohort": first, "k": month - first})
    pairs = pairs.drop_duplicates(["customer_id", "k"])
    matrix = pairs.groupby(["cohort", "k"]).size().unstack()
    return [int(s) for s in summary["size"]], float(gini), int(np.nansum(matrix.to_numpy()))


def value_ciblage(df):
    import numpy as np

    import ciblage

    customers = ciblage.customer_totals(df)
    tiers = ciblage.value_tiers(customers, value="revenue", shares=SHARES)
    gini = ciblage.concentration(customers, value="revenue").gini
    matrix = ciblage.retention(df, period="month").cohorts("classic", shares=False)
    sizes = [int(s) for s in tiers.summary["customers"] if s > 0]
    return sizes, float(gini), int(np.nansum(matrix.drop(columns=["cohort", "size"]).to_numpy()))


def child(tool: str, path: str, repeat: int) -> None:
    import pandas as pd

    t0 = time.perf_counter()
    df = pd.read_parquet(path)
    load = time.perf_counter() - t0
    compute = value_ciblage if tool == "ciblage" else value_pandas
    times, out = [], None
    for _ in range(repeat):
        out = None
        t0 = time.perf_counter()
        out = compute(df)
        times.append(time.perf_counter() - t0)
    sizes, gini, cells = out
    print(
        f"    {tool}: tiers={sizes} gini={gini:.12f} cohort_total={cells:,} "
        f"times={' '.join(f'{t:.3f}' for t in times)}",
        file=sys.stderr,
        flush=True,
    )
    print(json.dumps({"sizes": sizes, "gini": gini, "cohort_total": cells, "times": times, "load": load}))


def run_child(tool: str, path: Path, repeat: int) -> dict:
    cmd = [sys.executable, __file__, "--child", tool, str(path), "--repeat", str(repeat)]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    stdout = p.stdout.read()
    _, status, usage = os.wait4(p.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{tool} failed")
    res = json.loads(stdout.strip().splitlines()[-1])
    res["peak_rss_mib"] = usage.ru_maxrss / 1024
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3, help="calls per child process")
    ap.add_argument("--rounds", type=int, default=3, help="child processes per tool, taking turns")
    ap.add_argument("--child", nargs=2, metavar=("TOOL", "PARQUET"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        return child(a.child[0], a.child[1], a.repeat)
    info = machine_info()
    info["ciblage_build"] = native_build()[0]
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench_value_") as tmp:
        path = Path(tmp) / "tx.parquet"
        print(f"generating {a.rows:,} rows / {a.customers:,} customers ...", file=sys.stderr)
        subprocess.run(
            [
                sys.executable,
                str(Path(__file__).with_name("bench_rfm.py")),
                "--gen",
                str(path),
                "--ids",
                "int",
                "--rows",
                str(a.rows),
                "--customers",
                str(a.customers),
            ],
            check=True,
        )
        # The tools take turns, one child process each per round, so that a
        # noisy spell of the machine falls on both rather than on one.
        for round_ in range(a.rounds):
            for tool in TOOLS:
                print(f"  round {round_ + 1}/{a.rounds}: running {tool} ...", file=sys.stderr, flush=True)
                r = run_child(tool, path, a.repeat)
                if tool not in results:
                    results[tool] = r
                else:
                    kept = results[tool]
                    kept["times"] += r["times"]
                    kept["load"] = min(kept["load"], r["load"])
                    kept["peak_rss_mib"] = max(kept["peak_rss_mib"], r["peak_rss_mib"])
    c, p = results["ciblage"], results["pandas"]
    assert c["sizes"] == p["sizes"], (c["sizes"], p["sizes"])
    assert abs(c["gini"] - p["gini"]) < 1e-9, (c["gini"], p["gini"])
    assert c["cohort_total"] == p["cohort_total"], (c["cohort_total"], p["cohort_total"])
    base = min(c["times"])
    print("| tool | rows | best s | median s | load s | peak RSS MiB | ratio vs ciblage |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for tool, r in results.items():
        print(
            f"| {tool} {info[tool]} | {a.rows:,} | {min(r['times']):.3f} | {statistics.median(r['times']):.3f} "
            f"| {r['load']:.3f} | {r['peak_rss_mib']:,.0f} | {min(r['times']) / base:.2f}× |"
        )
    i = info
    print(
        f"\n{i['nproc']} cores ({i['cpu']}), Python {i['python']}, pandas {i['pandas']}, pyarrow "
        f"{i['pyarrow']}, ciblage {i['ciblage']} ({i['ciblage_build']} build), {i['date']}, load average "
        f"at start {i['loadavg'][0]:.2f}; {a.customers:,} customers, best/median of {a.rounds} rounds × "
        f"{a.repeat} calls, the tools taking turns; "
        f"tiers {c['sizes']}, Gini {c['gini']:.6f}, {c['cohort_total']:,} active cohort cells."
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"value_{a.rows}_{dt.datetime.now():%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps({"machine": info, "args": vars(a), "results": results}, indent=1))


if __name__ == "__main__":
    main()
