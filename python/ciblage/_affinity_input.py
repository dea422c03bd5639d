"""Reading the inputs of affinity by segment and of the next-best product:
order lines, a customer → segment labelling, a product hierarchy, a rules
table and product margins, checked with our exception classes naming the
argument and column, and turned into the dense codes the core reads."""

from __future__ import annotations

import json
import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ._tables import table_kind, to_arrow
from .exceptions import ColumnTypeError, InvalidInputError, InvalidParameterError

_ARROW_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError, OverflowError)


def read_table(data: Any, columns: Mapping[str, str], argument: str) -> pa.Table:
    """The named columns of ``data`` as one pyarrow Table (see ``to_arrow``)."""
    if data is None:
        raise InvalidInputError(f"{argument}: expected a table, got None")
    t = to_arrow(data, columns, argument)
    if isinstance(t, pa.RecordBatchReader):
        return t.read_all()
    if isinstance(t, pa.Table):
        return t
    return pa.RecordBatchReader.from_stream(t).read_all()


def _where(argument: str, column: str) -> str:
    return argument if argument == column else f"{argument} (column {json.dumps(column)})"


def ids(col: pa.ChunkedArray, argument: str, column: str, row0: int = 0) -> pa.ChunkedArray:
    """An id column as int64 (integers, whole floats) or large strings
    (strings, dictionaries of them); nulls (and NaN) stay null. ``row0``:
    the row of the column's first value in the input (for messages)."""
    t = col.type
    if pa.types.is_dictionary(t):
        col = col.cast(t.value_type)
        t = t.value_type
    try:
        if pa.types.is_integer(t):
            return col.cast(pa.int64())
        if pa.types.is_floating(t):
            values = pc.if_else(pc.is_nan(col), None, col)
            whole = pc.fill_null(pc.equal(pc.floor(values), values), True)
            if not pc.all(whole).as_py():
                row = int(np.flatnonzero(~np.asarray(whole.to_numpy(zero_copy_only=False), dtype=bool))[0])
                raise InvalidInputError(
                    f"{_where(argument, column)}: id {values[row].as_py()!r} at row {row0 + row} is not a whole number"
                )
            return values.cast(pa.int64())
        if pa.types.is_string(t) or pa.types.is_large_string(t) or str(t) == "string_view":
            return col.cast(pa.large_string())
    except (pa.ArrowInvalid, OverflowError) as e:
        raise InvalidInputError(f"{_where(argument, column)}: ids cannot be read as 64-bit integers ({e})") from e
    raise ColumnTypeError(f"{argument}: column {json.dumps(column)} has type {t}, expected integer or string ids")


def same_kind(a: pa.ChunkedArray, a_where: str, b: pa.ChunkedArray, b_where: str) -> None:
    """Refuses to match integer ids with string ids."""
    if a.type != b.type:
        kind = {pa.int64(): "integer", pa.large_string(): "string"}
        raise ColumnTypeError(
            f"{b_where} has {kind[b.type]} ids but {a_where} has {kind[a.type]} ids: convert one of the two "
            "columns so that the ids can match"
        )


def floats(col: pa.ChunkedArray, argument: str, column: str, row0: int = 0) -> np.ndarray:
    """A numeric column as float64, refusing nulls and NaN/inf (with the
    row, counted from ``row0``)."""
    t = col.type
    if not (pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)):
        raise ColumnTypeError(f"{argument}: column {json.dumps(column)} has type {t}, expected numbers")
    if col.null_count:
        row = int(np.flatnonzero(col.is_null().to_numpy(zero_copy_only=False))[0])
        raise InvalidInputError(f"{_where(argument, column)}: null value at row {row0 + row}")
    try:
        values = np.ascontiguousarray(col.cast(pa.float64()).to_numpy(), dtype=np.float64)
    except _ARROW_ERRORS as e:
        raise InvalidInputError(f"{_where(argument, column)}: cannot be read as 64-bit floats ({e})") from e
    bad = ~np.isfinite(values)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InvalidInputError(f"{_where(argument, column)}: non-finite value {values[row]} at row {row0 + row}")
    return values


def plain(values: Any) -> Any:
    """Labels in a type Arrow can sort: dictionaries decoded, string views
    as large strings."""
    if pa.types.is_dictionary(values.type):
        values = values.cast(values.type.value_type)
    if str(values.type) == "string_view":
        values = values.cast(pa.large_string())
    return values


def sorted_unique(values: Any) -> pa.Array:
    """The distinct non-null values, ascending."""
    u = pc.unique(values.drop_null() if hasattr(values, "drop_null") else values)
    if isinstance(u, pa.ChunkedArray):
        u = u.combine_chunks()
    return u.take(pc.sort_indices(u))


def codes_in(values: Any, value_set: pa.Array) -> np.ndarray:
    """The position of each value in ``value_set`` (int64), -1 for a null
    or a value not in it."""
    pos = pc.index_in(values, value_set=value_set)
    return np.asarray(pos.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)


