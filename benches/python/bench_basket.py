"""Frequent itemsets from order lines: ciblage vs mlxtend (and pyfim when installed).

Run from the repository root, after `make develop-release` (1M baskets x 1,000 products,
min_support 0.001 by default):
    .venv/bin/python benches/python/bench_basket.py [--baskets N] [--products N] [--support S]
        [--tools ciblage,mlxtend,pyfim] [--repeat 3]
Output: a Markdown table on stdout (for docs/benchmarks.md), progress on stderr.

The order lines (synthetic, seed 42: basket sizes 1 to 8, popularity ~ 1 / (rank + 10), each
product's partner joining it a third of the time, as benches/basket.rs) are written to parquet
first; each tool then runs in a fresh child process that reads them (not timed) and mines them
(timed), its peak resident memory read at the end:
  * ciblage: `frequent_itemsets(lines, min_support=S)` from the long table (grouping included).
  * mlxtend: the one-hot frame (`pd.crosstab` of order x product, as bool) then
    `fpgrowth(onehot, min_support=S)`; the conversion is timed.
  * pyfim: the baskets as lists (sorted once and cut at order changes, timed) then
    `fim.fpgrowth(..., supp=-count)`. The peers' mining alone is reported too.
All must find the same number of itemsets.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np


def make_lines(baskets: int, products: int, seed: int = 42):
    import pandas as pd

    rng = np.random.default_rng(seed)
    weights = 1.0 / (np.arange(products) + 10.0)
    weights /= weights.sum()
    sizes = rng.integers(1, 9, size=baskets)
    orders = np.repeat(np.arange(baskets, dtype=np.int64), sizes)
    items = rng.choice(products, size=len(orders), p=weights)
    partner = rng.random(len(orders)) < 0.33
    orders = np.concatenate([orders, orders[partner]])
    items = np.concatenate([items, items[partner] ^ 1])
    return pd.DataFrame({"order_id": orders, "product": items.astype(np.int64)})


def _peak_bytes() -> int:
    """This process's peak resident memory (VmHWM: set afresh at exec,
    where ``ru_maxrss`` keeps the parent's peak from before the exec)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("VmHWM not found in /proc/self/status")


def run_tool(tool: str, path: str, support: float) -> dict:
    import pandas as pd

    lines = pd.read_parquet(path)
    start = time.perf_counter()
    mined = start  # when the peer's own input is ready (ciblage: the table itself)
    if tool == "ciblage":
        from ciblage.basket import frequent_itemsets

        found = len(frequent_itemsets(lines, min_support=support))
    elif tool == "mlxtend":
        from mlxtend.frequent_patterns import fpgrowth

        onehot = pd.crosstab(lines["order_id"], lines["product"]).astype(bool)
        mined = time.perf_counter()
        found = len(fpgrowth(onehot, min_support=support))
    elif tool == "pyfim":
        import fim

        # Baskets as lists of distinct products: sorted once, cut at order changes.
        pairs = lines.drop_duplicates().sort_values(["order_id", "product"])
        cuts = np.flatnonzero(np.diff(pairs["order_id"].to_numpy())) + 1
        baskets = [b.tolist() for b in np.split(pairs["product"].to_numpy(), cuts)]
        count = math.ceil(support * len(baskets))
        mined = time.perf_counter()
        found = len(fim.fpgrowth(baskets, target="s", supp=-count, zmin=1))
    else:
        raise ValueError(tool)
    end = time.perf_counter()
    seconds, mine_seconds = end - start, end - mined
    peak = _peak_bytes() / 2**30
    return {"tool": tool, "seconds": seconds, "mine_seconds": mine_seconds, "peak_gib": peak, "itemsets": found}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baskets", type=int, default=1_000_000)
    parser.add_argument("--products", type=int, default=1_000)
    parser.add_argument("--support", type=float, default=0.001)
    parser.add_argument("--tools", default="ciblage,mlxtend,pyfim")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        tool, path, support = args.child
        print(json.dumps(run_tool(tool, path, float(support))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "lines.parquet")
        make_lines(args.baskets, args.products).to_parquet(path)
        rows = []
        for tool in args.tools.split(","):
            runs = []
            for _ in range(args.repeat):
                print(f"{tool} ...", file=sys.stderr)
                out = subprocess.run(
                    [sys.executable, __file__, "--child", tool, path, str(args.support)],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if out.returncode != 0:
                    print(f"{tool}: skipped ({out.stderr.strip().splitlines()[-1:]})", file=sys.stderr)
                    break
                runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
            if runs:
                rows.append(
                    (
                        tool,
                        statistics.median(r["seconds"] for r in runs),
                        statistics.median(r["mine_seconds"] for r in runs),
                        max(r["peak_gib"] for r in runs),
                        runs[0]["itemsets"],
                    )
                )
    counts = {r[4] for r in rows}
    if len(counts) > 1:
        print(f"itemset counts differ: {rows}", file=sys.stderr)
        sys.exit(1)
    print(f"{args.baskets:,} baskets x {args.products:,} products, min_support {args.support}\n")
    print("| tool | seconds from the order lines (median) | mining alone | peak memory (GiB) | itemsets |")
    print("|---|---:|---:|---:|---:|")
    for tool, seconds, mine, peak, found in rows:
        alone = "–" if tool == "ciblage" else f"{mine:.2f}"
        print(f"| {tool} | {seconds:.2f} | {alone} | {peak:.2f} | {found:,} |")


if __name__ == "__main__":
    main()
