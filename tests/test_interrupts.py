"""Ctrl-C stops every long native call promptly with KeyboardInterrupt.

Each case runs in a child process: the child builds its input, prints
``start`` and makes one long call; the parent sends SIGINT a little later and
the child prints the time (CLOCK_MONOTONIC, shared by both processes) at
which the KeyboardInterrupt reached Python. The delay is measured from the
parent's signal to that time.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import ciblage
from ciblage import _native

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process")

#: Longest accepted time between the signal and the KeyboardInterrupt.
MAX_DELAY = 0.5
#: Time between the child's ``start`` and the signal: the call is then
#: well into its work.
SIGNAL_AFTER = 0.6

#: An unoptimised build (``make develop``) is about ten times slower: its
#: inputs are about ten times smaller, so that its slowest uninterruptible
#: step (sorting a large node's rows by one feature, say) is about as short
#: as in a release build at full size.
DEBUG = bool(getattr(_native, "_debug_build", False))
ROWS = 200_000 if DEBUG else 2_000_000
#: Copies of the 2M synthetic transactions: 4M rows (debug) or 32M rows.
COPIES = 2 if DEBUG else 16

SETUP_TRANSACTIONS = f"""
import pyarrow as pa, pyarrow.feather as feather
table = pa.concat_tables([feather.read_table(sys.argv[1])] * {COPIES})
"""

SETUP_MATRIX = f"rng = np.random.default_rng(0); X = rng.random(({ROWS}, 4)); y = rng.random({ROWS})"

SETUP_CHAID = f"""
import pandas as pd
rng = np.random.default_rng(0)
n = {ROWS // 2}
X = pd.DataFrame({{f"x{{i}}": rng.integers(0, 10, n) for i in range(10)}})
y = (X["x0"] + X["x1"] + X["x2"] + X["x3"] + rng.integers(0, 2, n)) % 4
"""

TX = "customer='customer_id', timestamp='timestamp', amount='amount'"

CASES = {
    "cart_exact": (SETUP_MATRIX, "ciblage.CartRegressor().fit(X, y)"),
    "cart_hist": (SETUP_MATRIX, "ciblage.CartRegressor(splitter='hist').fit(X, y)"),
    # With progress on, the work runs on a thread of its own while the
    # calling thread reports: Ctrl-C stops it as promptly.
    "cart_exact_progress": (SETUP_MATRIX, "ciblage.CartRegressor().fit(X, y, progress=lambda d, t: None)"),
    "cart_best_first": (
        SETUP_MATRIX,
        f"ciblage.CartRegressor(max_leaf_nodes={ROWS}).fit(X, y)",
    ),
    "cart_classifier_hist_best_first": (
        SETUP_MATRIX + "; y = (y * 5).astype(int)",
        f"ciblage.CartClassifier(splitter='hist', max_leaf_nodes={ROWS}).fit(X, y)",
    ),
    "cart_absolute_error": (
        SETUP_MATRIX.replace(str(ROWS), str(ROWS // 4)),
        "ciblage.CartRegressor(criterion='absolute_error').fit(X, y)",
    ),
    "cart_cost_complexity_cv": (
        SETUP_MATRIX,
        "ciblage.CartRegressor(max_depth=8).cost_complexity_cv(X, y, cv=5)",
    ),
    "chaid": (
        SETUP_CHAID,
        "ciblage.ChaidClassifier(exhaustive=True, max_depth=30, min_parent=4, min_child=2,"
        " alpha_merge=0.5, alpha_split=0.5, bonferroni=False).fit(X, y)",
    ),
    "rfm": (SETUP_TRANSACTIONS, f"for _ in range(1000): ciblage.rfm(table, {TX})"),
    "rfm_progress": (SETUP_TRANSACTIONS, f"for _ in range(1000): ciblage.rfm(table, {TX}, progress=lambda d, t: None)"),
    "retention": (SETUP_TRANSACTIONS, f"for _ in range(1000): ciblage.retention(table, {TX})"),
    "churn_flags": (SETUP_TRANSACTIONS, f"for _ in range(1000): ciblage.churn_flags(table, {TX})"),
    "customer_state": (
        SETUP_TRANSACTIONS,
        f"for _ in range(1000): ciblage.lifecycle.customer_state(table, today='2024-06-01', {TX})",
    ),
    "lifecycle_evaluate": (
        SETUP_TRANSACTIONS + f"state = ciblage.lifecycle.customer_state(table, today='2024-06-01', {TX})\n",
        "for _ in range(1000): ciblage.lifecycle.evaluate(state, today='2024-06-01')",
    ),
    "value_tiers": (
        SETUP_TRANSACTIONS + "totals = ciblage.customer_totals(table, customer='customer_id', amount='amount')\n",
        "for _ in range(1000): ciblage.value_tiers(totals, value='revenue', customer='customer_id')",
    ),
    "choose_k": (SETUP_MATRIX, "ciblage.cluster.choose_k(X, range(2, 60))"),
    "stability": (SETUP_MATRIX, "ciblage.cluster.stability(X, 20, n_resamples=1000)"),
    "customer_totals": (
        SETUP_TRANSACTIONS,
        "for _ in range(1000): ciblage.customer_totals(table, customer='customer_id', amount='amount')",
    ),
}

CHILD = """
import sys, time
import numpy as np
import ciblage
import ciblage.cluster
{setup}
print("start", flush=True)
try:
    {call}
except KeyboardInterrupt:
    print("interrupted", time.monotonic(), flush=True)
else:
    print("finished", time.monotonic(), flush=True)
"""


@pytest.fixture(scope="module")
def transactions_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    """2M synthetic transactions (200k customers) in a Feather file."""
    import pyarrow.feather as feather

    path = tmp_path_factory.mktemp("interrupts") / "transactions.feather"
    table = ciblage.datasets.transactions(customers=200_000, transactions=2_000_000, seed=1)
    feather.write_feather(table, str(path))
    return str(path)


def interrupt_child(setup: str, call: str, data: str = "") -> tuple[str, float]:
    """Runs the call in a child, interrupts it; returns the child's last
    word and the delay between the signal and that word."""
    code = CHILD.format(setup=textwrap.dedent(setup), call=call)
    child = subprocess.Popen(
        [sys.executable, "-c", code, data],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.strip() == "start", line + child.stderr.read()  # type: ignore[union-attr]
        time.sleep(SIGNAL_AFTER)
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    words = out.split()
    assert len(words) == 2, out + err
    return words[0], float(words[1]) - sent


@pytest.mark.parametrize("case", sorted(CASES))
def test_ctrl_c_stops_the_call(case: str, transactions_file: str) -> None:
    setup, call = CASES[case]
    word, delay = interrupt_child(setup, call, transactions_file)
    assert word == "interrupted", f"{case}: the call ran to its end"
    assert delay < MAX_DELAY, f"{case}: KeyboardInterrupt {delay:.3f} s after the signal"


# The helper every long call goes through, on `_native._wait_for_test`
# (works for the given seconds, checking its token as the core does).


@pytest.fixture(autouse=True)
def python_handles_sigint():
    """Python's own SIGINT handler (KeyboardInterrupt), as in any Python
    started from a terminal: a runner started in the background by a
    non-interactive shell inherits SIGINT ignored, and then
    ``_thread.interrupt_main`` does nothing."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def interrupt_main_after(seconds: float) -> threading.Timer:
    import _thread

    timer = threading.Timer(seconds, _thread.interrupt_main)
    timer.start()
    return timer


def test_keyboard_interrupt_in_process() -> None:
    timer = interrupt_main_after(0.2)
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        _native._wait_for_test(30.0)
    timer.join()
    assert time.monotonic() - start < 0.2 + MAX_DELAY


def test_the_signal_handlers_exception_is_raised() -> None:
    class Stop(Exception):
        pass

    def handler(signum: int, frame: object) -> None:
        raise Stop("from the handler")

    previous = signal.signal(signal.SIGINT, handler)
    try:
        timer = interrupt_main_after(0.1)
        with pytest.raises(Stop, match="from the handler"):
            _native._wait_for_test(30.0)
        timer.join()
    finally:
        signal.signal(signal.SIGINT, previous)


def test_calls_on_two_threads_do_not_stop_each_other() -> None:
    waited: list[float] = []
    other = threading.Thread(target=lambda: waited.append(_native._wait_for_test(1.0)))
    other.start()
    timer = interrupt_main_after(0.2)
    with pytest.raises(KeyboardInterrupt):
        _native._wait_for_test(30.0)
    timer.join()
    other.join()
    # The other thread's call ran its whole second.
    assert len(waited) == 1 and waited[0] >= 1.0


def test_short_calls_return_at_once() -> None:
    start = time.monotonic()
    for _ in range(200):
        assert _native._wait_for_test(0.0) >= 0.0
    # No poll interval is waited for a call that is already done.
    assert time.monotonic() - start < 1.0


def test_a_wakeup_descriptor_set_before_the_call_is_put_back_and_told() -> None:
    """An event loop's wake-up descriptor (asyncio, a notebook kernel) is
    restored after the call, and gets the numbers of the signals that
    arrived during it."""
    import socket

    ours, theirs = socket.socketpair()
    theirs.setblocking(False)
    previous = signal.set_wakeup_fd(theirs.fileno(), warn_on_full_buffer=False)
    try:
        assert _native._wait_for_test(0.0) >= 0.0
        timer = interrupt_main_after(0.1)
        with pytest.raises(KeyboardInterrupt):
            _native._wait_for_test(30.0)
        timer.join()
        assert signal.set_wakeup_fd(theirs.fileno(), warn_on_full_buffer=False) == theirs.fileno()
        ours.settimeout(1.0)
        assert signal.SIGINT in ours.recv(64)
    finally:
        signal.set_wakeup_fd(previous)
        ours.close()
        theirs.close()


def test_calls_off_the_main_thread_run_to_the_end() -> None:
    """Python delivers signals to the main thread: a call made on another
    thread cannot install the wake-up descriptor and is never stopped."""
    out: list[float] = []
    worker = threading.Thread(target=lambda: out.append(_native._wait_for_test(0.3)))
    worker.start()
    worker.join()
    assert len(out) == 1 and out[0] >= 0.3
