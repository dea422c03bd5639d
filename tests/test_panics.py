"""A Rust panic never reaches Python as PanicException (a BaseException
that ``except Exception`` lets through): it becomes
``ciblage.exceptions.InternalError``, saying it is a bug and giving the
panic's message. ``_native._panic_for_test`` panics on purpose."""

from __future__ import annotations

import threading

import pytest

import ciblage
from ciblage import _native
from ciblage.exceptions import CiblageError, InternalError


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("guard", "test panic on the calling thread"),
        ("run", "test panic in the work"),
        ("rayon", "test panic in a rayon task"),
    ],
)
def test_a_panic_is_an_internal_error(where: str, message: str) -> None:
    with pytest.raises(InternalError, match=rf"bug.*panic: {message}") as info:
        _native._panic_for_test(where)
    assert isinstance(info.value, Exception)
    assert isinstance(info.value, CiblageError)
    assert isinstance(info.value, RuntimeError)


def test_except_exception_catches_it() -> None:
    caught = None
    try:
        _native._panic_for_test("rayon")
    except Exception as e:  # what PanicException would escape
        caught = e
    assert type(caught) is InternalError


def test_the_module_works_after_a_panic() -> None:
    for where in ("guard", "run", "rayon"):
        with pytest.raises(InternalError):
            _native._panic_for_test(where)
    # The same threads and locks serve the next calls.
    tx = ciblage.datasets.transactions(customers=50, transactions=500)
    scores = ciblage.rfm(tx, customer="customer_id", timestamp="timestamp", amount="amount")
    assert scores.num_rows == len(set(tx.column("customer_id").to_pylist()))
    assert _native._wait_for_test(0.01) >= 0.01


def test_panics_on_two_threads_at_once() -> None:
    errors: list[BaseException] = []

    def panic() -> None:
        try:
            _native._panic_for_test("rayon")
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=panic) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [type(e) for e in errors] == [InternalError] * 4
