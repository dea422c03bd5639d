"""Clustering side by side: ciblage's KMeans vs scikit-learn's, KPrototypes vs kmodes'.

Run from the repository root, after `make develop-release`:
    .venv/bin/python benches/python/bench_cluster.py [--rows 1000000,10000000] [--k 5,10]
        [--iterations 20] [--repeat 1] [--algorithms lloyd,elkan] [--mini-batch]
        [--kproto-rows 20000,100000] [--kproto-n-init 1] [--memory 10000000]
        [--skip kmeans,kprototypes,kmodes-tool,memory]
Output: Markdown tables on stdout (for docs/benchmarks.md), progress on stderr.

k-means data (seeded, numpy): `rows` x 8 features, `k` Gaussian blobs of spread 5
(overlapping, so that the fits run many iterations) around centres drawn uniformly in
[-10, 10]^8. Both tools start from the same centres (scikit-learn's `kmeans_plusplus` on the
first 100,000 rows), with n_init=1, tol=0 and max_iter = --iterations, so that both run the
same iterations (the number each ran is printed; the labels agree). Times are wall-clock
seconds of `fit`, per iteration (fit / n_iter). With --repeat R, the two tools are timed
alternately R times on the same data (one row per fit, one ratio per round on stderr): on a
shared machine, a ratio is only meaningful between fits run side by side. "one read" is the time of one plain pass over
the data (numpy's sum of every value, best of 3, one thread): the memory floor of an
iteration.
With --mini-batch, MiniBatchKMeans of both (batch 1024, max_iter 1 pass) is timed too.

k-prototypes data: `rows` x (5 numeric features, Gaussian blobs around 5 centres, + 3
categorical features of 4, 6 and 8 levels, the blob's own level with probability 0.7), k=5,
init "Cao", n_init = --kproto-n-init (the same for both), max_iter 100. `kmodes`' time is
measured at every size (give `--skip kmodes-tool` to time ciblage alone; nothing is scaled).

Memory (--memory rows, 0 to skip): a fresh Python process builds a rows x 8 matrix in place
(no temporary copy), reads its resident size (/proc/self/statm), fits ciblage's KMeans (k=10,
Lloyd, 5 iterations) and reads its peak resident size (VmHWM): the difference bounds what
the fit held beyond the input (labels, centres, buffers; the labels returned to Python
included), to be compared with the 8 bytes x rows x 8 of one copy.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from typing import Any

import numpy as np


def data(rows: int, k: int, seed: int = 0) -> np.ndarray:
    """The k-means blobs, built block by block (no temporary of the whole size)."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-10.0, 10.0, size=(k, 8))
    x = np.empty((rows, 8))
    step = 1 << 16
    for lo in range(0, rows, step):
        hi = min(rows, lo + step)
        which = rng.integers(0, k, size=hi - lo)
        block = rng.standard_normal(size=(hi - lo, 8))
        block *= 5.0
        block += centres[which]
        x[lo:hi] = block
    return x


def mixed(rows: int, seed: int = 0) -> tuple[np.ndarray, list[int]]:
    """The k-prototypes rows: an object matrix (5 numbers, 3 category names)
    and the indices of its categorical columns."""
    rng = np.random.default_rng(seed)
    k = 5
    which = rng.integers(0, k, size=rows)
    centres = rng.uniform(-5.0, 5.0, size=(k, 5))
    num = centres[which] + rng.standard_normal(size=(rows, 5))
    cols: list[np.ndarray] = []
    for levels in (4, 6, 8):
        own = which % levels
        other = rng.integers(0, levels, size=rows)
        pick = np.where(rng.random(rows) < 0.7, own, other)
        cols.append(np.array([f"l{v}" for v in range(levels)], dtype=object)[pick])
    x = np.empty((rows, 8), dtype=object)
    x[:, :5] = num
    for j, c in enumerate(cols):
        x[:, 5 + j] = c
    return x, [5, 6, 7]


