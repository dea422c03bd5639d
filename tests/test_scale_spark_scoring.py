"""ciblage.spark: scoring with a fitted model on PySpark DataFrames equals
the local call on the same rows, with uneven and empty partitions streamed
as several Arrow batches, on a local[2] session; bad columns raise the
local errors on the driver, errors of the rows come back with their class."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import ciblage
from ciblage.exceptions import ColumnTypeError, InvalidInputError, InvalidParameterError
from scale_scoring_data import (
    FEATURES,
    NUMERIC,
    SIZES,
    TODAY,
    customers,
    features_of,
    lifecycle_customers,
    local,
    local_evaluate,
    models,
)

pytest.importorskip("pyspark")

import ciblage.spark  # noqa: E402


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return customers()


@pytest.fixture(scope="module")
def fitted(frame: pd.DataFrame) -> dict:
    return models(frame)


def partitioned(spark, frame: pd.DataFrame, sizes: list[int] = SIZES):
    """A Spark DataFrame of ``frame`` made of one partition per size (an
    empty one included), rows in order."""
    assert sum(sizes) == len(frame)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    schema = spark.createDataFrame(table.slice(0, 0)).schema
    rows = [tuple(r.values()) for r in table.to_pylist()]
    bounds = np.cumsum([0, *sizes]).tolist()
    chunks = [rows[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    rdd = spark.sparkContext.parallelize(chunks, len(chunks)).flatMap(lambda chunk: chunk)
    out = spark.createDataFrame(rdd, schema)
    assert out.rdd.glom().map(len).collect() == sizes
    return out


def _collected(df) -> pd.DataFrame:
    return df.toArrow().to_pandas().sort_values("customer_id").reset_index(drop=True)


@pytest.mark.parametrize("name", ["cart_classifier", "cart_regressor", "chaid_classifier", "chaid_regressor"])
def test_scores_equal_the_local_call(spark, frame, fitted, name: str) -> None:
    model = fitted[name]
    data = partitioned(spark, frame)
    kinds = ["predict", "apply"] + (["predict_proba"] if model._estimator_type == "classifier" else [])
    for kind in kinds:
        got = _collected(getattr(ciblage.spark, kind)(model, data, features=features_of(model)))
        expected = local(kind, model, frame)
        assert list(got.columns) == list(expected.columns), kind
        assert len(got) == len(frame)
        for column in expected.columns:
            # Exactly: the same call on the same rows.
            assert np.array_equal(got[column].to_numpy(), expected[column].to_numpy()), (kind, column)


def test_regressor_has_no_predict_proba(spark, frame, fitted) -> None:
    with pytest.raises(InvalidParameterError, match="predict_proba"):
        ciblage.spark.predict_proba(fitted["chaid_regressor"], partitioned(spark, frame))


def test_missing_feature_raises_the_local_error_before_the_job(spark, frame, fitted) -> None:
    model = fitted["chaid_classifier"]
    dropped = frame.drop(columns=["channel"])
    with pytest.raises(InvalidInputError) as local_error:
        model.predict(pa.Table.from_pandas(dropped[[c for c in FEATURES if c != "channel"]], preserve_index=False))
    with pytest.raises(InvalidInputError) as engine_error:
        ciblage.spark.predict(model, partitioned(spark, dropped))
    assert str(engine_error.value) == str(local_error.value)


def test_feature_of_the_wrong_type_raises_the_local_error(spark, frame, fitted) -> None:
    model = fitted["cart_classifier"]
    text = frame.assign(frequency=frame["frequency"].astype(str) + " times")
    with pytest.raises(ColumnTypeError, match="X: column 'frequency' cannot be read as numbers"):
        model.predict(text[FEATURES])
    with pytest.raises(ColumnTypeError, match="X: column 'frequency' cannot be read as numbers"):
        ciblage.spark.predict(model, partitioned(spark, text))


def test_error_from_the_rows_comes_back_with_its_class(spark, frame, fitted) -> None:
    model = fitted["cart_regressor"]
    bad = frame.assign(monetary=frame["monetary"].where(frame.index != 700, np.inf))
    with pytest.raises(InvalidInputError, match="X: non-finite value inf at row"):
        model.predict(bad[NUMERIC].to_numpy())
    result = ciblage.spark.predict(model, partitioned(spark, bad), features=NUMERIC)
    with pytest.raises(InvalidInputError, match="X: non-finite value inf at row"), ciblage.spark.ciblage_errors():
        result.collect()


def test_bad_parameters(spark, frame, fitted) -> None:
    data = partitioned(spark, frame)
    with pytest.raises(InvalidParameterError, match="features"):
        ciblage.spark.predict(fitted["cart_regressor"], data)
    with pytest.raises(InvalidParameterError, match="PySpark DataFrame"):
        ciblage.spark.predict(fitted["cart_classifier"], frame)
    with pytest.raises(ciblage.exceptions.ColumnNotFoundError, match="keys"):
        ciblage.spark.predict(fitted["cart_classifier"], data, keys="id")


def test_evaluate_equals_the_local_call(spark, frame) -> None:
    data = partitioned(spark, lifecycle_customers(frame))
    got = _collected(ciblage.spark.evaluate(data, today=TODAY))
    expected = local_evaluate(frame)
    assert list(got.columns) == list(expected.columns)
    for column in expected.columns:
        assert got[column].astype(str).tolist() == expected[column].astype(str).tolist(), column


def test_evaluate_refuses_a_customer_in_two_partitions(spark, frame) -> None:
    table = lifecycle_customers(frame)
    repeated = pd.concat([table, table.iloc[[5]]], ignore_index=True)
    data = partitioned(spark, repeated, [*SIZES[:-1], SIZES[-1] + 1])
    with pytest.raises(InvalidInputError, match="customer_id"), ciblage.spark.ciblage_errors():
        ciblage.spark.evaluate(data, today=TODAY).collect()


def test_empty_frame_gives_an_empty_result(spark, frame, fitted) -> None:
    # The policy of the engines (docs/scale.md): no rows in, no rows out, the columns of the result.
    model = fitted["cart_classifier"]
    empty = partitioned(spark, frame.iloc[:0], [0, 0])
    out = ciblage.spark.predict_proba(model, empty)
    assert out.columns == ["customer_id", *[f"proba_{c}" for c in model.classes_]]
    assert out.count() == 0
