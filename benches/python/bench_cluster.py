"""k-means side by side: ciblage.cluster.KMeans vs scikit-learn's KMeans.

Run from the repository root, after `make develop-release`:
    .venv/bin/python benches/python/bench_cluster.py [--rows 1000000,10000000] [--k 5,10]
        [--iterations 20] [--algorithms lloyd,elkan] [--mini-batch]
Output: a Markdown table on stdout (for docs/benchmarks.md), progress on stderr.

Data (seeded, numpy): `rows` x 8 features, `k` Gaussian blobs of spread 5 (overlapping, so
that the fits run many iterations) around centres drawn uniformly in [-10, 10]^8. Both tools
start from the same centres (scikit-learn's `kmeans_plusplus` on the first 100,000 rows), with
n_init=1, tol=0 and max_iter = --iterations, so that both run the same iterations (the number
each ran is printed; the labels agree). Times are wall-clock seconds of `fit`, per iteration
(fit / n_iter) and per pass over the data (fit / (n_iter + 1): each iteration reads the data
once, and the final assignment once more).
With --mini-batch, MiniBatchKMeans of both (batch 1024, max_iter 1 pass) is timed too.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import numpy as np


def data(rows: int, k: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-10.0, 10.0, size=(k, 8))
    which = rng.integers(0, k, size=rows)
    x = rng.standard_normal(size=(rows, 8))
    x *= 5.0
    x += centres[which]
    return x


def timed(cls: Any, x: np.ndarray, k: int, **params: Any) -> tuple[float, Any]:
    """Seconds of ``cls(k, **params).fit(x)`` and the fitted model."""
    model = cls(k, **params)
    start = time.perf_counter()
    model.fit(x)
    return time.perf_counter() - start, model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default="1000000,10000000")
    parser.add_argument("--k", default="5,10")
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--algorithms", default="lloyd,elkan")
    parser.add_argument("--mini-batch", action="store_true")
    args = parser.parse_args()

    from sklearn.cluster import KMeans as SkKMeans
    from sklearn.cluster import MiniBatchKMeans as SkMiniBatch
    from sklearn.cluster import kmeans_plusplus

    import ciblage
    from ciblage.cluster import KMeans, MiniBatchKMeans

    print(f"ciblage build: {ciblage.__build__}", file=sys.stderr)
    print("| rows | k | algorithm | tool | fit (s) | iterations | s / iteration | s / pass | inertia |")
    print("|---:|---:|---|---|---:|---:|---:|---:|---:|")
    for rows in (int(r) for r in args.rows.split(",")):
        for k in (int(v) for v in args.k.split(",")):
            x = data(rows, k)
            init, _ = kmeans_plusplus(x[:100_000], k, random_state=0)
            for algorithm in args.algorithms.split(","):
                tools = {"ciblage": KMeans, "scikit-learn": SkKMeans}
                labels = {}
                for tool, cls in tools.items():
                    print(f"{rows:,} rows, k={k}, {algorithm}: {tool}", file=sys.stderr)
                    seconds, model = timed(
                        cls, x, k, init=init, n_init=1, max_iter=args.iterations, tol=0.0, algorithm=algorithm
                    )
                    n_iter = int(model.n_iter_)
                    labels[tool] = model.labels_
                    print(
                        f"| {rows:,} | {k} | {algorithm} | {tool} | {seconds:.3f} | {n_iter} | "
                        f"{seconds / n_iter:.4f} | {seconds / (n_iter + 1):.4f} | "
                        f"{model.inertia_:.6g} |"
                    )
                same = float((labels["ciblage"] == labels["scikit-learn"]).mean())
                print(f"labels agree on {same:.4%} of the rows", file=sys.stderr)
            if args.mini_batch:
                for tool, cls in (("ciblage", MiniBatchKMeans), ("scikit-learn", SkMiniBatch)):
                    seconds, model = timed(cls, x, k, init=init, n_init=1, max_iter=1, batch_size=1024, random_state=0)
                    print(
                        f"| {rows:,} | {k} | mini-batch | {tool} | {seconds:.3f} | {model.n_iter_} | "
                        f"{seconds / max(1, model.n_iter_):.4f} | {seconds:.4f} | {model.inertia_:.6g} |"
                    )


if __name__ == "__main__":
    main()
