"""String customer ids of every layout (pandas str, object and categorical,
pyarrow string, large_string and string_view, polars) give the results of
the same customers under integer ids: enough rows for the ids to be coded
on all threads in several rounds, ids of several lengths."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import ciblage
from ciblage import clv

# 300,000 rows of 40,000 customers in random order (rounds of 65,536 rows
# each see new and known ids); ids of 2 to 30 bytes.
_RNG = np.random.default_rng(3)
_N = 300_000
_NUMBERS = _RNG.integers(0, 40_000, _N)
_IDS = np.array([("C" if k % 3 else "customer-with-a-long-name-") + str(k) for k in range(40_000)], dtype=object)
_TS = np.datetime64("2022-01-01", "us") + _RNG.integers(0, 700, _N).astype("timedelta64[D]")
_AMOUNT = np.round(_RNG.lognormal(3.0, 1.0, _N), 2)


def _frame(ids: object) -> pd.DataFrame:
    return pd.DataFrame({"customer_id": ids, "timestamp": _TS, "amount": _AMOUNT})


def _layouts() -> dict[str, object]:
    strings = _IDS[_NUMBERS]
    base = pa.table({"customer_id": pa.array(strings, pa.string()), "timestamp": _TS, "amount": _AMOUNT})

    def cast(t: pa.Table, arrow_type: pa.DataType) -> pa.Table:
        return t.set_column(0, "customer_id", t.column(0).cast(arrow_type))

    return {
        "pandas-str": _frame(pd.Series(strings).astype("str")),
        "pandas-object": _frame(pd.Series(strings, dtype=object)),
        "pandas-category": _frame(pd.Series(strings).astype("category")),
        "pyarrow-string": base,
        "pyarrow-large": cast(base, pa.large_string()),
        "pyarrow-view": cast(base, pa.string_view()),
        "pyarrow-chunks": pa.concat_tables([base.slice(0, 70_000), base.slice(70_000, 1), base.slice(70_001)]),
        "polars": pl.from_arrow(base),
    }


def _as_pandas(table: object) -> pd.DataFrame:
    if isinstance(table, pl.DataFrame):
        return table.to_pandas()
    if isinstance(table, pa.Table):
        return table.to_pandas()
    assert isinstance(table, pd.DataFrame)
    return table


@pytest.fixture(scope="module")
def by_int() -> pd.DataFrame:
    # The reference: the same customers under integer ids, renamed and put
    # in the byte order of the string ids.
    s = clv.summary(_frame(_NUMBERS), observation_end="2023-12-31", calibration_end="2023-06-30")
    s["customer_id"] = _IDS[s["customer_id"].to_numpy()]
    return s.sort_values("customer_id", key=lambda c: c.map(str.encode)).reset_index(drop=True)


@pytest.mark.parametrize("layout", list(_layouts()))
def test_summary_of_string_ids_is_that_of_integer_ids(layout: str, by_int: pd.DataFrame) -> None:
    data = _layouts()[layout]
    s = _as_pandas(clv.summary(data, observation_end="2023-12-31", calibration_end="2023-06-30"))
    assert [str(v) for v in s["customer_id"]] == list(by_int["customer_id"])
    for column in by_int.columns.drop("customer_id"):
        np.testing.assert_array_equal(s[column].to_numpy(), by_int[column].to_numpy(), err_msg=column)


def test_rfm_of_string_ids_is_that_of_integer_ids() -> None:
    want = ciblage.rfm(_frame(_NUMBERS), as_of="2024-01-01")
    want["customer_id"] = _IDS[want["customer_id"].to_numpy()]
    want = want.set_index("customer_id").sort_index()
    for layout, data in _layouts().items():
        got = _as_pandas(ciblage.rfm(data, as_of="2024-01-01"))
        got = got.assign(customer_id=[str(v) for v in got["customer_id"]]).set_index("customer_id").sort_index()
        pd.testing.assert_frame_equal(got, want, check_dtype=False, check_categorical=False, obj=layout)
