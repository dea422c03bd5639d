"""Data and models shared by the Spark and Dask scoring tests: customers
with numeric and text features, and models fitted on them locally."""

from __future__ import annotations

import numpy as np
import pandas as pd

import ciblage

FEATURES = ["recency_days", "frequency", "monetary", "channel"]
NUMERIC = ["recency_days", "frequency", "monetary"]
# Partition sizes, uneven, one of them empty (the rows in order).
SIZES = [1, 0, 613, 40, 346]
TODAY = "2026-01-15"


def customers(n: int = sum(SIZES), seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "customer_id": np.arange(10_000, 10_000 + n, dtype=np.int64),
            "recency_days": rng.integers(0, 400, n).astype(np.int64),
            "frequency": rng.poisson(4.0, n).astype(np.int64),
            "monetary": np.round(rng.gamma(2.0, 40.0, n), 2),
            "channel": rng.choice(["web", "shop", "phone"], n),
            "tenure_days": rng.integers(30, 2_000, n).astype(np.int64),
            "tier": rng.choice(["Best", "Good", "Small"], n),
        }
    )
    logit = 1.5 - frame["recency_days"] / 100 + frame["frequency"] / 3 + (frame["channel"] == "web")
    frame["bought"] = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    return frame


def models(frame: pd.DataFrame) -> dict[str, object]:
    """The fitted models by name: CART and CHAID, classifier and regressor,
    on the DataFrame's columns, and a CART regressor fitted on an array."""
    x = frame[FEATURES]
    y = frame["bought"]
    value = frame["monetary"] * 1.0 + frame["frequency"] * 3.0
    return {
        "cart_classifier": ciblage.CartClassifier(max_depth=4, min_samples_leaf=10).fit(x, y),
        "cart_regressor": ciblage.CartRegressor(max_depth=3).fit(x[NUMERIC].to_numpy(dtype=float), value),
        "chaid_classifier": ciblage.ChaidClassifier(min_parent=60, min_child=20).fit(x, y),
        "chaid_regressor": ciblage.ChaidRegressor(min_parent=60, min_child=20).fit(x, value),
    }


def local(kind: str, model, frame: pd.DataFrame) -> pd.DataFrame:
    """The local call's result, as the engines lay it out: the key column
    and the prediction columns."""
    named = getattr(model, "feature_names_in_", None) is not None
    x = frame[FEATURES] if named else frame[NUMERIC].to_numpy()
    out = frame[["customer_id"]].reset_index(drop=True)
    if kind == "predict":
        out["prediction"] = model.predict(x)
    elif kind == "apply":
        out["leaf"] = np.asarray(model.apply(x), dtype=np.int64)
    else:
        proba = model.predict_proba(x)
        for j, c in enumerate(model.classes_):
            out[f"proba_{c}"] = proba[:, j]
    return out


def features_of(model) -> list[str] | None:
    return None if getattr(model, "feature_names_in_", None) is not None else NUMERIC


def lifecycle_customers(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[["customer_id", "recency_days", "frequency", "monetary", "tenure_days", "tier"]]


def local_evaluate(frame: pd.DataFrame) -> pd.DataFrame:
    out = ciblage.lifecycle.evaluate(lifecycle_customers(frame), today=TODAY).customers
    return out.sort_values("customer_id").reset_index(drop=True)
