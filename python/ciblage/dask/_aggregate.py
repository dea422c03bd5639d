"""Per-customer aggregations on Dask DataFrames: ``rfm``,
``customer_totals``, ``value_tiers``, ``concentration``.

Each partition becomes a per-customer partial state keyed by customer id
(an Arrow batch built by the Rust core, one task per partition); the
states are cut into ``split_out`` groups by customer hash, and each group
is merged by its own tree reduction (``split_every`` states per task,
customers found by id); the merged state comes to the client, which
scores it with the code of the local call. The quantile cuts are exact:
they are computed on the client from every customer's values, as the
local call does. The results are pandas DataFrames (one row per
customer, computed), like ``ddf.groupby(...).agg(...).compute()``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from .. import _partial, _sketch, _sketch_value

if TYPE_CHECKING:  # pandas comes with Dask; imported by the calls, not by the import
    import pandas as pd
from .._concentration import Concentration
from .._concentration import concentration as _local_concentration
from .._concentration_binned import BinnedConcentration
from .._report import make_report, warn_left_out
from .._rfm import RfmResult, expected_left_out, stream_args
from .._tables import _check_columns, attach_report, column_arg, from_arrow, opt_column_arg
from .._value import ValueTiers, _check_output_names
from .._value import value_tiers as _local_value_tiers
from ..exceptions import DegenerateCriterionWarning, InvalidParameterError

__all__ = ["concentration", "customer_totals", "rfm", "value_tiers"]


def _dask() -> Any:
    try:
        import dask
        import dask.dataframe
    except ImportError as e:
        raise ImportError(
            "ciblage.dask needs Dask: pip install 'ciblage[dask]' (or pip install 'dask[dataframe]')"
        ) from e
    return dask


def _check_frame(df: Any) -> None:
    module = type(df).__module__
    if not (module.startswith("dask") and hasattr(df, "to_delayed") and hasattr(df, "npartitions")):
        raise InvalidParameterError(
            f"invalid parameter transactions: expected a Dask DataFrame, got {type(df).__module__}.{type(df).__name__}"
        )


def _state(
    spec: _partial.Spec, part: pd.DataFrame, i: int, split_out: int
) -> list[tuple[pa.RecordBatch, pa.Schema | None]]:
    """The partition's state, cut into ``split_out`` states by customer hash."""
    schema = _partial.input_schema([part], spec)
    state = _partial.partition_state(spec, [part], i)
    return [(s, schema) for s in _split_by_customer(state, split_out)]


def customer_groups(ids: Any, k: int) -> Any:
    """The group (0 to ``k - 1``, a numpy array) of each customer id of an
    Arrow column, by a hash of the id: the same group in every partition."""
    import pandas as pd

    return pd.util.hash_array(ids.to_numpy(zero_copy_only=False)) % k


def _split_by_customer(state: pa.RecordBatch, k: int) -> list[pa.RecordBatch]:
    """The customers of a state in ``k`` groups by a hash of their id (the
    same group in every partition)."""
    if k == 1:
        return [state]
    group = customer_groups(state.column(0), k)
    return [state.filter(pa.array(group == j)) for j in range(k)]


def _pick(states: list[Any], k: int) -> Any:
    return states[k]


def _merge(spec: _partial.Spec, items: list[tuple[pa.RecordBatch, pa.Schema | None]]) -> tuple[Any, Any]:
    schema = next((s for _, s in items if s is not None), None)
    return _partial.merge_states(spec, [b for b, _ in items], schema), schema


def _probe(spec: _partial.Spec, part: pd.DataFrame) -> tuple[int, bool]:
    return _partial.probe_partition(spec, [part])


