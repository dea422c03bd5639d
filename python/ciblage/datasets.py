"""Bundled data: a deterministic generator of realistic transactions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, overload

from . import _native
from ._params import Param, as_bool, as_choice, convert
from ._tables import from_arrow
from ._typing import Table

if TYPE_CHECKING:
    import pandas
    import polars
    import pyarrow

__all__ = ["transactions", "cdnow", "donations"]

# The generator's ranges. The native checks share the lower bound of
# customers, the upper bound of transactions (its MAX_TRANSACTIONS) and
# both of return_rate; customers' upper bound follows from transactions'
# (at most one customer per row), transactions' lower one is relational
# (at least the customers, checked natively), seed's are the native type's
# (tests/test_params_table.py).
CUSTOMERS = Param(
    "customers",
    "int",
    10_000,
    "number of customers",
    low=1,
    high=100_000_000,
    native="customers",
    native_checks=("low",),
)
TRANSACTIONS = Param(
    "transactions",
    "int",
    100_000,
    "number of rows",
    low=1,
    high=100_000_000,
    native="transactions",
    native_checks=("high",),
)
SEED = Param("seed", "int", 42, "seed of the generator", low=0, high=2**64 - 1, native="seed")
RETURN_RATE = Param(
    "return_rate",
    "float",
    0.02,
    "share of rows that are returns",
    low=0.0,
    high=1.0,
    high_open=True,
    native="return_rate",
    native_checks=("low", "high"),
)


@overload
def transactions(
    *,
    customers: int = 10_000,
    transactions: int = 100_000,
    seed: int = 42,
    string_ids: bool = False,
    return_rate: float = 0.02,
    library: Literal["pyarrow"] = ...,
) -> pyarrow.Table: ...


@overload
def transactions(
    *,
    customers: int = 10_000,
    transactions: int = 100_000,
    seed: int = 42,
    string_ids: bool = False,
    return_rate: float = 0.02,
    library: Literal["pandas"],
) -> pandas.DataFrame: ...


@overload
def transactions(
    *,
    customers: int = 10_000,
    transactions: int = 100_000,
    seed: int = 42,
    string_ids: bool = False,
    return_rate: float = 0.02,
    library: Literal["polars"],
) -> polars.DataFrame: ...


@overload
def transactions(
    *,
    customers: int = 10_000,
    transactions: int = 100_000,
    seed: int = 42,
    string_ids: bool = False,
    return_rate: float = 0.02,
    library: str,
) -> Table: ...


def transactions(
    *,
    customers: int = 10_000,
    transactions: int = 100_000,
    seed: int = 42,
    string_ids: bool = False,
    return_rate: float = 0.02,
    library: str = "pyarrow",
) -> Table:
    """Synthetic transactions: customer_id, timestamp (UTC), amount, cost.

    Pareto-distributed orders per customer, customers acquired over two years
    from 2022-01-01 and churning after an exponential lifetime, log-normal
    amounts, more sales in November and December, ``return_rate`` of rows
    being returns (negative amounts). The same seed always gives the same rows.

    Args:
        customers: number of customers, 1 to 100,000,000 (at most one per
            row).
        transactions: number of rows, from ``customers`` to 100,000,000
            (about 100 bytes per row are held at the peak).
        seed: any integer from 0 to 2^64 - 1.
        string_ids: ids as strings ("C000001") rather than integers.
        return_rate: share of rows that are returns, in [0, 1).
        library: ``"pyarrow"``, ``"pandas"`` or ``"polars"``.

    Raises:
        InvalidParameterError: a parameter of the wrong type or outside
            its range, named in the message.

    Example:
        >>> import ciblage
        >>> tx = ciblage.datasets.transactions(customers=50, transactions=400, library="pandas")
        >>> list(tx.columns), len(tx), tx["customer_id"].nunique()
        (['customer_id', 'timestamp', 'amount', 'cost'], 400, 50)
    """
    library = as_choice(library, "library", ("pyarrow", "pandas", "polars"))
    table = _native.synthetic_transactions(
        customers=convert(CUSTOMERS, customers),
        transactions=convert(TRANSACTIONS, transactions),
        seed=convert(SEED, seed),
        string_ids=as_bool(string_ids, "string_ids"),
        return_rate=convert(RETURN_RATE, return_rate),
    )
    return from_arrow(table, library)


@overload
def cdnow(*, library: Literal["pyarrow"] = ...) -> pyarrow.Table: ...


@overload
def cdnow(*, library: Literal["pandas"]) -> pandas.DataFrame: ...


@overload
def cdnow(*, library: Literal["polars"]) -> polars.DataFrame: ...


@overload
def cdnow(*, library: str) -> Table: ...


def cdnow(*, library: str = "pyarrow") -> Table:
    """The CDNOW sample of Fader, Hardie & Lee (2005): 6,919 purchases of
    2,357 customers between 1997-01-01 and 1998-06-30, as customer_id (the
    sample index, 1 to 2,357), timestamp (the purchase date), cds (number of
    CDs) and amount (dollars). From the ``lifetimes`` package (MIT licence,
    kept beside the file in ``ciblage/data/``).

    Args:
        library: ``"pyarrow"``, ``"pandas"`` or ``"polars"``.

    Example:
        >>> import ciblage
        >>> cd = ciblage.datasets.cdnow(library="pandas")
        >>> len(cd), cd["customer_id"].nunique()
        (6919, 2357)
    """
    import datetime
    import pathlib

    import pyarrow as pa

    library = as_choice(library, "library", ("pyarrow", "pandas", "polars"))
    ids, dates, cds, amounts = [], [], [], []
    text = (pathlib.Path(__file__).parent / "data" / "CDNOW_sample.txt").read_text(encoding="ascii")
    for line in text.splitlines():
        fields = line.split()
        if fields:
            ids.append(int(fields[1]))
            dates.append(datetime.date(int(fields[2][:4]), int(fields[2][4:6]), int(fields[2][6:])))
            cds.append(int(fields[3]))
            amounts.append(float(fields[4]))
    table = pa.table({"customer_id": ids, "timestamp": pa.array(dates, pa.date32()), "cds": cds, "amount": amounts})
    if library == "pandas":
        return table.to_pandas()
    if library == "polars":
        import polars as pl

        return pl.from_arrow(table)
    return table


@overload
def donations(*, library: Literal["pyarrow"] = ...) -> pyarrow.Table: ...


@overload
def donations(*, library: Literal["pandas"]) -> pandas.DataFrame: ...


@overload
def donations(*, library: Literal["polars"]) -> polars.DataFrame: ...


@overload
def donations(*, library: str) -> Table: ...


def donations(*, library: str = "pyarrow") -> Table:
    """The donations data of Fader, Hardie & Shang (2010) for the BG/BB
    model: 11,104 donors over 6 yearly opportunities after their first
    donation, as 22 distinct histories: frequency (years with a donation),
    recency (the last of them, 0 without one), periods (6) and weights
    (donors with the history). From the ``lifetimes`` package (MIT
    licence, kept beside the file in ``ciblage/data/``).

    Args:
        library: ``"pyarrow"``, ``"pandas"`` or ``"polars"``.

    Example:
        >>> import ciblage
        >>> donors = ciblage.datasets.donations(library="pandas")
        >>> len(donors), int(donors["weights"].sum())
        (22, 11104)
    """
    import pathlib

    import pyarrow as pa

    library = as_choice(library, "library", ("pyarrow", "pandas", "polars"))
    text = (pathlib.Path(__file__).parent / "data" / "donations.csv").read_text(encoding="ascii")
    lines = [line.split(",") for line in text.splitlines() if line.strip()]
    names = [n.strip() for n in lines[0]]
    table = pa.table({n: [int(row[i]) for row in lines[1:]] for i, n in enumerate(names)})
    if library == "pandas":
        return table.to_pandas()
    if library == "polars":
        import polars as pl

        return pl.from_arrow(table)
    return table
