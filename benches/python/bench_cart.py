"""CART fitting: ciblage vs scikit-learn, side by side in one run.

Run from the repository root, after `make develop-release`:
    .venv/bin/python benches/python/bench_cart.py [--rows 100000,1000000] [--depths 8,none] [--rounds 1]
Data: make_classification(n_samples=1.25·ROWS, n_features=20, n_informative=10, random_state=0) for
the classifier, and make_regression(1.25·ROWS, 20, noise=10, random_state=0) for the regressor; the
first ROWS rows train, the rest measure accuracy (R² for the regressor; --tasks absolute_error
fits regressors with criterion="absolute_error", exact splitter only; --tasks multi_classifier,
multi_regressor fit 3 outputs at once, exact splitter only: see `multi_target`). Each fit runs in a fresh
child process (data generated there, not timed); with --rounds N the tools take turns N times and the
table shows each tool's best time (and largest peak memory), so that a noisy spell of the machine
falls on all. Memory: the child's peak resident size during the fit (its high-water mark restarted
just before, from the size the data and the imports already take: the peak of the data generation
would otherwise hide the fit's). Tools: scikit-learn's DecisionTree (one thread, as
its trees are), ciblage's exact splitter with n_threads=1, its histogram splitter (255 bins) with
n_threads=1 and with all cores. The script checks the exact trees have scikit-learn's node count.
The data are generated with BLAS on one thread: after a multi-threaded BLAS product (inside
make_regression) OpenBLAS leaves its threads spinning for about 0.1 s, which would take cores from
the timed fit that follows (scikit-learn's trees use no BLAS).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

TOOLS = {
    "scikit-learn": {},
    "ciblage exact, 1 thread": {"n_threads": 1},
    "ciblage hist, 1 thread": {"splitter": "hist", "n_threads": 1},
    "ciblage hist, all cores": {"splitter": "hist"},
}


def child(tool: str, task: str, rows: int, depth: int | None) -> None:
    import numpy as np
    from sklearn.datasets import make_classification, make_regression
    from threadpoolctl import threadpool_limits

    total = rows + rows // 4
    with threadpool_limits(limits=1, user_api="blas"):
        if task.startswith("multi_"):
            X, y = multi_target(task, total)
        elif task == "classifier":
            X, y = make_classification(n_samples=total, n_features=20, n_informative=10, random_state=0)
        else:
            X, y = make_regression(n_samples=total, n_features=20, noise=10.0, random_state=0)
    X = np.ascontiguousarray(X)
    Xtr, ytr, Xte, yte = X[:rows], y[:rows], X[rows:], y[rows:]
    if tool == "scikit-learn":
        from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

        cls = DecisionTreeClassifier if task.endswith("classifier") else DecisionTreeRegressor
    else:
        import ciblage

        cls = ciblage.CartClassifier if task.endswith("classifier") else ciblage.CartRegressor
    extra = {"criterion": "absolute_error"} if task == "absolute_error" else {}
    est = cls(max_depth=depth, random_state=0, **TOOLS[tool], **extra)
    # The process's resident high-water mark restarts from its current size
    # (Linux: 5 in clear_refs), so that it measures the fit alone.
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    t0 = time.perf_counter()
    m = est.fit(Xtr, ytr)
    fit = time.perf_counter() - t0
    fit_peak = hwm_mib()
    print(
        json.dumps(
            {"fit": fit, "fit_peak": fit_peak, "nodes": int(m.tree_.node_count), "score": held_out(m, task, Xte, yte)}
        )
    )


def multi_target(task: str, total: int) -> tuple:
    """20 features and 3 outputs: make_classification's labels with two
    labels derived from the features (2 and 3 classes), or
    make_regression's 3 targets."""
    import numpy as np
    from sklearn.datasets import make_classification, make_regression

    if task == "multi_classifier":
        X, y = make_classification(n_samples=total, n_features=20, n_informative=10, random_state=0)
        y2 = (X[:, 0] + X[:, 1] > 0).astype(int)
        y3 = (X[:, 2] > -0.5).astype(int) + (X[:, 3] > 0.5)
        return X, np.column_stack([y, y2, y3])
    return make_regression(n_samples=total, n_features=20, n_targets=3, noise=10.0, random_state=0)


def held_out(m, task: str, X, y) -> float:
    """The model's score on held-out rows (several outputs classified: the
    mean accuracy over outputs, scikit-learn's score taking one)."""
    import numpy as np

    if task == "multi_classifier":
        return float(np.mean(m.predict(X) == y))
    return float(m.score(X, y))


def hwm_mib() -> float:
    """The process's resident high-water mark (VmHWM), in MiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def run(tool: str, task: str, rows: int, depth: int | None) -> dict:
    cmd = [sys.executable, __file__, "--child", tool, task, str(rows), str(depth)]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    out = p.stdout.read()
    if p.wait() != 0:
        raise SystemExit(f"{tool} failed")
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", default="100000,1000000")
    ap.add_argument("--depths", default="8,none")
    ap.add_argument(
        "--tasks",
        default="classifier,regressor",
        help="classifier, regressor (squared error), absolute_error (regressor), multi_classifier, multi_regressor",
    )
    ap.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="fits per tool, the tools taking turns; the best time and peak memory of each are shown",
    )
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        tool, task, rows, depth = a.child
        return child(tool, task, int(rows), None if depth == "None" else int(depth))
    print("| task | rows | max_depth | tool | fit s | fit peak MiB | nodes | held-out score | sklearn / tool |")
    print("|---|---:|---|---|---:|---:|---:|---:|---:|")
    for task in a.tasks.split(","):
        for rows in (int(r) for r in a.rows.split(",")):
            for d in a.depths.split(","):
                depth = None if d == "none" else int(d)
                print(f"  {task} {rows} {depth} ...", file=sys.stderr, flush=True)
                res: dict[str, dict] = {}
                # The histogram splitter has no absolute error (no medians
                # from bins' sums).
                # nor several outputs.
                tools = [
                    t
                    for t in TOOLS
                    if task not in ("absolute_error", "multi_classifier", "multi_regressor") or "hist" not in t
                ]
                for _ in range(a.rounds):
                    for tool in tools:
                        r = run(tool, task, rows, depth)
                        best = res.setdefault(tool, r)
                        best["fit"] = min(best["fit"], r["fit"])
                        best["fit_peak"] = max(best["fit_peak"], r["fit_peak"])
                sk = res["scikit-learn"]
                assert res["ciblage exact, 1 thread"]["nodes"] == sk["nodes"]
                for tool, r in res.items():
                    print(
                        f"| {task} | {rows:,} | {depth} | {tool} | {r['fit']:.3f} | {r['fit_peak']:,.0f} "
                        f"| {r['nodes']:,} | {r['score']:.4f} | {sk['fit'] / r['fit']:.2f}× |",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