def _merged_roots(
    df: Any, spec: _partial.Spec, split_every: int, split_out: int = 1
) -> tuple[list[Any], list[Any], _partial.Spec]:
    """The merged states, not computed yet: one delayed ``(state, schema)``
    per hash group of customers, the input's partitions (delayed) and the
    shipped spec."""
    dask = _dask()
    _check_frame(df)
    _check_columns(spec.columns, [str(c) for c in df.columns])
    split_every = check_split_every(split_every)
    split_out = check_split_out(split_out)
    parts = df[spec.names].to_delayed()
    delayed = dask.delayed
    spec = spec.shipped()
    cut = [delayed(_state)(spec, p, i, split_out) for i, p in enumerate(parts)]
    roots = []
    for k in range(split_out):
        states = [delayed(_pick)(c, k) for c in cut]
        while len(states) > 1:
            states = [delayed(_merge)(spec, states[j : j + split_every]) for j in range(0, len(states), split_every)]
        roots.append(states[0])
    return roots, parts, spec


def check_split_every(split_every: Any) -> int:
    """``split_every`` (states merged per task of a tree reduction),
    refused unless an integer of at least 2."""
    if isinstance(split_every, bool) or not isinstance(split_every, int) or split_every < 2:
        raise InvalidParameterError(f"invalid parameter split_every: expected an integer >= 2, got {split_every!r}")
    return split_every


def check_split_out(split_out: Any) -> int:
    """``split_out`` (groups of customers reduced apart), refused unless an
    integer of at least 1."""
    if isinstance(split_out, bool) or not isinstance(split_out, int) or split_out < 1:
        raise InvalidParameterError(f"invalid parameter split_out: expected an integer >= 1, got {split_out!r}")
    return split_out


def _merged_state(df: Any, spec: _partial.Spec, split_every: int, split_out: int = 1) -> Any:
    """The native stream holding the merged state of every partition."""
    roots, parts, shipped = _merged_roots(df, spec, split_every, split_out)
    dask = _dask()
    try:
        merged = dask.compute(*roots)
    except (ValueError, TypeError):
        _raise_with_global_rows(dask, shipped, parts)
        raise
    stream = spec.scorer()
    for batch, schema in merged:
        _partial.absorb_states(stream, [batch], schema)
    return stream


def _raise_with_global_rows(dask: Any, spec: _partial.Spec, parts: list[Any]) -> None:
    """Raises the error of the first failing partition, its rows numbered
    as in the whole input (the error a local call gives)."""

    def probe(indices: list[int]) -> list[tuple[int, bool]]:
        return list(dask.compute(*[dask.delayed(_probe)(spec, parts[i]) for i in indices]))

    found = _partial.first_failure(len(parts), probe)
    if found is not None:
        i, row0 = found
        dask.compute(dask.delayed(_partial.partition_state)(spec, [parts[i]], i, row0))


def rfm(
    transactions: Any,
    *,
    customer: str = "customer_id",
    timestamp: str = "timestamp",
    amount: str = "amount",
    cost: str | None = None,
    as_of: Any = None,
    bins: int = 5,
    method: str = "quantile",
    recency_cuts: Sequence[float] | None = None,
    frequency_cuts: Sequence[float] | None = None,
    monetary_cuts: Sequence[float] | None = None,
    frequency: str = "transactions",
    monetary: str = "revenue",
    variant: str = "rfm",
    weights: tuple[float, float, float] = (1.0, 1.0, 1.0),
    negative_amounts: str = "keep",
    segments: Any = None,
    timezone: str | None = None,
    split_every: int = 8,
    split_out: int = 1,
    quantiles: str = "exact",
    kll_k: int = 200,
) -> Any:
    """:func:`ciblage.rfm` on a Dask DataFrame of transactions: the same
    arguments and the same table (ids, scores, segments; sums to the bit
    when amounts are integers), as a pandas DataFrame with the input report
    in ``attrs["input_report"]``. ``split_every``: partial states merged
    per task of the tree reduction; ``split_out``: independent reductions,
    each of the customers of one hash group (merges in parallel, smaller
    states per task). ``frequency="purchase_days"`` is not
    available yet.

    ``quantiles="exact"`` (default) cuts on the client, which gathers every
    customer's merged state. ``quantiles="kll"`` keeps each hash group's
    customers in its own task: the cut points are read from merged KLL
    sketches of ``kll_k`` (Apache DataSketches, 8 to 65,535), each group is
    scored with them, and the result is a lazy Dask DataFrame (one
    partition per group, ``split_out``) whose ``input_report`` attribute
    holds, under ``"quantiles"``, the cut points and the sketch's
    normalized rank error (0 while it holds every value). Methods
    ``"quantile"`` and ``"rfm_compat"`` only.

    Example:
        >>> import ciblage, ciblage.dask, dask.dataframe as dd
        >>> tx = ciblage.datasets.transactions(customers=50, transactions=500, library="pandas")
        >>> table = ciblage.dask.rfm(dd.from_pandas(tx, npartitions=3), bins=4)
        >>> local = ciblage.rfm(tx, bins=4)
        >>> bool((table["segment"] == local["segment"]).all()), len(table) == len(local)
        (True, True)
    """
    args = dict(locals())
    columns, params = stream_args(args)
    spec = _partial.rfm_spec(columns, params)
    plan = _sketch.kll_plan(params, quantiles, kll_k)
    if plan is not None:
        from ._sketch import rfm_kll

        return rfm_kll(transactions, spec, plan, split_every, split_out)
    stream = _merged_state(transactions, spec, split_every, split_out)
    result = RfmResult(stream.rfm(), "pandas")
    warn_left_out(result.input_report, "rfm", expected_left_out(params), stacklevel=3)
    for c in result.criteria:
        if c["degenerate"]:
            warnings.warn(c["warning"], DegenerateCriterionWarning, stacklevel=2)
    return result.customers


