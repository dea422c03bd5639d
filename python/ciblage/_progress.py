"""The ``progress`` parameter of long calls: ``False`` (default), ``True``
(a tqdm bar when tqdm is installed, else a line on stderr rewritten in
place) or a callable receiving ``(done, total)``.

The native module calls the callable on the calling thread, with the GIL,
at most about ten times a second, and last with ``(total, total)`` when the
call succeeded; units are what the computation counts (samples placed in
leaves for trees, rows read for RFM, passes for retention, likelihood
evaluations for lifetime-value fits)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from .exceptions import InvalidParameterError

__all__ = ["reporter"]

Report = Callable[[int, int], object]


class _Line:
    """``done/total (pct%)`` on stderr, rewritten in place; a newline once
    done reaches total."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.start = time.monotonic()
        self.ended = False

    def __call__(self, done: int, total: int) -> None:
        if self.ended:
            return
        pct = 100.0 * done / total if total else 100.0
        seconds = time.monotonic() - self.start
        sys.stderr.write(f"\r{self.what}: {pct:5.1f}% ({done:,}/{total:,}) {seconds:.1f}s")
        if total and done >= total:
            sys.stderr.write("\n")
            self.ended = True
        sys.stderr.flush()


class _Bar:
    """A ``tqdm.auto`` bar (a widget in notebooks) following ``(done, total)``."""

    def __init__(self, tqdm: Any, what: str) -> None:
        self.bar = tqdm(total=0, desc=what, leave=True)

    def __call__(self, done: int, total: int) -> None:
        if self.bar.total != total:
            self.bar.total = total
        self.bar.update(done - self.bar.n)
        if total and done >= total:
            self.bar.close()


def reporter(progress: Any, what: str) -> Report | None:
    """The callable the native module reports to for ``progress``, ``None``
    for no report; raises :class:`InvalidParameterError` naming
    ``progress`` for anything but a bool or a callable."""
    if progress is None or progress is False:
        return None
    if progress is True:
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return _Line(what)
        return _Bar(tqdm, what)
    if callable(progress) and not isinstance(progress, (bool, int, float, str)):
        return progress
    raise InvalidParameterError(
        f"invalid parameter progress: expected True, False or a callable taking (done, total), got {progress!r}"
    )