def one_read(x: np.ndarray) -> float:
    """Seconds of one plain pass over ``x`` (best of 3)."""
    best = float("inf")
    flat = x.reshape(-1)
    for _ in range(3):
        start = time.perf_counter()
        flat.sum()
        best = min(best, time.perf_counter() - start)
    return best


def timed(cls: Any, x: np.ndarray, k: int, **params: Any) -> tuple[float, Any]:
    """Seconds of ``cls(k, **params).fit(x)`` and the fitted model."""
    model = cls(k, **params)
    start = time.perf_counter()
    model.fit(x)
    return time.perf_counter() - start, model


def bench_kmeans(args: argparse.Namespace) -> None:
    from sklearn.cluster import KMeans as SkKMeans
    from sklearn.cluster import MiniBatchKMeans as SkMiniBatch
    from sklearn.cluster import kmeans_plusplus

    from ciblage.cluster import KMeans, MiniBatchKMeans

    print("| rows | k | algorithm | tool | fit (s) | iterations | s / iteration | one read (s) | inertia |")
    print("|---:|---:|---|---|---:|---:|---:|---:|---:|")
    for rows in (int(r) for r in args.rows.split(",")):
        for k in (int(v) for v in args.k.split(",")):
            x = data(rows, k)
            read = one_read(x)
            init, _ = kmeans_plusplus(x[:100_000], k, random_state=0)
            for algorithm in args.algorithms.split(","):
                tools = {"ciblage": KMeans, "scikit-learn": SkKMeans}
                ratios = []
                for _ in range(args.repeat):
                    labels = {}
                    per_iter = {}
                    for tool, cls in tools.items():
                        print(f"{rows:,} rows, k={k}, {algorithm}: {tool}", file=sys.stderr)
                        seconds, model = timed(
                            cls, x, k, init=init, n_init=1, max_iter=args.iterations, tol=0.0, algorithm=algorithm
                        )
                        n_iter = int(model.n_iter_)
                        labels[tool] = model.labels_
                        per_iter[tool] = seconds / n_iter
                        print(
                            f"| {rows:,} | {k} | {algorithm} | {tool} | {seconds:.3f} | {n_iter} | "
                            f"{seconds / n_iter:.4f} | {read:.4f} | {model.inertia_:.6g} |"
                        )
                    same = float((labels["ciblage"] == labels["scikit-learn"]).mean())
                    ratio = per_iter["scikit-learn"] / per_iter["ciblage"]
                    ratios.append(ratio)
                    print(
                        f"{rows:,} rows, k={k}, {algorithm}: ciblage {ratio:.2f}x scikit-learn per iteration, "
                        f"{per_iter['ciblage'] / read:.1f} reads per iteration; labels agree on {same:.4%} of the rows",
                        file=sys.stderr,
                    )
                if len(ratios) > 1:
                    print(
                        f"{rows:,} rows, k={k}, {algorithm}: ratios "
                        + ", ".join(f"{r:.2f}x" for r in ratios)
                        + f" (least {min(ratios):.2f}x)",
                        file=sys.stderr,
                    )
            if args.mini_batch:
                for tool, cls in (("ciblage", MiniBatchKMeans), ("scikit-learn", SkMiniBatch)):
                    seconds, model = timed(cls, x, k, init=init, n_init=1, max_iter=1, batch_size=1024, random_state=0)
                    print(
                        f"| {rows:,} | {k} | mini-batch | {tool} | {seconds:.3f} | {model.n_iter_} | "
                        f"{seconds / max(1, model.n_iter_):.4f} | {read:.4f} | {model.inertia_:.6g} |"
                    )
            del x


