"""Migration between two labellings of the same customers: the transition
matrix of segments from one date to another."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from . import _ids, _native
from ._churn import _out_kind
from ._params import as_str
from ._report import make_report
from ._tables import attach_report, from_arrow, html_summary, to_arrow
from ._typing import Table
from .exceptions import ColumnTypeError, InvalidInputError, InvalidParameterError

if TYPE_CHECKING:
    from .plot._display import Display


class Migration:
    """Transition matrix between two labellings of the same customers.

    Attributes:
        counts: rows = label before, columns = label after, customer counts.
        shares: the same divided by each row's total (null for empty rows).
        labels: labels in matrix order.
        input_report: rows read from ``before`` and ``after`` (all used), and
            the customers in both, only before, only after.

    Example:
        >>> import pandas as pd
        >>> import ciblage
        >>> t = pd.DataFrame({"customer_id": [1, 2], "segment": ["x", "y"]})
        >>> ciblage.migration(t, t).input_report["in_both"]
        2
    """

    def __init__(
        self, counts: Table, shares: Table, labels: list[str], input_report: dict[str, Any] | None = None
    ) -> None:
        self.counts = counts
        self.shares = shares
        self.labels = labels
        self.input_report: dict[str, Any] = input_report if input_report is not None else make_report(0, {})

    def __repr__(self) -> str:
        both = self.input_report.get("in_both", 0)
        return f"Migration(labels={len(self.labels)}, customers_in_both={both})"

    def _repr_html_(self) -> str:
        keys = ("customers", "in_both", "only_before", "only_after")
        figures = {k.replace("_", " "): self.input_report[k] for k in keys if k in self.input_report}
        return html_summary(repr(self), figures=figures, tables={"counts (rows: before)": self.counts}, rows=20)

    def plot(self, kind: str = "shares", ax: Any = None, **kwargs: Any) -> Display:
        """Draws a chart of this result with matplotlib (the ``ciblage[plot]``
        extra) and returns its Display (see :mod:`ciblage.plot`).

        Args:
            kind: ``"shares"`` (each row's shares, counts written in the
                cells) or ``"counts"``: the migration matrix heatmap,
                :class:`~ciblage.plot.MigrationDisplay`.
            ax: matplotlib Axes to draw on (default: a new figure).
            **kwargs: options of the chart, then matplotlib keyword
                arguments, ``title``, ``xlabel``, ``ylabel``, ``figsize``.

        Raises:
            InvalidParameterError: an unknown ``kind``.
            ImportError: matplotlib is not installed.
        """
        from .plot._churn import plot_migration

        return plot_migration(self, kind, ax, kwargs)


def _labels(
    data: Any, customer: str, segment: str, argument: str
) -> tuple[Any, list[str], Any, list[str], list[tuple[Any, str]] | None]:
    """The ids (read by the core, checked: no null, no duplicate) and the
    labels (no null, as strings) of one side, the original id column, the
    label order of a categorical or numeric column, and for a numeric
    column its sorted (value, text) pairs."""
    if customer == segment:
        raise InvalidParameterError(
            f"invalid parameter segment: the same column {customer!r} cannot be both the customer id and the "
            "segment label"
        )
    table = pa.table(to_arrow(data, {"customer": customer, "segment": segment}, argument=argument))
    if table.num_rows == 0:
        raise InvalidInputError(f"{argument}: input is empty")
    where = f"{argument} column {customer!r}"
    original = table.column(customer)
    ids = _ids.normalize(original, where)
    _ids.refuse_nulls(ids, where)
    _ids.refuse_duplicates(ids, where)
    labels = table.column(segment)
    missing = pc.is_null(labels)
    if pa.types.is_floating(labels.type):
        missing = pc.or_(missing, pc.is_nan(labels))
    n_missing = pc.sum(missing).as_py() or 0
    if n_missing:
        row = pc.index(missing, True).as_py()
        raise InvalidInputError(
            f"{argument} column {segment!r}: null segment label at row {row} (customer "
            f"{ids.id_at(row)!r}; {n_missing:,} in all); label every customer, or leave the "
            "customer out of the table to have him reported as absent"
        )
    order: list[str] = []
    numeric: list[tuple[Any, str]] | None = None
    if pa.types.is_dictionary(labels.type):
        if labels.num_chunks:
            order = [str(v) for v in labels.chunk(0).dictionary.to_pylist()]
        labels = pa.chunked_array(
            [c.dictionary.cast(pa.large_string()).take(c.indices) for c in labels.chunks], type=pa.large_string()
        )
    else:
        if pa.types.is_integer(labels.type) or pa.types.is_floating(labels.type) or pa.types.is_decimal(labels.type):
            # Numeric labels (cluster numbers...) in numeric order, each with
            # its text as the matrices name it: 2 before 10.
            values = pc.unique(labels)
            texts = values.cast(pa.large_string()).to_pylist()
            numeric = sorted(zip(values.to_pylist(), texts, strict=True))
            order = [t for _, t in numeric]
        try:
            labels = labels.cast(pa.large_string())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
            raise ColumnTypeError(
                f"{argument} column {segment!r}: labels of type {labels.type} cannot be read as text; expected "
                "strings, integers, booleans or dates"
            ) from e
    return ids, labels.to_pylist(), original, order, numeric


def migration(
    before: Any,
    after: Any,
    *,
    customer: str = "customer_id",
    segment: str = "segment",
    absent: str = "(absent)",
) -> Migration:
    """Migration of customers between segments (tiers, stages) from one
    table to the next, matched on ``customer``. A customer present in only
    one table gets the label ``absent`` on the other side, so nobody is
    dropped. Label order follows the categories of ``before`` (and then
    ``after``) when they are categorical, numeric order when the labels are
    numbers (cluster 2 before cluster 10), then the other labels sorted
    (text labels as text, even when they look like numbers); ``absent``
    comes after categorical labels, before numeric ones.

    Each table has one row per customer: a repeated or null id, or a null
    label, raises :class:`InvalidInputError` naming the argument; integer
    ids cannot match string ids (:class:`ColumnTypeError`); ``absent`` must
    not be one of the labels (:class:`InvalidParameterError`).

    Example:
        >>> import pandas as pd
        >>> import ciblage
        >>> before = pd.DataFrame({"customer_id": [1, 2, 3], "segment": ["a", "a", "b"]})
        >>> after = pd.DataFrame({"customer_id": [1, 2, 4], "segment": ["a", "b", "b"]})
        >>> m = ciblage.migration(before, after)
        >>> m.labels
        ['(absent)', 'a', 'b']
        >>> m
        Migration(labels=3, customers_in_both=2)
    """
    customer = as_str(customer, "customer")
    segment = as_str(segment, "segment")
    absent = as_str(absent, "absent")
    if absent == "before":
        raise InvalidParameterError(
            "invalid parameter absent: 'before' is the name of the matrices' row-label column; choose another label"
        )
    left_ids, left, left_original, left_order, left_num = _labels(before, customer, segment, "before")
    right_ids, right, right_original, right_order, right_num = _labels(after, customer, segment, "after")
    _ids.check_same_kind(left_original, f"before column {customer!r}", right_original, f"after column {customer!r}")
    if left_num is not None and right_num is not None:
        # Both sides numeric: one numeric order over the labels of both.
        order = list(dict.fromkeys(t for _, t in sorted(set(left_num) | set(right_num))))
    else:
        order = left_order + right_order
    for side, labels in (("before", left), ("after", right)):
        if absent in labels:
            raise InvalidParameterError(
                f"invalid parameter absent: {absent!r} is a segment label of {side}; choose another "
                "label for customers missing from one side"
            )
    # Matched on the ids in the core: a customer on one side only is
    # labelled ``absent`` on the other.
    names, counts, (customers, in_both, only_before, only_after) = _native.migration_matched(
        left_ids, left, right_ids, right, order=order, absent=absent
    )
    if "before" in names:
        # The matrix's first column holds the row labels under that name.
        side = "before" if "before" in left else "after"
        raise InvalidInputError(
            f"{side} column {segment!r}: the segment label 'before' is the name of the matrices' row-label "
            "column; rename that label"
        )
    k = len(names)
    sides = ((left_num, left_order), (right_num, right_order))
    if (
        absent in names
        and any(num is not None for num, _ in sides)
        and all(num is not None or not order for num, order in sides)
    ):
        # Numeric labels without categorical ones: ``absent`` first, where
        # sorting as text put it before the numbers.
        perm = [names.index(absent)] + [i for i, name in enumerate(names) if name != absent]
        names = [names[i] for i in perm]
        counts = [counts[r * k + c] for r in perm for c in perm]
    rows = [counts[i * k : (i + 1) * k] for i in range(k)]
    count_cols: dict[str, Any] = {"before": names}
    share_cols: dict[str, Any] = {"before": names}
    for j, name in enumerate(names):
        count_cols[name] = [r[j] for r in rows]
        share_cols[name] = [r[j] / sum(r) if sum(r) else None for r in rows]
    report = make_report(
        len(left) + len(right),
        {},
        customers=customers,
        in_both=in_both,
        only_before=only_before,
        only_after=only_after,
    )
    kind = _out_kind(before)
    counts_t = attach_report(from_arrow(pa.table(count_cols), kind), report)
    shares_t = attach_report(from_arrow(pa.table(share_cols), kind), report)
    return Migration(counts_t, shares_t, list(names), report)
