"""``progress=``: long calls report ``(done, total)`` to a callable, on the
calling thread, monotone, ending at ``(total, total)``, and compute exactly
what they compute without it."""

from __future__ import annotations

import sys
import threading
import time

import numpy as np
import pandas as pd
import pytest

import ciblage
from ciblage import _native
from ciblage.exceptions import InvalidParameterError


class Calls:
    """A progress callable recording its calls and their threads."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, int]] = []
        self.threads: set[int] = set()

    def __call__(self, done: int, total: int) -> None:
        self.seen.append((done, total))
        self.threads.add(threading.get_ident())

    def check(self, total: int | None = None) -> None:
        assert self.seen, "the callable was never called"
        dones = [d for d, _ in self.seen]
        assert dones == sorted(dones), self.seen
        assert all(0 <= d <= t for d, t in self.seen), self.seen
        last = self.seen[-1]
        assert last[0] == last[1], self.seen
        if total is not None:
            assert last == (total, total), self.seen
        assert self.threads == {threading.get_ident()}


def matrix(n: int = 4_000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    x = rng.random((n, 4))
    return x, x[:, 0] * 3 + np.sin(x[:, 1] * 7) + rng.random(n) * 0.1


def same_tree(a: object, b: object) -> None:
    ta, tb = a.tree_, b.tree_  # type: ignore[attr-defined]
    for attr in ("children_left", "children_right", "feature", "threshold", "n_node_samples"):
        assert np.array_equal(np.asarray(getattr(ta, attr)), np.asarray(getattr(tb, attr))), attr


@pytest.mark.parametrize("splitter", ["best", "hist"])
def test_cart_fit_counts_every_sample_and_grows_the_same_tree(splitter: str) -> None:
    x, y = matrix()
    calls = Calls()
    with_bar = ciblage.CartRegressor(splitter=splitter, max_depth=10, random_state=0).fit(x, y, progress=calls)
    plain = ciblage.CartRegressor(splitter=splitter, max_depth=10, random_state=0).fit(x, y)
    same_tree(with_bar, plain)
    # Every one of the 4,000 samples ends in exactly one leaf.
    calls.check(total=4_000)


def test_cart_classifier_and_its_cross_validation() -> None:
    x, y = matrix()
    labels = (y > np.median(y)).astype(int)
    calls = Calls()
    ciblage.CartClassifier(max_leaf_nodes=20).fit(x, labels, sample_weight=np.ones(len(x)), progress=calls)
    calls.check(total=4_000)
    calls = Calls()
    model = ciblage.CartClassifier(max_depth=5, random_state=0)
    table = model.cost_complexity_cv(x, labels, cv=4, progress=calls)
    pd.testing.assert_frame_equal(table, model.cost_complexity_cv(x, labels, cv=4))
    # The full tree (4,000 samples) and four folds of 3,000 each.
    calls.check(total=4_000 + 4 * 3_000)


def test_chaid_fit() -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({f"x{i}": rng.integers(0, 5, 3_000) for i in range(3)})
    y = (X["x0"] + rng.integers(0, 2, 3_000)) % 3
    calls = Calls()
    fitted = ciblage.ChaidClassifier().fit(X, y, progress=calls)
    calls.check(total=3_000)
    assert fitted.tree_.to_json() == ciblage.ChaidClassifier().fit(X, y).tree_.to_json()


def test_rfm_and_retention() -> None:
    tx = ciblage.datasets.transactions(customers=500, transactions=5_000, library="pandas")
    calls = Calls()
    table = ciblage.rfm(tx, progress=calls)
    pd.testing.assert_frame_equal(table, ciblage.rfm(tx))
    calls.check()
    calls = Calls()
    result = ciblage.rfm_analysis(tx, progress=calls)
    pd.testing.assert_frame_equal(result.customers, ciblage.rfm(tx))
    calls.check()
    calls = Calls()
    r = ciblage.retention(tx, progress=calls)
    pd.testing.assert_frame_equal(r.periods, ciblage.retention(tx).periods)
    # Three passes: the span of days, the scan, the cohort tables.
    calls.check(total=3)


def test_clv_fits() -> None:
    tx = ciblage.datasets.transactions(customers=400, transactions=4_000, library="pandas")
    summary = ciblage.clv.summary(tx)
    for model in (ciblage.clv.BgNbd(), ciblage.clv.ParetoNbd()):
        calls = Calls()
        model.fit(summary, progress=calls)
        again = type(model)().fit(summary)
        assert model.params_ == again.params_
        # Evaluations counted against max_iterations (1,000 by default).
        calls.check(total=1_000)


def test_true_without_tqdm_writes_a_line_on_stderr(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # import fails
    x, y = matrix(500)
    ciblage.CartRegressor().fit(x, y, progress=True)
    err = capsys.readouterr().err
    assert "CartRegressor.fit" in err and "100.0% (500/500)" in err and err.endswith("\n")


def test_true_with_tqdm_makes_a_bar(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("tqdm")
    x, y = matrix(500)
    ciblage.CartRegressor().fit(x, y, progress=True)
    err = capsys.readouterr().err
    assert "CartRegressor.fit" in err and "500/500" in err


@pytest.mark.parametrize("bad", [1, "yes", 0.5, [None]])
def test_a_bad_progress_names_the_parameter(bad: object) -> None:
    x, y = matrix(100)
    with pytest.raises(InvalidParameterError, match="progress"):
        ciblage.CartRegressor().fit(x, y, progress=bad)
    tx = ciblage.datasets.transactions(customers=50, transactions=200)
    with pytest.raises(InvalidParameterError, match="progress"):
        ciblage.rfm(tx, progress=bad)


def test_false_and_none_report_nothing() -> None:
    x, y = matrix(100)
    ciblage.CartRegressor().fit(x, y, progress=False)
    ciblage.CartRegressor().fit(x, y, progress=None)


def test_calls_are_rate_limited_and_monotone() -> None:
    calls = Calls()
    start = time.monotonic()
    _native._wait_for_test(1.0, progress=calls)
    elapsed = time.monotonic() - start
    calls.check(total=1_000)
    # About one call per 100 ms, and the last one.
    assert 5 <= len(calls.seen) <= elapsed * 10 + 2, calls.seen


def test_an_exception_of_the_callable_stops_the_call() -> None:
    class Stop(Exception):
        pass

    def refuse(done: int, total: int) -> None:
        raise Stop(f"{done} of {total}")

    start = time.monotonic()
    with pytest.raises(Stop):
        _native._wait_for_test(30.0, progress=refuse)
    assert time.monotonic() - start < 1.0


def test_ctrl_c_stops_a_call_with_progress() -> None:
    import _thread

    calls = Calls()
    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        _native._wait_for_test(30.0, progress=calls)
    timer.join()
    assert time.monotonic() - start < 0.3 + 0.5
    assert calls.seen and all(d < t for d, t in calls.seen)


def test_calls_from_another_thread_report_on_that_thread() -> None:
    calls = Calls()
    out: list[float] = []
    worker = threading.Thread(target=lambda: out.append(_native._wait_for_test(0.3, progress=calls)))
    worker.start()
    worker.join()
    assert out and calls.seen[-1] == (300, 300)
    assert calls.threads == {worker.ident}
