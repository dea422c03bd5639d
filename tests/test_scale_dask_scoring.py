"""ciblage.dask: scoring with a fitted model on Dask DataFrames equals the
local call on the same rows, with uneven and empty partitions, on a
LocalCluster of two worker processes; bad columns raise the local errors."""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pytest

import ciblage
from ciblage.exceptions import ColumnTypeError, InvalidInputError, InvalidParameterError
from scale_scoring_data import (
    FEATURES,
    SIZES,
    TODAY,
    customers,
    features_of,
    lifecycle_customers,
    local,
    local_evaluate,
    models,
)

dd = pytest.importorskip("dask.dataframe")
pytest.importorskip("distributed")

import ciblage.dask  # noqa: E402


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return customers()


@pytest.fixture(scope="module")
def fitted(frame: pd.DataFrame) -> dict:
    return models(frame)


def partitioned(frame: pd.DataFrame, sizes: list[int] = SIZES):
    """A Dask DataFrame of ``frame`` cut into partitions of ``sizes`` rows
    (an empty one included)."""
    assert sum(sizes) == len(frame)
    bounds = np.cumsum([0, *sizes])
    parts = [frame.iloc[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    out = dd.from_map(lambda p: p, parts, meta=frame.iloc[:0], enforce_metadata=False)
    assert out.npartitions == len(sizes)
    return out


def _sorted(out: pd.DataFrame) -> pd.DataFrame:
    return out.sort_values("customer_id").reset_index(drop=True)


@pytest.mark.parametrize("name", ["cart_classifier", "cart_regressor", "chaid_classifier", "chaid_regressor"])
@pytest.mark.parametrize("kind", ["predict", "predict_proba", "apply"])
def test_scores_equal_the_local_call(dask_client, frame, fitted, name: str, kind: str) -> None:
    model = fitted[name]
    if kind == "predict_proba" and model._estimator_type != "classifier":
        with pytest.raises(InvalidParameterError, match="predict_proba"):
            ciblage.dask.predict_proba(model, partitioned(frame), features=features_of(model))
        return
    call = getattr(ciblage.dask, kind)
    result = call(model, partitioned(frame), features=features_of(model))
    assert result.npartitions == len(SIZES)
    got = _sorted(result.compute())
    expected = local(kind, model, frame)
    assert list(got.columns) == list(expected.columns)
    assert len(got) == len(frame)
    for column in expected.columns:
        # Exactly: the same call on the same rows.
        assert np.array_equal(got[column].to_numpy(), expected[column].to_numpy()), column


def test_partition_sizes_do_not_change_the_result(dask_client, frame, fitted) -> None:
    model = fitted["cart_classifier"]
    one = _sorted(ciblage.dask.predict_proba(model, partitioned(frame, [len(frame)])).compute())
    many = _sorted(ciblage.dask.predict_proba(model, partitioned(frame, [500, 0, 0, 500])).compute())
    pd.testing.assert_frame_equal(one, many)


def test_the_model_enters_the_graph_once(frame, fitted) -> None:
    # One key holds the model's bytes; every partition's task depends on it.
    result = ciblage.dask.predict(fitted["chaid_classifier"], partitioned(frame))
    graph = dict(result.__dask_graph__())
    model_keys = [k for k in graph if "ciblage-model-" in str(k)]
    assert len(model_keys) == 1, model_keys


def test_each_worker_reads_the_model_once(dask_client, frame, fitted) -> None:
    from ciblage._engine_scoring import Job

    model = fitted["cart_classifier"]
    key = Job("predict", model, keys="customer_id").key
    data = partitioned(frame, [100] * 10)
    for _ in range(2):
        assert len(ciblage.dask.predict(model, data).compute()) == len(frame)
    reads = dask_client.run(lambda: importlib.import_module("ciblage._engine_scoring").READS.get(key, 0))
    # 20 partitions scored on 2 worker processes: one read per process that scored any.
    assert sum(reads.values()) <= len(reads), reads
    assert sum(reads.values()) >= 1, reads


def test_missing_feature_raises_the_local_error_before_compute(frame, fitted) -> None:
    model = fitted["cart_classifier"]
    dropped = frame.drop(columns=["frequency"])
    with pytest.raises(InvalidInputError) as local_error:
        model.predict(dropped[[c for c in FEATURES if c != "frequency"]])
    with pytest.raises(InvalidInputError) as engine_error:
        ciblage.dask.predict(model, partitioned(dropped))
    assert str(engine_error.value) == str(local_error.value)


def test_feature_of_the_wrong_type_raises_the_local_error(frame, fitted) -> None:
    model = fitted["cart_regressor"]
    text = frame.assign(monetary=frame["monetary"].astype(str) + "€")
    with pytest.raises((InvalidInputError, ColumnTypeError)) as local_error:
        model.predict(text[["recency_days", "frequency", "monetary"]].to_numpy())
    with pytest.raises(type(local_error.value)) as engine_error:
        ciblage.dask.predict(model, partitioned(text), features=["recency_days", "frequency", "monetary"])
    assert type(engine_error.value) is type(local_error.value)
    # The same message, but for the value quoted (the check reads one made-up row).
    head = "X: cannot be read as numbers: could not convert string to float"
    assert str(local_error.value).startswith(head)
    assert str(engine_error.value).startswith(head)
    # A model fitted on a DataFrame names the column.
    with pytest.raises(ColumnTypeError, match="X: column 'frequency' cannot be read as numbers"):
        fitted["cart_classifier"].predict(frame.assign(frequency="often")[FEATURES])
    with pytest.raises(ColumnTypeError, match="X: column 'frequency' cannot be read as numbers"):
        ciblage.dask.predict(fitted["cart_classifier"], partitioned(frame.assign(frequency="often")))


def test_error_from_the_rows_comes_back_with_its_class(dask_client, frame, fitted) -> None:
    model = fitted["cart_regressor"]
    bad = frame.assign(monetary=frame["monetary"].where(frame.index != 700, np.inf))
    with pytest.raises(InvalidInputError, match="X: non-finite value inf at row"):
        model.predict(bad[["recency_days", "frequency", "monetary"]].to_numpy())
    result = ciblage.dask.predict(model, partitioned(bad), features=["recency_days", "frequency", "monetary"])
    with pytest.raises(InvalidInputError, match="X: non-finite value inf at row"):
        result.compute()


def test_bad_parameters(frame, fitted) -> None:
    with pytest.raises(InvalidParameterError, match="features"):
        ciblage.dask.predict(fitted["cart_regressor"], partitioned(frame))
    with pytest.raises(InvalidParameterError, match="Dask DataFrame"):
        ciblage.dask.predict(fitted["cart_classifier"], frame)
    with pytest.raises(InvalidParameterError, match="model"):
        ciblage.dask.predict(object(), partitioned(frame))
    with pytest.raises(InvalidParameterError, match="keys"):
        ciblage.dask.predict(fitted["cart_classifier"], partitioned(frame), keys=3)
    with pytest.raises(ciblage.exceptions.NotFittedError):
        ciblage.dask.predict(ciblage.CartClassifier(), partitioned(frame), features=FEATURES)


def test_evaluate_equals_the_local_call(dask_client, frame) -> None:
    data = partitioned(lifecycle_customers(frame))
    got = _sorted(ciblage.dask.evaluate(data, today=TODAY).compute())
    expected = local_evaluate(frame)
    assert list(got.columns) == list(expected.columns)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert (got["stage"].astype(str) == expected["stage"].astype(str)).all()


def test_evaluate_refuses_a_customer_in_two_partitions(dask_client, frame) -> None:
    table = lifecycle_customers(frame)
    repeated = pd.concat([table, table.iloc[[5]]], ignore_index=True)
    data = partitioned(repeated, [*SIZES[:-1], SIZES[-1] + 1])
    with pytest.raises(InvalidInputError, match="customer_id"):
        ciblage.lifecycle.evaluate(repeated, today=TODAY)
    with pytest.raises(InvalidInputError, match="customer_id"):
        ciblage.dask.evaluate(data, today=TODAY).compute()


def test_empty_frame_gives_an_empty_result(dask_client, frame, fitted) -> None:
    # The policy of the engines (docs/scale.md): no rows in, no rows out, the columns of the result.
    model = fitted["chaid_classifier"]
    empty = dd.from_pandas(frame.iloc[:0], npartitions=1)
    out = ciblage.dask.predict_proba(model, empty).compute()
    assert len(out) == 0
    assert list(out.columns) == ["customer_id", *[f"proba_{c}" for c in model.classes_]]
