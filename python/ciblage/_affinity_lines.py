"""The order lines of affinity by segment read batch by batch: a table is
read in its record batches, a stream (``RecordBatchReader``, dataset,
polars ``LazyFrame``, DuckDB relation, iterable of tables) one batch at a
time, and each batch is coded as it comes (customer codes in the
labelling, product codes in the batch's own dictionary, amounts), so that
the peak memory is that of the coded lines, never a copy of the input."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ._affinity_input import codes_in, floats, hierarchy_map, ids, read_table, same_kind, sorted_unique
from ._stream import batches as stream_batches
from ._stream import is_stream
from .exceptions import InvalidInputError, InvalidParameterError

__all__ = ["CodedLines", "read_lines"]


@dataclass
class CodedLines:
    """The lines kept, coded: ``customer`` (labelled customers first, in
    the labelling's order, then the others), ``product`` (codes of
    ``products``, ascending), ``amount``, ``cost``; the rows read and the
    rows left out by reason; the number of unlabelled customers coded."""

    customer: np.ndarray
    product: np.ndarray
    amount: np.ndarray
    cost: np.ndarray | None
    products: pa.Array
    rows: int
    left: dict[str, int]
    extra: int


@dataclass
class _Parts:
    """Per batch: the kept lines' customer codes (unlabelled ones as
    ``-1 - position in the batch's dictionary``), product positions in the
    batch's dictionary, amounts, costs; and the batches' dictionaries."""

    customer: list[np.ndarray] = field(default_factory=list)
    product: list[np.ndarray] = field(default_factory=list)
    amount: list[np.ndarray] = field(default_factory=list)
    cost: list[np.ndarray] = field(default_factory=list)
    product_dicts: list[pa.Array] = field(default_factory=list)
    customer_dicts: list[pa.Array] = field(default_factory=list)


def _batches(lines: Any, cols: Mapping[str, str]) -> Iterator[pa.RecordBatch]:
    if is_stream(lines):
        yield from stream_batches(lines, cols, "lines")
        return
    yield from read_table(lines, cols, "lines").to_batches()


def _hierarchy(hierarchy: Any, level: Any, product: str) -> tuple[pa.ChunkedArray, pa.Array]:
    keys, cats = hierarchy_map(hierarchy, level, product)
    keys = ids(pa.chunked_array([keys]), "hierarchy: product", product)
    if pc.count_distinct(keys).as_py() != len(keys):
        raise InvalidParameterError("invalid parameter hierarchy: a product appears twice")
    cat_arr = cats if isinstance(cats, pa.Array) else pa.array(cats)
    if cat_arr.null_count:
        raise InvalidParameterError("invalid parameter hierarchy: a product has a null category")
    return keys, cat_arr


def read_lines(
    lines: Any,
    cols: Mapping[str, str],
    seg_ids: pa.ChunkedArray,
    hierarchy: Any = None,
    level: Any = None,
) -> CodedLines:
    """Reads and codes the lines (columns ``cols``: customer, product,
    amount, optional cost) against the labelled customers ``seg_ids``."""
    c_col, p_col, a_col = cols["customer"], cols["product"], cols["amount"]
    k_col = cols.get("cost")
    mapping = None if hierarchy is None else _hierarchy(hierarchy, level, p_col)
    id_set = seg_ids.combine_chunks()
    left = {"missing_customer": 0, "missing_product": 0}
    if mapping is not None:
        left["product_not_in_hierarchy"] = 0
    parts = _Parts()
    row0 = 0
    for batch in _batches(lines, cols):
        n = batch.num_rows
        if n == 0:
            continue
        cust = ids(pa.chunked_array([batch.column(c_col)]), "customer", c_col, row0)
        prod = ids(pa.chunked_array([batch.column(p_col)]), "product", p_col, row0)
        amt = floats(pa.chunked_array([batch.column(a_col)]), "amount", a_col, row0)
        cst = None if k_col is None else floats(pa.chunked_array([batch.column(k_col)]), "cost", k_col, row0)
        same_kind(seg_ids, f"segments column {json.dumps(c_col)}", cust, f"lines column {json.dumps(c_col)}")
        keep = np.asarray(pc.and_(cust.is_valid(), prod.is_valid()).to_numpy(zero_copy_only=False), dtype=bool)
        # A line without customer is counted there, whatever its product.
        left["missing_customer"] += int(cust.null_count)
        left["missing_product"] += int((~keep).sum()) - int(cust.null_count)
        if mapping is not None:
            keys, cats = mapping
            same_kind(keys, "hierarchy", prod, f"lines column {json.dumps(p_col)}")
            where = codes_in(prod, keys.combine_chunks())
            unmapped = keep & (where < 0)
            left["product_not_in_hierarchy"] += int(unmapped.sum())
            keep &= ~unmapped
            if len(cats):
                prod = pa.chunked_array([cats.take(pa.array(np.where(where < 0, 0, where)))])
        row0 += n
        rows = np.flatnonzero(keep)
        if len(rows) == 0:
            continue
        take = pa.array(rows)
        codes = codes_in(cust, id_set)[rows]
        unknown = codes < 0
        if unknown.any():
            enc = pc.dictionary_encode(cust.combine_chunks().take(take).filter(pa.array(unknown)))
            codes[unknown] = -1 - np.asarray(enc.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
            parts.customer_dicts.append(enc.dictionary)
        else:
            parts.customer_dicts.append(pa.array([], seg_ids.type))
        penc = pc.dictionary_encode(prod.combine_chunks().take(take))
        parts.customer.append(codes)
        parts.product.append(np.asarray(penc.indices.to_numpy(zero_copy_only=False), dtype=np.int64))
        parts.product_dicts.append(penc.dictionary)
        parts.amount.append(amt[rows])
        if cst is not None:
            parts.cost.append(cst[rows])
    if row0 == 0:
        raise InvalidInputError("lines: input is empty")
    if not parts.customer:
        raise InvalidInputError("lines: no line with both a customer and a product")
    return _assemble(parts, len(seg_ids), row0, left, k_col is not None)


def _assemble(parts: _Parts, m: int, rows: int, left: dict[str, int], with_cost: bool) -> CodedLines:
    """The batches' codes made global: products coded in ascending order
    of their ids, unlabelled customers after the ``m`` labelled ones."""
    products = sorted_unique(pa.chunked_array(parts.product_dicts))
    extra_ids = pc.unique(pa.chunked_array(parts.customer_dicts, type=parts.customer_dicts[0].type))
    extra_ids = extra_ids.combine_chunks() if isinstance(extra_ids, pa.ChunkedArray) else extra_ids
    customer, product = [], []
    for c, p, pd_, cd in zip(parts.customer, parts.product, parts.product_dicts, parts.customer_dicts, strict=True):
        product.append(codes_in(pd_, products)[p])
        if len(cd):
            unknown = c < 0
            c = c.copy()
            c[unknown] = m + codes_in(cd, extra_ids)[-1 - c[unknown]]
        customer.append(c)
        # Each batch's dictionaries are no longer needed once its codes are global.
    return CodedLines(
        customer=np.ascontiguousarray(np.concatenate(customer), dtype=np.uint32),
        product=np.ascontiguousarray(np.concatenate(product), dtype=np.uint32),
        amount=np.ascontiguousarray(np.concatenate(parts.amount)),
        cost=np.ascontiguousarray(np.concatenate(parts.cost)) if with_cost else None,
        products=products,
        rows=rows,
        left=left,
        extra=len(extra_ids),
    )
