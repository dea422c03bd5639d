"""CART fitting: ciblage vs scikit-learn, side by side in one run.

Run from the repository root, after `make develop-release`:
    .venv/bin/python benches/python/bench_cart.py [--rows 100000,1000000] [--depths 8,none]
Data: make_classification(n_samples=ROWS, n_features=20, n_informative=10, random_state=0) for the
classifier, and make_regression(ROWS, 20, noise=10, random_state=0) for the regressor. Each fit
runs in a fresh child process (data generated there, not timed); both tools single-threaded
(scikit-learn's trees are); the script checks both trees have the same node count.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time


def child(tool: str, task: str, rows: int, depth: int | None) -> None:
    import numpy as np
    from sklearn.datasets import make_classification, make_regression

    if task == "classifier":
        X, y = make_classification(n_samples=rows, n_features=20, n_informative=10, random_state=0)
    else:
        X, y = make_regression(n_samples=rows, n_features=20, noise=10.0, random_state=0)
    X = np.ascontiguousarray(X)
    if tool == "sklearn":
        from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

        cls = DecisionTreeClassifier if task == "classifier" else DecisionTreeRegressor
    else:
        import ciblage

        cls = ciblage.CartClassifier if task == "classifier" else ciblage.CartRegressor
    t0 = time.perf_counter()
    m = cls(max_depth=depth, random_state=0).fit(X, y)
    fit = time.perf_counter() - t0
    print(json.dumps({"fit": fit, "nodes": int(m.tree_.node_count)}))


def run(tool: str, task: str, rows: int, depth: int | None) -> dict:
    cmd = [sys.executable, __file__, "--child", tool, task, str(rows), str(depth)]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    out = p.stdout.read()
    _, status, usage = os.wait4(p.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{tool} failed")
    r = json.loads(out.strip().splitlines()[-1])
    r["rss"] = usage.ru_maxrss / 1024
    return r


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", default="100000,1000000")
    ap.add_argument("--depths", default="8,none")
    ap.add_argument("--tasks", default="classifier,regressor")
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        tool, task, rows, depth = a.child
        return child(tool, task, int(rows), None if depth == "None" else int(depth))
    print("| task | rows | max_depth | tool | fit s | peak RSS MiB | nodes | ratio |")
    print("|---|---:|---|---|---:|---:|---:|---:|")
    for task in a.tasks.split(","):
        for rows in (int(r) for r in a.rows.split(",")):
            for d in a.depths.split(","):
                depth = None if d == "none" else int(d)
                print(f"  {task} {rows} {depth} ...", file=sys.stderr, flush=True)
                c = run("ciblage", task, rows, depth)
                s = run("sklearn", task, rows, depth)
                assert c["nodes"] == s["nodes"], (c["nodes"], s["nodes"])
                for tool, r in (("ciblage", c), ("scikit-learn", s)):
                    print(f"| {task} | {rows:,} | {depth} | {tool} | {r['fit']:.3f} | {r['rss']:,.0f} "
                          f"| {r['nodes']:,} | {r['fit'] / c['fit']:.2f}× |", flush=True)


if __name__ == "__main__":
    main()