def _sums_spec(customer: Any, amount: Any, cost: Any) -> _partial.Spec:
    """The spec of the customer totals, its column arguments checked."""
    customer = column_arg(customer, "customer")
    amount = column_arg(amount, "amount")
    cost = opt_column_arg(cost, "cost")
    _check_output_names(
        "customer",
        customer,
        ("transactions", "revenue") + (() if cost is None else ("cost", "margin")),
        "customer_totals",
    )
    columns = {"customer": customer, "amount": amount}
    if cost is not None:
        columns["cost"] = cost
    return _partial.totals_spec(columns)


def _totals(
    transactions: Any, customer: str, amount: str, cost: str | None, split_every: int, split_out: int
) -> pd.DataFrame:
    stream = _merged_state(transactions, _sums_spec(customer, amount, cost), split_every, split_out)
    table = pa.RecordBatchReader.from_stream(stream.totals()).read_all()
    rows = int(pa.compute.sum(table.column("transactions")).as_py() or 0)
    return attach_report(from_arrow(table, "pandas"), make_report(rows, {}))


def customer_totals(
    transactions: Any,
    *,
    customer: str = "customer_id",
    amount: str = "amount",
    cost: str | None = None,
    split_every: int = 8,
    split_out: int = 1,
) -> pd.DataFrame:
    """:func:`ciblage.customer_totals` on a Dask DataFrame: the same table
    (transactions, revenue, and with ``cost`` cost and margin per customer),
    as a pandas DataFrame.

    Example:
        >>> import ciblage, ciblage.dask, dask.dataframe as dd
        >>> tx = ciblage.datasets.transactions(customers=50, transactions=500, library="pandas")
        >>> ddf = dd.from_pandas(tx, npartitions=3)
        >>> totals = ciblage.dask.customer_totals(ddf)
        >>> len(totals) == len(ciblage.customer_totals(tx)), int(totals["transactions"].sum())
        (True, 500)
    """
    return _totals(transactions, customer, amount, cost, split_every, split_out)


