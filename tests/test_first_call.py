"""The first call in a process: no import on its path, and no thread pool
started by the import (a process forked after `import ciblage` must be able
to compute). Each check runs in a fresh interpreter, since the test process
has long made its first calls."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

# The grid's functions (benches/python/peers.py), from a pandas and a pyarrow table.
CALLS = textwrap.dedent(
    """
    import ciblage

    def calls(df):
        ciblage.rfm_analysis(df).customers
        ciblage.value_tiers(ciblage.customer_totals(df), value="revenue", shares=(0.05, 0.15, 0.8))
        ciblage.retention(df, period="month").cohorts("classic", shares=False)
        ciblage.clv.summary(df)

    table = ciblage.datasets.transactions(customers=300, transactions=20_000, seed=7)
    frame = table.to_pandas()
    """
)


def run_fresh(script: str, timeout: float = 300) -> str:
    out = subprocess.run(
        [sys.executable, "-c", CALLS + textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "RAYON_NUM_THREADS": "2"},
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()[-1]


def test_a_first_call_imports_no_module() -> None:
    # Every module a call needs is imported with ciblage: the first call of
    # each function pays no import (expected: nothing new in sys.modules).
    got = run_fresh(
        """
        import json, sys
        before = set(sys.modules)
        calls(table)
        calls(frame)
        print(json.dumps(sorted(set(sys.modules) - before)))
        """
    )
    assert json.loads(got) == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts the threads in /proc/self/task")
def test_the_import_starts_no_thread_and_a_forked_process_computes() -> None:
    # The thread pool starts at the first parallel call, not at the import: a
    # child forked after the import (multiprocessing's default on Linux)
    # inherits no pool whose threads it lacks, and computes (a pool started
    # before the fork would leave the child waiting forever on threads that
    # were not forked: the alarm ends it). The child's totals equal the
    # parent's, computed after the fork.
    script = textwrap.dedent(
        """
        import json, os, signal
        import numpy, pandas, pyarrow

        def threads():
            return len(os.listdir("/proc/self/task"))

        # The threads of the libraries ciblage imports run already.
        before = threads()
        import ciblage

        after = threads()
        # Made without ciblage: a call before the fork would start the pool.
        rng = numpy.random.default_rng(7)
        table = pyarrow.table(
            {
                "customer_id": numpy.arange(20_000) % 300,
                "timestamp": pyarrow.array(
                    numpy.datetime64("2024-01-01") + rng.integers(0, 365 * 86_400, 20_000).astype("m8[s]"),
                    pyarrow.timestamp("us"),
                ),
                "amount": rng.integers(1, 10_000, 20_000) / 100,
            }
        )
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            signal.alarm(120)
            totals = ciblage.customer_totals(table).to_pandas()
            os.write(write, json.dumps([len(totals), float(totals["revenue"].sum())]).encode())
            os._exit(0)
        os.close(write)
        child = json.loads(os.read(read, 1 << 16) or b"null")
        os.waitpid(pid, 0)
        totals = ciblage.customer_totals(table).to_pandas()
        parent = [len(totals), float(totals["revenue"].sum())]
        expected = float(numpy.asarray(table["amount"]).sum())
        print(json.dumps({"before": before, "after": after, "child": child, "parent": parent, "expected": expected}))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "RAYON_NUM_THREADS": "2"},
    )
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["after"] == res["before"]
    assert res["child"] == res["parent"]
    # 300 customers; their revenues add up to the amounts' total as numpy sums them.
    assert res["parent"][0] == 300
    assert res["parent"][1] == pytest.approx(res["expected"], rel=1e-12)


FORK = textwrap.dedent(
    """
    import json, os, signal
    import numpy

    def forked(work):
        # The child's result, or None when it is still waiting after 120 s.
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            signal.alarm(120)
            os.write(write, json.dumps(work()).encode())
            os._exit(0)
        os.close(write)
        got = json.loads(os.read(read, 1 << 16) or b"null")
        os.waitpid(pid, 0)
        return got

    def grid():
        calls(table)
        calls(frame)
        totals = ciblage.customer_totals(table).to_pandas()
        summary = ciblage.clv.summary(table).to_pandas()
        return [float(totals["revenue"].sum()), float(summary["T"].sum())]

    def trees(n_threads):
        totals = ciblage.customer_totals(frame)
        x = numpy.column_stack([totals["transactions"], totals["revenue"]])
        tree = ciblage.CartClassifier(max_depth=3, n_threads=n_threads).fit(x, totals["transactions"] > 60)
        return tree.predict(x).tolist()
    """
)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork")
@pytest.mark.parametrize(
    "case",
    [
        # The parent's calls start rayon's global pool.
        "parent = grid()\nchild = forked(grid)",
        # The parent's fits start CART's pools (the caller's of 2 threads,
        # then a shared one of 3).
        "trees(None)\nparent = trees(3)\nchild = forked(lambda: trees(3))",
    ],
)
def test_a_process_forked_after_parallel_calls_computes(case: str) -> None:
    # The parent computes, then forks: the threads of its pools are not in
    # the child, whose calls run in pools of its own and give the parent's
    # results (a child left waiting on the parent's pools is ended by the
    # alarm and reports nothing).
    res = json.loads(run_fresh(FORK + case + "\nprint(json.dumps({'child': child, 'parent': parent}))\n"))
    assert res["child"] == res["parent"]