def bench_kprototypes(args: argparse.Namespace, skip: set[str]) -> None:
    from ciblage.cluster import KPrototypes

    # A first small fit of each tool: the imports it does on first use
    # (pandas for ciblage) are not fit time.
    warm, warm_cat = mixed(200)
    KPrototypes(n_clusters=2, n_init=1).fit(warm, categorical=warm_cat)
    print()
    print("| rows | k | tool | n_init | fit (s) | iterations | s / iteration | cost |")
    print("|---:|---:|---|---:|---:|---:|---:|---:|")
    for rows in (int(r) for r in args.kproto_rows.split(",")):
        x, cat = mixed(rows)
        tools: dict[str, Any] = {"ciblage": KPrototypes}
        if "kmodes-tool" not in skip:
            from kmodes.kprototypes import KPrototypes as KmKPrototypes

            tools["kmodes"] = KmKPrototypes
        seconds: dict[str, float] = {}
        for tool, cls in tools.items():
            print(f"k-prototypes {rows:,} rows: {tool}", file=sys.stderr)
            model = cls(n_clusters=5, init="Cao", n_init=args.kproto_n_init, max_iter=100, random_state=0)
            start = time.perf_counter()
            model.fit(x, categorical=cat)
            seconds[tool] = time.perf_counter() - start
            n_iter = int(model.n_iter_)
            print(
                f"| {rows:,} | 5 | {tool} | {args.kproto_n_init} | {seconds[tool]:.3f} | {n_iter} | "
                f"{seconds[tool] / max(1, n_iter):.4f} | {model.cost_:.6g} |"
            )
        if "kmodes" in seconds:
            print(
                f"k-prototypes {rows:,} rows: ciblage {seconds['kmodes'] / seconds['ciblage']:.0f}x kmodes (fit time)",
                file=sys.stderr,
            )


MEMORY = """
import resource, sys
sys.path.insert(0, "benches/python")
from bench_cluster import data
from ciblage.cluster import KMeans
x = data({rows}, 10)
# Resident size now (KiB): the input and the interpreter, without the peaks
# of building the input.
with open("/proc/self/statm") as f:
    before = int(f.read().split()[1]) * resource.getpagesize() // 1024
KMeans(10, n_init=1, max_iter=5, tol=0.0, random_state=0, init="random").fit(x)
# Peak resident size of this process's own memory (KiB): VmHWM, not ru_maxrss,
# which Linux carries over from the parent across fork and exec (the parent
# held the timing runs' data).
with open("/proc/self/status") as f:
    after = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
print(before, after)
"""


def bench_memory(rows: int) -> None:
    out = subprocess.run(
        [sys.executable, "-c", MEMORY.format(rows=rows)], check=True, capture_output=True, text=True
    ).stdout.split()
    before, after = (int(v) * 1024 for v in out[-2:])
    copy = rows * 8 * 8
    print()
    print("| rows | input (MB) | resident before (MB) | peak after (MB) | fit beyond input (MB) | share of a copy |")
    print("|---:|---:|---:|---:|---:|---:|")
    extra = after - before
    print(
        f"| {rows:,} | {copy / 1e6:.0f} | {before / 1e6:.0f} | {after / 1e6:.0f} | {extra / 1e6:.0f} | "
        f"{extra / copy:.0%} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default="1000000,10000000")
    parser.add_argument("--k", default="5,10")
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=1, help="k-means fits of each tool, alternately")
    parser.add_argument("--algorithms", default="lloyd,elkan")
    parser.add_argument("--mini-batch", action="store_true")
    parser.add_argument("--kproto-rows", default="20000,100000")
    parser.add_argument("--kproto-n-init", type=int, default=1)
    parser.add_argument("--memory", type=int, default=10_000_000, help="rows of the memory check (0: none)")
    parser.add_argument("--skip", default="", help="comma-separated: kmeans, kprototypes, kmodes-tool, memory")
    args = parser.parse_args()
    skip = {s for s in args.skip.split(",") if s}

    import ciblage

    print(f"ciblage build: {ciblage.__build__}", file=sys.stderr)
    if "kmeans" not in skip:
        bench_kmeans(args)
    if "kprototypes" not in skip:
        bench_kprototypes(args, skip)
    if "memory" not in skip and args.memory > 0:
        bench_memory(args.memory)


if __name__ == "__main__":
    main()