def value_tiers(
    transactions: Any,
    *,
    value: str = "revenue",
    customer: str = "customer_id",
    amount: str = "amount",
    cost: str | None = None,
    method: str = "count",
    shares: Sequence[float] | None = None,
    bounds: Sequence[float] | None = None,
    names: Sequence[str] | None = None,
    no_value_name: str = "No value",
    split_every: int = 8,
    split_out: int = 1,
    quantiles: str = "exact",
    kll_k: int = 200,
) -> ValueTiers | Any:
    """:func:`ciblage.value_tiers` of the customers' totals of a Dask
    DataFrame of transactions: ``value`` is ``"revenue"``, or ``"margin"``
    (with ``cost``); the tiers of ``ciblage.value_tiers(customer_totals(...))``.

    ``quantiles="exact"`` (default) tiers on the client, which gathers every
    customer's totals. ``quantiles="kll"`` keeps each hash group's customers
    in its own task and returns a lazy Dask DataFrame (one partition per
    group, ``split_out``) of the customer id, the value and the tier (no
    ``rank``: ranks need every customer); its ``input_report`` attribute
    holds the cut points under ``"quantiles"``. Count tiers cut at the
    values read from merged KLL sketches of ``kll_k`` (8 to 65,535), within
    the reported ``rank_error``; ABC classes at value thresholds read from a
    merged histogram of exact bucket sums, each within the reported range
    of values of its bucket (``cut_ranges``): a customer outside those
    ranges gets the exact class.

    Example:
        >>> import ciblage, ciblage.dask, dask.dataframe as dd
        >>> tx = ciblage.datasets.transactions(customers=50, transactions=500, library="pandas")
        >>> ddf = dd.from_pandas(tx, npartitions=3)
        >>> tiers = ciblage.dask.value_tiers(ddf)
        >>> type(tiers).__name__
        'ValueTiers'
        >>> lazy = ciblage.dask.value_tiers(ddf, quantiles="kll", split_out=2)
        >>> lazy.input_report["quantiles"]["method"], len(lazy.compute()) == len(tiers.customers)
        ('kll', True)
    """
    value = _partial.value_arg(value)
    plan = _sketch_value.tier_plan(
        value, customer, cost, method, shares, bounds, names, no_value_name, quantiles, kll_k
    )
    if plan is not None:
        from ._sketch import value_tiers_kll

        return value_tiers_kll(transactions, _sums_spec(customer, amount, cost), plan, split_every, split_out)
    totals = _totals(transactions, customer, amount, cost, split_every, split_out)
    return _local_value_tiers(
        totals,
        value=value,
        customer=customer,
        method=method,
        shares=shares,
        bounds=bounds,
        names=names,
        no_value_name=no_value_name,
    )


def concentration(
    transactions: Any,
    *,
    value: str = "revenue",
    customer: str = "customer_id",
    amount: str = "amount",
    cost: str | None = None,
    split_every: int = 8,
    split_out: int = 1,
    quantiles: str = "exact",
    kll_k: int = 200,
) -> Concentration | BinnedConcentration:
    """:func:`ciblage.concentration` of the customers' totals of a Dask
    DataFrame of transactions (``value`` as in :func:`value_tiers`).

    ``quantiles="kll"`` reads it from a merged histogram of the values
    (log-spaced buckets of ratio ``1 + 2^-7`` with exact sums; ``kll_k`` is
    checked and unused): a ``BinnedConcentration`` whose Gini and top
    shares are within the bounds of its ``input_report["histogram"]``
    (``gini_error``, ``share_error``, each at most 2^-9).

    Example:
        >>> import ciblage, ciblage.dask, dask.dataframe as dd
        >>> tx = ciblage.datasets.transactions(customers=50, transactions=500, library="pandas")
        >>> ddf = dd.from_pandas(tx, npartitions=3)
        >>> 0.0 <= ciblage.dask.concentration(ddf).gini <= 1.0
        True
        >>> c = ciblage.dask.concentration(ddf, quantiles="kll")
        >>> abs(c.gini - ciblage.dask.concentration(ddf).gini) <= c.input_report["histogram"]["gini_error"] + 1e-12
        True
    """
    value = _partial.value_arg(value)
    if _sketch.sketch_size(quantiles, kll_k) is not None:
        from ._sketch import concentration_kll

        _sketch_value.check_value_column(value, cost)
        return concentration_kll(transactions, _sums_spec(customer, amount, cost), value, split_every, split_out)
    return _local_concentration(_totals(transactions, customer, amount, cost, split_every, split_out), value=value)
