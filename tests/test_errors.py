"""Every validation rule: its Python exception class and its message."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import ciblage
from ciblage import (
    CiblageError,
    ColumnNotFoundError,
    ColumnTypeError,
    InvalidInputError,
    InvalidParameterError,
    SegmentTableError,
)


def tx(**overrides) -> pd.DataFrame:
    base = {
        "customer_id": [1, 2, 2],
        "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]),
        "amount": [10.0, 20.0, 30.0],
    }
    base.update(overrides)
    return pd.DataFrame(base)


def test_hierarchy() -> None:
    assert issubclass(InvalidInputError, ValueError) and issubclass(InvalidInputError, CiblageError)
    assert issubclass(InvalidParameterError, ValueError)
    assert issubclass(ColumnTypeError, TypeError)
    assert issubclass(ColumnNotFoundError, KeyError)
    assert issubclass(SegmentTableError, InvalidParameterError)


def test_empty_input() -> None:
    with pytest.raises(InvalidInputError, match="^transactions: input is empty$"):
        ciblage.rfm(tx().iloc[:0])


def test_mismatched_lengths() -> None:
    data = {
        "customer_id": np.array([1, 2]),
        "timestamp": np.array(["2024-01-01"], "datetime64[us]"),
        "amount": np.array([1.0, 2.0]),
    }
    with pytest.raises(ColumnTypeError, match="cannot read the mapping as columns"):
        ciblage.rfm(data)


def test_nan_amount() -> None:
    with pytest.raises(InvalidInputError, match=r"^amount: non-finite value NaN at row 1$"):
        ciblage.rfm(tx(amount=[1.0, np.nan, 2.0]))
    # An Arrow null (pandas nullable Float64, polars null) is a missing value.
    with pytest.raises(InvalidInputError, match=r"^amount: null value at row 1$"):
        ciblage.rfm(tx(amount=pd.array([1.0, None, 2.0], dtype="Float64")))


def test_infinite_amount() -> None:
    with pytest.raises(InvalidInputError, match=r"^amount: non-finite value inf at row 2$"):
        ciblage.rfm(tx(amount=[1.0, 2.0, np.inf]))


def test_non_finite_is_named_by_column() -> None:
    data = tx(amount=[1.0, 2.0, -np.inf]).rename(columns={"amount": "price"})
    with pytest.raises(InvalidInputError, match=r'^amount \(column "price"\): non-finite value -inf at row 2$'):
        ciblage.rfm(data, amount="price")


def test_null_id_and_timestamp() -> None:
    with pytest.raises(InvalidInputError, match=r"^customer \(column \"customer_id\"\): null value at row 0$"):
        ciblage.rfm(tx(customer_id=[None, "a", "b"]))
    with pytest.raises(InvalidInputError, match=r"^timestamp: null value at row 2$"):
        ciblage.rfm(tx(timestamp=pd.to_datetime(["2024-01-01", "2024-01-02", None])))
    with pytest.raises(InvalidInputError, match=r"^timestamp: null value at row 0$"):
        ciblage.rfm(tx(timestamp=pd.to_datetime([None, "2024-01-02", "2024-01-03"]).tz_localize("Europe/Paris")))


def test_negative_amounts_rejected_by_policy() -> None:
    with pytest.raises(InvalidInputError, match=r"^amount: negative value -5 at row 1 \(negative amounts are rejected"):
        ciblage.rfm(tx(amount=[1.0, -5.0, 2.0]), negative_amounts="reject")


def test_missing_column_lists_the_columns() -> None:
    with pytest.raises(
        ColumnNotFoundError,
        match=r'^amount: column "price" not found; the table has \["customer_id", "timestamp", "amount"\]$',
    ):
        ciblage.rfm(tx(), amount="price")
    with pytest.raises(KeyError):
        ciblage.rfm(pa.Table.from_pandas(tx()), customer="client")


def test_column_types() -> None:
    with pytest.raises(
        ColumnTypeError, match=r'^amount: column "amount" has type (Large)?Utf8(View)?, expected numbers'
    ):
        ciblage.rfm(tx(amount=["1", "2", "3"]))
    with pytest.raises(ColumnTypeError, match=r'^timestamp: column "timestamp" has type .*, expected timestamps'):
        ciblage.rfm(tx(timestamp=["2024-01-01", "2024-01-02", "2024-01-03"]))
    with pytest.raises(ColumnTypeError, match=r'^customer: column "customer_id" has type Float64, expected integers'):
        ciblage.rfm(tx(customer_id=[1.0, 2.0, 3.0]))
    with pytest.raises(ColumnTypeError, match="^transactions: expected a pandas, polars or pyarrow table"):
        ciblage.rfm([1, 2, 3])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"bins": 12}, r"^invalid parameter bins: expected an integer from 2 to 9, got 12$"),
        ({"bins": 1}, r"^invalid parameter bins: expected an integer from 2 to 9, got 1$"),
        ({"bins": 2.5}, r"^invalid parameter bins: expected an integer"),
        (
            {"method": "jenks"},
            r'^invalid parameter method: expected "quantile", "rfm_compat" or "equal_count", got "jenks"$',
        ),
        ({"frequency": "weekly"}, r"^invalid parameter frequency"),
        ({"monetary": "profit"}, r"^invalid parameter monetary"),
        ({"monetary": "margin"}, r'^invalid parameter monetary: "margin" needs a cost column'),
        ({"variant": "rfx"}, r"^invalid parameter variant"),
        ({"negative_amounts": "drop"}, r"^invalid parameter negative_amounts"),
        ({"weights": (1, -1, 1)}, r"^invalid parameter weights: must be finite and non-negative"),
        ({"weights": (1, 1)}, r"^invalid parameter weights: expected three numbers"),
        ({"recency_cuts": [30, 10]}, r"^invalid parameter recency_cuts: cut points must be strictly increasing"),
        ({"monetary_cuts": [float("nan")]}, r"^invalid parameter monetary_cuts: cut points must be finite"),
        ({"monetary_cuts": ["x"]}, r"^invalid parameter monetary_cuts: expected numbers"),
        ({"timezone": "Mars/Olympus"}, r'^invalid parameter timezone: unknown time zone "Mars/Olympus"$'),
        ({"as_of": "yesterday"}, r"^invalid parameter as_of: expected a date"),
        ({"segments": 42}, r"^invalid parameter segments: expected a SegmentTable"),
    ],
)
def test_bad_parameters(kwargs, message) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        ciblage.rfm(tx(), **kwargs)


def test_nothing_to_score() -> None:
    with pytest.raises(
        InvalidInputError,
        match=r"^as_of: no transaction left to score on or before 2023-01-01 \(3 rows read, 3 after the reference date",
    ):
        ciblage.rfm(tx(), as_of="2023-01-01")


def test_segment_tables() -> None:
    with pytest.raises(SegmentTableError, match="unknown field `colour`.*line 1"):
        ciblage.SegmentTable.from_json(
            '{"segment": [{"name": "A", "recency": [1, 5], "frequency": [1, 5], "monetary": [1, 5], "colour": 1}]}'
        )
    with pytest.raises(SegmentTableError, match=r"score range \[5, 1\] must satisfy 1 <= low <= high <= 9"):
        ciblage.SegmentTable([("A", (5, 1), (1, 5), (1, 5))])
    with pytest.raises(SegmentTableError, match='segment name "A" is used twice'):
        ciblage.SegmentTable([("A", (1, 5), (1, 5), (1, 5)), ("A", (1, 5), (1, 5), (1, 5))])
    with pytest.raises(SegmentTableError, match="line 2"):
        ciblage.SegmentTable.from_toml("[[segment]]\nname = 3\n")
    with pytest.raises(InvalidParameterError, match="expected a .json or .toml file"):
        ciblage.rfm(tx(), segments=__file__)


def test_synthetic_parameters() -> None:
    with pytest.raises(
        InvalidParameterError, match="^invalid parameter transactions: must be at least the number of customers"
    ):
        ciblage.datasets.transactions(customers=10, transactions=5)
    with pytest.raises(InvalidParameterError, match="^invalid parameter library"):
        ciblage.datasets.transactions(library="excel")
