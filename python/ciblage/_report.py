"""Input reports: what a call read, used and left out, by reason.

Every result that reads rows carries an ``input_report`` dict of one shape::

    {"rows_read": int, "rows_used": int, "left_out": {reason: count, ...}, ...}

where ``rows_read == rows_used + sum(left_out.values())`` and further keys
may give algorithm-specific counts (customers without rows, …). Reasons
that the caller asked for through a parameter (rows after an explicit
``as_of``, negative rows under ``negative_amounts="exclude"``) pass quietly;
any other reason issues a :class:`~ciblage.exceptions.RowsLeftOutWarning`.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import Any

from .exceptions import RowsLeftOutWarning


def make_report(rows_read: int, left_out: Mapping[str, int], **extra: Any) -> dict[str, Any]:
    """An input report from the rows read and the rows left out by reason
    (reasons with a zero count are kept, so the keys are stable)."""
    lost = {str(k): int(v) for k, v in left_out.items()}
    report: dict[str, Any] = {
        "rows_read": int(rows_read),
        "rows_used": int(rows_read) - sum(lost.values()),
        "left_out": lost,
    }
    report.update(extra)
    return report


def warn_left_out(report: Mapping[str, Any], what: str, expected: Iterable[str] = (), stacklevel: int = 3) -> None:
    """Warns once if rows were left out for reasons not in ``expected``."""
    quiet = set(expected)
    surprising = {k: v for k, v in report.get("left_out", {}).items() if v and k not in quiet}
    if surprising:
        parts = ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in surprising.items())
        warnings.warn(
            f"{what}: {sum(surprising.values()):,} of {report['rows_read']:,} rows left out ({parts}); "
            "see the result's input_report",
            RowsLeftOutWarning,
            stacklevel=stacklevel,
        )
