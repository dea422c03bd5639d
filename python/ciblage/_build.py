"""Which native build is installed (``make demo``: release; ``make
develop`` and ``make test``: debug, the release build put back after the
tests when there was one)."""

from __future__ import annotations

from . import _native

__all__ = ["build_info"]


def build_info() -> dict[str, str]:
    """The installed native module: ``version``, ``build`` (``"debug"``:
    unoptimised, about ten times slower; ``"release"``) and ``module`` (its
    file).

    Example:
        >>> import ciblage
        >>> ciblage.build_info()["build"] in ("debug", "release")
        True
        >>> ciblage.build_info()["build"] == ciblage.__build__
        True
    """
    return {"version": _native.__version__, "build": _native.__build__, "module": str(_native.__file__)}
