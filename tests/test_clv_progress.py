"""``progress=`` on every CLV call that takes ``interval=``: the bootstrap
reports ``(done, total)`` on the calling thread, monotone, ending at
``customers x (draws + 1)`` predictions, computes what it computes without
it, and Ctrl-C stops it within half a second (with or without progress)."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pandas as pd
import pytest

import ciblage.clv as clv
from ciblage.exceptions import InvalidParameterError

#: Longest accepted time between the signal and the KeyboardInterrupt.
MAX_DELAY = 0.5


class Calls:
    """A progress callable recording its calls and their threads."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, int]] = []
        self.threads: set[int] = set()

    def __call__(self, done: int, total: int) -> None:
        self.seen.append((done, total))
        self.threads.add(threading.get_ident())

    def check(self, total: int) -> None:
        assert self.seen, "the callable was never called"
        dones = [d for d, _ in self.seen]
        assert dones == sorted(dones), self.seen
        assert all(0 <= d <= t for d, t in self.seen), self.seen
        assert self.seen[-1] == (total, total), self.seen
        assert self.threads == {threading.get_ident()}


def histories(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    T = rng.integers(10, 53, n).astype(float)
    x = rng.poisson(2.0, n).astype(float)
    tx = np.where(x > 0, rng.random(n) * T, 0.0)
    m = np.where(x > 0, rng.gamma(4.0, 10.0, n), 0.0)
    return pd.DataFrame({"frequency": x, "recency": tx, "T": T, "monetary_value": m, "g": np.arange(n) % 2})


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return histories(300)


def interval_calls(data: pd.DataFrame) -> dict[str, object]:
    """Every call that takes interval=, as a function of its keyword arguments."""
    bg, mbg = clv.BgNbd().fit(data), clv.MbgNbd(penalizer=0.01).fit(data)
    gg = clv.GammaGamma().fit(data[data["frequency"] > 0])
    cov = clv.BgNbdCov(trans=["g"], penalizer=0.01).fit(data)
    return {
        "bg.p_alive": lambda **kw: bg.p_alive(data, **kw),
        "mbg.p_alive": lambda **kw: mbg.p_alive(data, **kw),
        "mbg.expected_purchases": lambda **kw: mbg.expected_purchases(4.0, data, **kw),
        "gg.expected_average_spend": lambda **kw: gg.expected_average_spend(data, **kw),
        "gg.clv": lambda **kw: gg.clv(mbg, data, months=2, freq="W", **kw),
        "cov.p_alive": lambda **kw: cov.p_alive(data, **kw),
        "cov.expected_purchases": lambda **kw: cov.expected_purchases(4.0, data, **kw),
        "cov.clv": lambda **kw: cov.clv(gg, data, months=2, freq="W", **kw),
    }


def test_every_interval_call_reports_its_predictions(data: pd.DataFrame) -> None:
    draws = 40
    for name, call in interval_calls(data).items():
        calls = Calls()
        with_progress = call(interval=0.9, draws=draws, seed=2, progress=calls)
        plain = call(interval=0.9, draws=draws, seed=2)
        for a, b in zip(with_progress, plain, strict=True):
            np.testing.assert_array_equal(a, b, err_msg=name)
        # One prediction per customer and draw, plus the estimates.
        calls.check(total=len(data) * (draws + 1))


def test_false_reports_nothing_and_a_bad_progress_names_the_parameter(data: pd.DataFrame) -> None:
    bg = clv.BgNbd().fit(data)
    np.testing.assert_array_equal(
        bg.p_alive(data, interval=0.9, draws=10, progress=False).low, bg.p_alive(data, interval=0.9, draws=10).low
    )
    for bad in ("yes", 3, object()):
        with pytest.raises(InvalidParameterError, match="progress"):
            bg.p_alive(data, interval=0.9, draws=10, progress=bad)


def test_true_without_tqdm_writes_a_line_on_stderr(
    data: pd.DataFrame, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    bg = clv.BgNbd().fit(data)
    bg.p_alive(data, interval=0.9, draws=10, progress=True)
    err = capsys.readouterr().err
    assert "100.0%" in err and f"{len(data) * 11:,}" in err, err


def test_an_exception_of_the_callable_stops_the_bootstrap() -> None:
    class Stop(Exception):
        pass

    def refuse(done: int, total: int) -> None:
        raise Stop(f"{done} of {total}")

    big = histories(20_000)
    # These histories carry no dropout signal: unpenalised, a and b run off
    # to infinity and the estimates have no covariance to draw from.
    bg = clv.BgNbd(penalizer=0.01).fit(big.iloc[:2_000])
    start = time.monotonic()
    with pytest.raises(Stop):
        bg.expected_purchases(4.0, big, interval=0.9, draws=20_000, progress=refuse)
    assert time.monotonic() - start < 5.0


CHILD = """
import sys, time
import numpy as np
import ciblage.clv as clv
sys.path.insert(0, {here!r})
from test_clv_progress import histories
big = histories(50_000)
model = clv.{model}(penalizer=0.01).fit(big.iloc[:2_000])
print("start", flush=True)
try:
    {call}
except KeyboardInterrupt:
    print("interrupted", time.monotonic(), flush=True)
else:
    print("finished", time.monotonic(), flush=True)
"""

CASES = {
    "p_alive": ("BgNbd", "model.p_alive(big, interval=0.9, draws=20_000)"),
    "p_alive_progress": ("MbgNbd", "model.p_alive(big, interval=0.9, draws=20_000, progress=lambda d, t: None)"),
    "expected_purchases": ("BgNbd", "model.expected_purchases(4.0, big, interval=0.9, draws=20_000)"),
}


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process")
@pytest.mark.parametrize("case", sorted(CASES))
def test_ctrl_c_stops_the_bootstrap(case: str) -> None:
    import os

    model, call = CASES[case]
    code = textwrap.dedent(CHILD).format(here=os.path.dirname(__file__), model=model, call=call)
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.strip() == "start", line + child.stderr.read()  # type: ignore[union-attr]
        time.sleep(0.6)
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    words = out.split()
    assert len(words) == 2, out + err
    assert words[0] == "interrupted", f"{case}: the call ran to its end"
    delay = float(words[1]) - sent
    assert delay < MAX_DELAY, f"{case}: KeyboardInterrupt {delay:.3f} s after the signal"
