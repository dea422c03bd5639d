"""Customer id columns: checked (no null, no duplicate where one row per
customer is expected) and brought to one type so that two tables can be
matched: integers of any width as int64; string, large_string, string_view
and dictionary (categorical) columns as large_string."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from .exceptions import ColumnTypeError, InvalidInputError


def _kind(t: Any) -> str | None:
    if pa.types.is_dictionary(t):
        return _kind(t.value_type)
    if pa.types.is_integer(t) or pa.types.is_floating(t):
        # pandas stores integer ids with a missing value as floats.
        return "integer"
    if pa.types.is_string(t) or pa.types.is_large_string(t) or str(t) == "string_view":
        return "string"
    return None


def normalize(col: Any, where: str) -> pa.ChunkedArray:
    """The ids as int64 or large_string; ``where`` names the column in
    errors (``"customers column 'customer_id'"``)."""
    if isinstance(col, pa.Array):
        col = pa.chunked_array([col])
    kind = _kind(col.type)
    if kind is None:
        raise ColumnTypeError(f"{where}: has type {col.type}, expected integer or string ids")
    target = pa.int64() if kind == "integer" else pa.large_string()
    if pa.types.is_floating(col.type):
        nan = pc.fill_null(pc.is_nan(col), False)
        whole = pc.fill_null(pc.equal(pc.floor(col), col), True)
        if not pc.all(pc.or_(nan, whole)).as_py():
            raise ColumnTypeError(
                f"{where}: has type {col.type} with values that are not whole numbers; expected integer or string ids"
            )
        col = pc.if_else(nan, pa.scalar(None, col.type), col)
    try:
        if pa.types.is_dictionary(col.type):
            # Decoded through the target type: pyarrow cannot take from
            # every value type (string_view) directly.
            return pa.chunked_array([c.dictionary.cast(target).take(c.indices) for c in col.chunks], type=target)
        return col.cast(target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
        raise ColumnTypeError(f"{where}: ids of type {col.type} cannot be read as {kind}s: {e}") from e


def check_same_kind(a: Any, a_where: str, b: Any, b_where: str) -> None:
    """Refuses to match integer ids with string ids."""
    ka, kb = _kind(a.type), _kind(b.type)
    if ka != kb:
        raise ColumnTypeError(
            f"{b_where} has {kb or b.type} ids ({b.type}) but {a_where} has {ka or a.type} ids "
            f"({a.type}): convert one of the two columns so that the ids can match"
        )


def refuse_nulls(col: pa.ChunkedArray, where: str) -> None:
    """A null id is nobody: refused, with its row."""
    if col.null_count:
        row = pc.index(pc.is_null(col), True).as_py()
        raise InvalidInputError(f"{where}: null id at row {row} ({col.null_count:,} null ids in all)")


def refuse_duplicates(col: pa.ChunkedArray, where: str) -> None:
    """One row per customer: a repeated id is refused, with an example."""
    if len(col) == 0 or pc.count_distinct(col, mode="all").as_py() == len(col):
        return
    counts = pc.value_counts(col)
    repeated = counts.filter(pc.greater(counts.field("counts"), 1))
    example = repeated[0]["values"].as_py()
    raise InvalidInputError(
        f"{where}: customer id {example!r} appears {repeated[0]['counts'].as_py()} times "
        f"({len(repeated):,} repeated ids in all); one row per customer is expected"
    )