def labelling(segments: Any, customer: str, segment: str) -> tuple[pa.ChunkedArray, np.ndarray, list[Any]]:
    """The customers of a labelling table (one row each), each one's label
    code (-1: no segment) and the labels in ascending order. A result of
    ours with a ``customers`` table (``rfm_analysis``) is read through it."""
    if not _is_table(segments) and hasattr(segments, "customers") and _is_table(segments.customers):
        segments = segments.customers
    t = read_table(segments, {"customer": customer, "segment": segment}, "segments")
    cust = ids(t.column(customer), "segments: customer", customer)
    if cust.null_count:
        row = int(np.flatnonzero(cust.is_null().to_numpy(zero_copy_only=False))[0])
        raise InvalidInputError(f"segments: customer (column {json.dumps(customer)}): null id at row {row}")
    counts = pc.value_counts(cust)
    repeated = counts.filter(pc.greater(counts.field("counts"), 1))
    if len(repeated):
        raise InvalidInputError(
            f"segments: customer (column {json.dumps(customer)}): id {repeated[0]['values'].as_py()!r} appears "
            f"{repeated[0]['counts'].as_py()} times; one row per customer is expected"
        )
    labels = plain(t.column(segment))
    if pa.types.is_floating(labels.type):
        labels = pc.if_else(pc.is_nan(labels), None, labels)
    if pa.types.is_null(labels.type):
        return cust, np.full(len(cust), -1, dtype=np.int64), []
    try:
        levels = sorted_unique(labels)
    except _ARROW_ERRORS as e:
        raise ColumnTypeError(
            f"segments: column {json.dumps(segment)} of type {labels.type} cannot be ordered ({e})"
        ) from e
    return cust, codes_in(labels, levels), levels.to_pylist()


def _is_table(data: Any) -> bool:
    if isinstance(data, (pa.Table, pa.RecordBatch, Mapping)):
        return True
    return table_kind(data) in ("pandas", "polars") or hasattr(data, "__arrow_c_stream__")


def hierarchy_map(hierarchy: Any, level: Any, product: str) -> tuple[pa.Array, pa.Array]:
    """The (product, category) pairs of a hierarchy: a dict, a pandas
    Series (index: product), or a table with the ``product`` column and
    the ``level`` column."""
    if isinstance(hierarchy, Mapping) and not _is_dataframe(hierarchy):
        keys, values = list(hierarchy.keys()), list(hierarchy.values())
    elif table_kind(hierarchy) == "pandas" and type(hierarchy).__name__ == "Series":
        keys, values = list(hierarchy.index), list(hierarchy.to_numpy())
    else:
        if not _is_table(hierarchy):
            raise InvalidParameterError(
                "invalid parameter hierarchy: expected a dict product -> category, a pandas Series or a table, "
                f"got {type(hierarchy).__name__}"
            )
        if not isinstance(level, str):
            raise InvalidParameterError(
                f"invalid parameter level: a hierarchy table needs the name of its category column, got {level!r}"
            )
        t = read_table(hierarchy, {"product": product, "level": level}, "hierarchy")
        return t.column(product).combine_chunks(), plain(t.column(level).combine_chunks())
    try:
        return pa.array(keys), pa.array(values)
    except _ARROW_ERRORS as e:
        raise InvalidParameterError(
            f"invalid parameter hierarchy: cannot read its products and categories ({e})"
        ) from e


def _is_dataframe(data: Any) -> bool:
    return table_kind(data) in ("pandas", "polars") or isinstance(data, (pa.Table, pa.RecordBatch))


def rule_column(rules: Any, name: str) -> list[Any]:
    """A column of the rules table as a Python list (pandas, polars, pyarrow
    or a dict of lists; item sets may be lists, tuples, sets or frozensets)."""
    kind = table_kind(rules)
    if kind == "pandas" and type(rules).__name__ == "DataFrame":
        columns = [str(c) for c in rules.columns]
        if name not in columns:
            raise _rules_missing(name, columns)
        return list(rules.iloc[:, columns.index(name)])
    if kind == "polars" and type(rules).__name__ == "DataFrame":
        if name not in rules.columns:
            raise _rules_missing(name, list(rules.columns))
        return list(rules.get_column(name).to_list())
    if isinstance(rules, (pa.Table, pa.RecordBatch)):
        if name not in rules.column_names:
            raise _rules_missing(name, rules.column_names)
        return rules.column(name).to_pylist()
    if isinstance(rules, Mapping):
        keys = {str(k): k for k in rules}
        if name not in keys:
            raise _rules_missing(name, list(keys))
        return list(rules[keys[name]])
    raise ColumnTypeError(
        f"rules: expected a pandas, polars or pyarrow table or a dict of lists, got {type(rules).__name__}"
    )


def _rules_missing(name: str, available: list[str]) -> Exception:
    from .exceptions import ColumnNotFoundError

    return ColumnNotFoundError(f"rules: column {json.dumps(name)} not found; the table has {json.dumps(available)}")


def item_sets(values: list[Any], column: str, *, allow_empty: bool) -> list[list[Any]]:
    """Each row's item set as a list (a lone id is refused: item sets are
    collections)."""
    out = []
    for row, v in enumerate(values):
        if v is None or isinstance(v, (str, bytes, numbers.Number)) or not hasattr(v, "__iter__"):
            raise InvalidInputError(
                f"rules: column {json.dumps(column)}: expected a list or set of product ids at row {row}, got {v!r}"
            )
        items = list(v)
        if not items and not allow_empty:
            raise InvalidInputError(f"rules: column {json.dumps(column)}: empty item set at row {row}")
        if any(x is None or (isinstance(x, float) and x != x) for x in items):
            raise InvalidInputError(f"rules: column {json.dumps(column)}: missing product id at row {row}")
        out.append(items)
    return out


def rule_numbers(values: list[Any], column: str, low: float, high: float | None) -> list[float]:
    """A rules column of numbers in ``[low, high]``, naming the row at fault."""
    out = []
    for row, v in enumerate(values):
        ok = isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))
        f = float(v) if ok else float("nan")
        if not (ok and np.isfinite(f) and f >= low and (high is None or f <= high)):
            span = f"from {low} to {high}" if high is not None else f"of at least {low}"
            raise InvalidInputError(
                f"rules: column {json.dumps(column)}: expected a finite number {span} at row {row}, got {v!r}"
            )
        out.append(f)
    return out
