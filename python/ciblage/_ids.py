"""Customer id columns of tables with one row per customer: read, checked
(no null, no duplicate where one row per customer is expected) and matched
by the core (``ciblage::customers::IdColumn``); integers of any width and
whole floats are integer ids, string, large_string, string_view and
dictionary (categorical) columns string ids."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from . import _native
from .exceptions import ColumnTypeError


def _kind(t: Any) -> str | None:
    if pa.types.is_dictionary(t):
        return _kind(t.value_type)
    if pa.types.is_integer(t) or pa.types.is_floating(t):
        # pandas stores integer ids with a missing value as floats.
        return "integer"
    if pa.types.is_string(t) or pa.types.is_large_string(t) or str(t) == "string_view":
        return "string"
    return None


def normalize(col: Any, where: str) -> Any:
    """The ids read by the core (a ``_native.CustomerIdColumn``); ``where``
    names the column in errors (``"customers column 'customer_id'"``)."""
    if isinstance(col, pa.Array):
        col = pa.chunked_array([col])
    return _native.customer_id_column(col, place=where, type_name=str(col.type))


def check_same_kind(a: Any, a_where: str, b: Any, b_where: str) -> None:
    """Refuses to match integer ids with string ids (read from the column
    types, named as the caller's library names them)."""
    ka, kb = _kind(a.type), _kind(b.type)
    if ka != kb:
        raise ColumnTypeError(
            f"{b_where} has {kb or b.type} ids ({b.type}) but {a_where} has {ka or a.type} ids "
            f"({a.type}): convert one of the two columns so that the ids can match"
        )


def refuse_nulls(ids: Any, where: str) -> None:
    """A null id is nobody: refused, with its row."""
    ids.refuse_nulls(where)


def refuse_duplicates(ids: Any, where: str) -> None:
    """One row per customer: a repeated id is refused, with an example."""
    ids.refuse_duplicates(where)
