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

With --cells (issue 28's cells; `--cells all` for every one), the table compares instead: sparse
input (CSC, "text": ROWS × 5,000 at 0.5 % density; "onehot": one-hot product features) with the
exact splitter, trees checked equal to scikit-learn's; splitter="random" on dense and sparse input,
held-out scores checked within 0.02 of scikit-learn's (dense: the trees too); float32 against float64 input on the same
(float32-exact) data, both tools, same trees; the histogram splitter (max_bins=255) against
scikit-learn's exact tree. One thread for both tools; the ratio column is scikit-learn's time over
the tool's (float32: the tool's float64 time over its float32 one), next to the issue's goal
(`--clock cpu`: the fits' CPU times instead of elapsed times, on a machine shared with other work).
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


# ---------------------------------------------------------------------------
# Issue 28's cells: sparse input, splitter="random", float32 input and the
# histogram splitter against scikit-learn's exact tree. Each cell lists
# (label, tool, estimator parameters, input dtype); every fit again runs in a
# fresh child process, one thread for both tools.

TEXT_COLS = 5_000
TEXT_DENSITY = 0.005
# One-hot product features: the one-hot columns of categorical columns of
# these cardinalities (each row holds one 1 per categorical column).
ONEHOT_CARDS = (5, 10, 20, 50, 100, 200, 500, 1000)

CELLS: dict[str, dict] = {
    # Sparse input, exact splitter: the trees must be scikit-learn's.
    "sparse-text": {
        "data": "text",
        "goal": 5.0,
        "same_tree": "ciblage exact, 1 thread",
        "tools": [
            ("scikit-learn", "sklearn", {}, "float64"),
            ("ciblage exact, 1 thread", "ciblage", {"n_threads": 1}, "float64"),
        ],
    },
    "sparse-onehot": {
        "data": "onehot",
        "goal": 5.0,
        "same_tree": "ciblage exact, 1 thread",
        "tools": [
            ("scikit-learn", "sklearn", {}, "float64"),
            ("ciblage exact, 1 thread", "ciblage", {"n_threads": 1}, "float64"),
        ],
    },
    # splitter="random": scikit-learn's draws from its generator, seeded
    # as it seeds it: the same trees (regressors: the same node count, sums
    # rounding apart), and the held-out accuracy / R² within 0.02.
    "random-dense": {
        "data": "dense",
        "goal": 5.0,
        "quality": 0.02,
        "same_tree": "ciblage random, 1 thread",
        "tools": [
            ("scikit-learn random", "sklearn", {"splitter": "random"}, "float64"),
            ("ciblage random, 1 thread", "ciblage", {"splitter": "random", "n_threads": 1}, "float64"),
        ],
    },
    "random-sparse": {
        "data": "text",
        "goal": 5.0,
        "quality": 0.02,
        "tools": [
            ("scikit-learn random", "sklearn", {"splitter": "random"}, "float64"),
            ("ciblage random, 1 thread", "ciblage", {"splitter": "random", "n_threads": 1}, "float64"),
        ],
    },
    # float32 input against float64 on the same data (float32 values, so
    # both inputs hold the same numbers): each tool's float32 fit must be no
    # slower than its float64 one, and give the same tree.
    "float32": {
        "data": "dense32",
        "goal": 5.0,
        "same_tree": "ciblage exact float32, 1 thread",
        "tools": [
            ("scikit-learn float64", "sklearn", {}, "float64"),
            ("scikit-learn float32", "sklearn", {}, "float32"),
            ("ciblage exact float64, 1 thread", "ciblage", {"n_threads": 1}, "float64"),
            ("ciblage exact float32, 1 thread", "ciblage", {"n_threads": 1}, "float32"),
        ],
    },
    # The histogram splitter (255 bins) against scikit-learn's exact tree.
    "hist": {
        "data": "dense",
        "goal": 15.0,
        "quality": 0.02,
        "tools": [
            ("scikit-learn", "sklearn", {}, "float64"),
            ("ciblage hist, 1 thread", "ciblage", {"splitter": "hist", "max_bins": 255, "n_threads": 1}, "float64"),
        ],
    },
}


def cell_data(kind: str, task: str, rows: int):
    """Training and held-out data of a cell: ``dense`` (as the main table's),
    ``dense32`` (the same, rounded to float32), ``text`` (CSC, ROWS × 5,000
    at 0.5 % density, tf-idf-like positive values) or ``onehot`` (CSC, the
    one-hot columns of categorical features)."""
    import numpy as np
    import scipy.sparse as sp
    from threadpoolctl import threadpool_limits

    total = rows + rows // 4
    rng = np.random.default_rng(0)
    if kind in ("dense", "dense32"):
        from sklearn.datasets import make_classification, make_regression

        with threadpool_limits(limits=1, user_api="blas"):
            if task == "classifier":
                X, y = make_classification(n_samples=total, n_features=20, n_informative=10, random_state=0)
            else:
                X, y = make_regression(n_samples=total, n_features=20, noise=10.0, random_state=0)
        X = np.ascontiguousarray(X)
        if kind == "dense32":
            X = X.astype(np.float32).astype(np.float64)
        return X[:rows], y[:rows], X[rows:], y[rows:]
    if kind == "text":
        nnz = int(total * TEXT_COLS * TEXT_DENSITY)
        # Word frequencies follow a power law: a few columns are common.
        cols = np.minimum((rng.pareto(1.0, nnz) * 20).astype(np.int64), TEXT_COLS - 1)
        r = rng.integers(0, total, nnz)
        vals = np.round(rng.lognormal(0.0, 0.5, nnz), 3)
        X = sp.csr_matrix((vals, (r, cols)), shape=(total, TEXT_COLS))
        X.sum_duplicates()
        w = np.zeros(TEXT_COLS)
        w[rng.choice(200, 40, replace=False)] = rng.normal(0.0, 1.0, 40)
        score = X @ w + rng.normal(0.0, 0.3, total)
    elif kind == "onehot":
        codes = np.column_stack([rng.integers(0, c, total) for c in ONEHOT_CARDS])
        offsets = np.concatenate([[0], np.cumsum(ONEHOT_CARDS)[:-1]])
        cols = (codes + offsets).ravel()
        r = np.repeat(np.arange(total), len(ONEHOT_CARDS))
        X = sp.csr_matrix((np.ones(len(cols)), (r, cols)), shape=(total, int(sum(ONEHOT_CARDS))))
        effects = rng.normal(0.0, 1.0, int(sum(ONEHOT_CARDS)))
        score = X @ effects + rng.normal(0.0, 0.5, total)
    else:
        raise SystemExit(f"unknown data {kind!r}")
    y = (score > np.median(score)).astype(np.int64) if task == "classifier" else score
    X = X.tocsc()
    Xtr, Xte = X[:rows].tocsc(), X[rows:].tocsr()
    return Xtr, y[:rows], Xte, y[rows:]


def cell_child(spec: dict) -> None:
    """One timed fit of a cell (in a child process)."""
    import hashlib

    import numpy as np

    cell = CELLS[spec["cell"]]
    label, lib, params, dtype = next(t for t in cell["tools"] if t[0] == spec["tool"])
    task, rows, depth = spec["task"], spec["rows"], spec["depth"]
    Xtr, ytr, Xte, yte = cell_data(cell["data"], task, rows)
    if dtype == "float32":
        Xtr, Xte = Xtr.astype(np.float32), Xte.astype(np.float32)
    if lib == "sklearn":
        from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

        cls = DecisionTreeClassifier if task == "classifier" else DecisionTreeRegressor
    else:
        import ciblage

        cls = ciblage.CartClassifier if task == "classifier" else ciblage.CartRegressor
    est = cls(max_depth=depth, random_state=0, **params)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    t0, c0 = time.perf_counter(), time.process_time()
    m = est.fit(Xtr, ytr)
    fit, fit_cpu = time.perf_counter() - t0, time.process_time() - c0
    fit_peak = hwm_mib()
    t = m.tree_
    # The tree's shape: its features, children and thresholds (as float32,
    # the precision scikit-learn's thresholds are drawn between).
    shape = hashlib.sha1()
    for a in (t.feature, t.children_left, t.children_right):
        shape.update(np.asarray(a, dtype=np.int64).tobytes())
    shape.update(np.asarray(t.threshold, dtype=np.float32).tobytes())
    out = {
        "fit": fit,
        "fit_cpu": fit_cpu,
        "fit_peak": fit_peak,
        "nodes": int(t.node_count),
        "score": float(m.score(Xte, yte)),
        "tree": shape.hexdigest()[:12],
    }
    print(json.dumps(out))


def run_cell(cell: str, tool: str, task: str, rows: int, depth: int | None) -> dict:
    spec = {"cell": cell, "tool": tool, "task": task, "rows": rows, "depth": depth}
    cmd = [sys.executable, __file__, "--cell-child", json.dumps(spec)]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    out = p.stdout.read()
    if p.wait() != 0:
        raise SystemExit(f"{cell}: {tool} failed")
    return json.loads(out.strip().splitlines()[-1])


def main_cells(
    cells: list[str], tasks: list[str], rows_list: list[int], depths: list[int | None], rounds: int, clock: str = "wall"
) -> None:
    """The table of the issue-28 cells: per cell, each tool's best time of
    ``rounds`` (tools taking turns), its ratio to the cell's first tool
    (scikit-learn) and whether it meets the cell's goal; the exact trees are
    checked equal to scikit-learn's (sparse, float32), the others' held-out
    scores close to it (random, hist). With ``clock="cpu"`` the times are
    the fit's CPU time (of every thread of the process: for one-thread
    cells, a measure that a machine busy with other work disturbs less
    than the elapsed time)."""
    print()
    fit_s = "fit CPU s" if clock == "cpu" else "fit s"
    print(f"| cell | task | rows | max_depth | tool | {fit_s} | fit peak MiB | nodes | held-out score | ratio | goal |")
    print("|---|---|---:|---|---|---:|---:|---:|---:|---:|---|")
    failures = []
    for name in cells:
        cell = CELLS[name]
        for task in tasks:
            for rows in rows_list:
                for depth in depths:
                    print(f"  {name} {task} {rows} {depth} ...", file=sys.stderr, flush=True)
                    res: dict[str, dict] = {}
                    for _ in range(rounds):
                        for tool, *_rest in cell["tools"]:
                            r = run_cell(name, tool, task, rows, depth)
                            if clock == "cpu":
                                r["fit"] = r["fit_cpu"]
                            best = res.setdefault(tool, r)
                            best["fit"] = min(best["fit"], r["fit"])
                            best["fit_peak"] = max(best["fit_peak"], r["fit_peak"])
                    first = cell["tools"][0][0]
                    sk = res[first]
                    notes = check_cell(name, cell, task, res)
                    for tool, *_rest in cell["tools"]:
                        r = res[tool]
                        # float32: each tool's float32 fit against its own
                        # float64 fit; the other cells: against scikit-learn.
                        if name == "float32":
                            base = res[tool.replace("float32", "float64")]
                            ratio = base["fit"] / r["fit"]
                            goal = "≥ 1 (vs own float64)" if "float32" in tool else ""
                            ok = ratio >= 0.95 if goal else True
                            if "ciblage" in tool:
                                sk_same = res["scikit-learn " + ("float32" if "float32" in tool else "float64")]
                                goal += f" {sk_same['fit'] / r['fit']:.2f}× sklearn"
                        else:
                            ratio = sk["fit"] / r["fit"]
                            goal = f"≥ {cell['goal']:g}×" if tool != first else ""
                            ok = ratio >= cell["goal"] if goal else True
                        goal += "" if ok else " MISSED"
                        print(
                            f"| {name} | {task} | {rows:,} | {depth} | {tool} | {r['fit']:.3f} | "
                            f"{r['fit_peak']:,.0f} | {r['nodes']:,} | {r['score']:.4f} | {ratio:.2f}× | {goal} |",
                            flush=True,
                        )
                    for note in notes:
                        failures.append(f"{name} {task} {rows} {depth}: {note}")
                        print(f"  {failures[-1]}", file=sys.stderr, flush=True)
    if failures:
        raise SystemExit("checks failed:\n" + "\n".join(failures))


def check_cell(name: str, cell: dict, task: str, res: dict[str, dict]) -> list[str]:
    """The cell's checks: same tree as scikit-learn's (exact splitters;
    regressors: the same node count), held-out scores within the cell's
    tolerance (random, hist); float32 fits give the float64 fits' trees.
    Returns the failures, also raised as an error once the table is
    printed."""
    first = cell["tools"][0][0]
    bad = []
    if "same_tree" in cell:
        ours = res[cell["same_tree"]]
        # Regression sums round apart from scikit-learn's (another order of
        # additions): near-equal splits may differ, the node count may not
        # (as the main table checks).
        same_shape = ours["tree"] == res[first]["tree"] or task != "classifier"
        if ours["nodes"] != res[first]["nodes"] or not same_shape:
            bad.append(
                f"{cell['same_tree']}: tree differs from {first}'s ({ours['nodes']} vs {res[first]['nodes']} nodes)"
            )
    if name == "float32":
        for tool in res:
            if "float32" in tool and res[tool]["tree"] != res[tool.replace("float32", "float64")]["tree"]:
                bad.append(f"{tool}: tree differs from the float64 fit's")
    if "quality" in cell:
        for tool, r in res.items():
            if abs(r["score"] - res[first]["score"]) > cell["quality"]:
                bad.append(f"{tool}: held-out score {r['score']:.4f} vs {res[first]['score']:.4f}")
    return bad


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
    ap.add_argument(
        "--cells",
        default="",
        help=f"issue 28's cells instead of the main table, comma-separated: {', '.join(CELLS)} (or all)",
    )
    ap.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="with --cells: compare elapsed times (wall) or the fits' CPU times (cpu: for a shared machine)",
    )
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    ap.add_argument("--cell-child", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        tool, task, rows, depth = a.child
        return child(tool, task, int(rows), None if depth == "None" else int(depth))
    if a.cell_child:
        return cell_child(json.loads(a.cell_child))
    if a.cells:
        cells = list(CELLS) if a.cells == "all" else a.cells.split(",")
        depths = [None if d == "none" else int(d) for d in a.depths.split(",")]
        rows_list = [int(r) for r in a.rows.split(",")]
        return main_cells(cells, a.tasks.split(","), rows_list, depths, a.rounds, a.clock)
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
