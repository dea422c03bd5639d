"""KPrototypes and KModes saved as JSON: the round trip gives the same
model, and damaged or hand-edited files are refused with ModelFileError
naming what is wrong."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest

from ciblage.cluster import KModes, KPrototypes
from ciblage.exceptions import InvalidInputError, InvalidParameterError, ModelFileError, NotFittedError


def _mixed(n: int = 120, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = rng.integers(0, 3, n)
    return pd.DataFrame(
        {
            "spend": np.array([10.0, 50.0, 90.0])[g] + rng.normal(0, 2, n),
            "channel": np.array(["web", "shop", "phone"])[(g + (rng.random(n) < 0.1)) % 3],
            "visits": np.array([1.0, 5.0, 9.0])[g] + rng.normal(0, 0.5, n),
            "region": rng.choice(["north", "south"], n),
        }
    )


@pytest.fixture(scope="module")
def fitted() -> KPrototypes:
    return KPrototypes(n_clusters=3, random_state=0, n_init=2).fit(_mixed())


def test_kprototypes_round_trip_predicts_the_same(fitted: KPrototypes) -> None:
    text = fitted.to_json()
    back = KPrototypes.from_json(text)
    new = _mixed(80, seed=5)
    new.loc[3, "channel"] = "mail"  # a category unseen in fit matches no mode
    np.testing.assert_array_equal(back.predict(new), fitted.predict(new))
    np.testing.assert_array_equal(back.labels_, fitted.labels_)
    np.testing.assert_array_equal(back.numeric_centers_, fitted.numeric_centers_)
    np.testing.assert_array_equal(back.categorical_centers_, fitted.categorical_centers_)
    assert (back.cluster_centers_ == fitted.cluster_centers_).all()
    assert back.gamma_ == fitted.gamma_ and back.cost_ == fitted.cost_ and back.n_iter_ == fitted.n_iter_
    assert list(back.feature_names_in_) == ["spend", "channel", "visits", "region"]
    assert back.n_features_in_ == 4
    for a, b in zip(back.categories_, fitted.categories_, strict=True):
        np.testing.assert_array_equal(a, b)
    # Written again, the same text; bytes are read as well.
    assert back.to_json() == text
    assert KPrototypes.from_json(text.encode()).to_json() == text


def test_kprototypes_round_trip_without_names_and_integer_categories() -> None:
    rng = np.random.default_rng(1)
    X = np.column_stack([rng.normal(size=60), rng.integers(0, 4, 60), rng.normal(size=60)])
    km = KPrototypes(n_clusters=2, random_state=0, categorical=[1]).fit(X)
    back = KPrototypes.from_json(km.to_json())
    assert not hasattr(back, "feature_names_in_")
    np.testing.assert_array_equal(back.categories_[0], np.unique(X[:, 1]))
    np.testing.assert_array_equal(back.predict(X[::-1]), km.predict(X[::-1]))


def test_kmodes_round_trip() -> None:
    rng = np.random.default_rng(2)
    X = np.column_stack(
        [rng.choice(["a", "b", "c"], 90), rng.integers(0, 3, 90).astype(str), rng.choice(["x", "y"], 90)]
    )
    km = KModes(n_clusters=3, random_state=0).fit(X)
    back = KModes.from_json(km.to_json())
    np.testing.assert_array_equal(back.predict(X), km.predict(X))
    np.testing.assert_array_equal(back.cluster_centers_, km.cluster_centers_)
    assert back.cost_ == km.cost_


def test_to_json_before_fit() -> None:
    with pytest.raises(NotFittedError):
        KPrototypes().to_json()


def test_text_must_be_a_string() -> None:
    with pytest.raises(InvalidParameterError, match="text"):
        KPrototypes.from_json(42)  # type: ignore[arg-type]


def _edit(text: str, change: Callable[[dict[str, Any]], None]) -> str:
    f = json.loads(text)
    change(f)
    return json.dumps(f)


def _set(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(f: dict[str, Any]) -> None:
        for p in path[:-1]:
            f = f[p]
        f[path[-1]] = value

    return change


def _drop_center(f: dict[str, Any]) -> None:
    m = f["model"]
    m["numeric_centers"] = m["numeric_centers"][: -m["n_numeric"]]


def _grow_dimension(f: dict[str, Any]) -> None:
    # One more numeric feature everywhere in the estimator's fields, the
    # native model left with two.
    f["n_features_in"] = 5
    f["feature_names_in"] = None


def _unsorted(f: dict[str, Any]) -> None:
    f["categories"][0]["values"] = f["categories"][0]["values"][::-1]


def _mode_out_of_range(f: dict[str, Any]) -> None:
    f["model"]["categorical_centers"][0] = 99


CORRUPT = {
    "truncated": (lambda t: t[: len(t) // 2], "not JSON"),
    "not an object": (lambda t: "[1, 2]", "JSON object"),
    "wrong version": (lambda t: _edit(t, _set(["version"], 2)), "version 2"),
    "wrong format": (lambda t: _edit(t, _set(["format"], "ciblage.kmeans")), "format"),
    "native version": (lambda t: _edit(t, _set(["model", "version"], 999)), "version 999"),
    "missing field": (lambda t: _edit(t, lambda f: f.pop("categories")), "missing \\['categories'\\]"),
    "centre count": (lambda t: _edit(t, _set(["model", "n_clusters"], 4)), "numeric_centers"),
    "centre dropped": (lambda t: _edit(t, _drop_center), "numeric_centers"),
    "dimension": (lambda t: _edit(t, _grow_dimension), "numeric and 2 categorical"),
    "categorical columns": (lambda t: _edit(t, _set(["categorical"], [0, 1, 2, 3])), "both numeric and categorical"),
    # json.dumps writes the non-standard NaN / Infinity tokens.
    "nan centre": (lambda t: _edit(t, _set(["model", "numeric_centers", 0], float("nan"))), "NaN"),
    "infinite gamma": (lambda t: _edit(t, _set(["model", "gamma"], float("inf"))), "Infinity"),
    "nan category": (
        lambda t: _edit(t, _set(["categories", 0], {"dtype": "object", "values": [float("nan"), "x"]})),
        "NaN",
    ),
    "unsorted categories": (lambda t: _edit(t, _unsorted), "increasing order"),
    "mode out of range": (lambda t: _edit(t, _mode_out_of_range), "not one of its"),
    "names count": (lambda t: _edit(t, _set(["feature_names_in"], ["a"])), "feature_names_in"),
    "bad dtype": (lambda t: _edit(t, _set(["categories", 0, "dtype"], "complex128")), "dtype"),
    "negative gamma": (lambda t: _edit(t, _set(["model", "gamma"], -1.0)), "gamma"),
    "label out of range": (lambda t: _edit(t, _set(["model", "labels", 0], 7)), "labels"),
}


@pytest.mark.parametrize("case", sorted(CORRUPT))
def test_damaged_files_are_refused(fitted: KPrototypes, case: str) -> None:
    damage, match = CORRUPT[case]
    text = fitted.to_json()
    with pytest.raises(ModelFileError, match=match):
        KPrototypes.from_json(damage(text))


def test_a_kmodes_file_is_not_a_kprototypes_model() -> None:
    km = KModes(n_clusters=2, random_state=0).fit([["a", "x"], ["b", "y"], ["a", "y"]])
    with pytest.raises(ModelFileError, match="format"):
        KPrototypes.from_json(km.to_json())


def test_categories_json_cannot_hold_are_refused_at_save() -> None:
    X = pd.DataFrame({"v": [1.0, 2.0, 30.0, 31.0], "c": [Decimal("1.5"), Decimal("1.5"), Decimal(2), Decimal(2)]})
    km = KPrototypes(n_clusters=2, random_state=0, categorical=["c"]).fit(X)
    with pytest.raises(InvalidInputError, match="JSON cannot hold"):
        km.to_json()


def test_dates_and_booleans_as_categories_round_trip() -> None:
    X = pd.DataFrame(
        {
            "v": [1.0, 1.5, 2.0, 30.0, 31.0, 32.0],
            "day": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-02"] * 2),
            "flag": [True, True, True, False, False, True],
        }
    )
    km = KPrototypes(n_clusters=2, random_state=0, categorical=["day", "flag"]).fit(X)
    back = KPrototypes.from_json(km.to_json())
    np.testing.assert_array_equal(back.categories_[0], np.unique(X["day"].to_numpy()))
    np.testing.assert_array_equal(back.categories_[1], [False, True])
    np.testing.assert_array_equal(back.predict(X), km.predict(X))


@pytest.mark.parametrize(
    ("column", "values", "match"),
    [
        (0, ["north", 3], "cannot be ordered"),  # a number among strings
        (0, ["north", [1]], "not a string, number or boolean"),
        (1, ["a", "b"], "not of dtype"),  # strings for a float column
        (1, [True, False], "not of dtype"),
        (2, [1, 2], "not of dtype"),  # numbers for a date column
        (2, ["NaT", "2024-01-02T00:00:00"], "NaN"),
    ],
)
def test_category_values_of_another_type_are_refused(column: int, values: list[Any], match: str) -> None:
    rng = np.random.default_rng(3)
    X = pd.DataFrame(
        {
            "v": rng.normal(size=20),
            "s": rng.choice(["north", "south"], 20),
            "i": rng.integers(0, 3, 20),
            "d": pd.to_datetime(rng.choice(["2024-01-01", "2024-01-02"], 20)),
        }
    )
    text = KPrototypes(n_clusters=2, random_state=0, categorical=["s", "i", "d"]).fit(X).to_json()
    f = json.loads(text)
    f["categories"][column]["values"] = values
    with pytest.raises(ModelFileError, match=match):
        KPrototypes.from_json(json.dumps(f))
