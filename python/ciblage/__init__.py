"""ciblage: customer segmentation from raw transactions.

>>> import ciblage
>>> tx = ciblage.datasets.transactions(customers=100, transactions=1_000, library="pandas")
>>> ciblage.rfm(tx)[["customer_id", "rfm_code", "segment"]].shape
(100, 3)
"""

from __future__ import annotations

from . import basket, cluster, clv, datasets, exceptions, lifecycle
from ._build import build_info
from ._cart import CartClassifier, CartRegressor
from ._cart_extra import ExtraCartClassifier, ExtraCartRegressor
from ._chaid import ChaidClassifier, ChaidRegressor
from ._churn import RetentionResult, churn_flags, retention
from ._concentration import Concentration, concentration
from ._concentration_binned import BinnedConcentration
from ._migration import Migration, migration
from ._native import __build__, __version__, release_buffers
from ._rfm import RfmResult, SegmentTable, rfm, rfm_analysis
from ._value import ValueTiers, customer_totals, value_tiers
from .exceptions import (
    CiblageError,
    ColumnNotFoundError,
    ColumnTypeError,
    DataConversionWarning,
    DegenerateCriterionWarning,
    InvalidInputError,
    InvalidParameterError,
    ModelFileError,
    NotFittedError,
    RuleFileError,
    SegmentTableError,
)

__all__ = [
    "__version__",
    "__build__",
    "build_info",
    "basket",
    "cluster",
    "clv",
    "datasets",
    "exceptions",
    "lifecycle",
    "release_buffers",
    "rfm",
    "rfm_analysis",
    "RfmResult",
    "SegmentTable",
    "CartClassifier",
    "CartRegressor",
    "ExtraCartClassifier",
    "ExtraCartRegressor",
    "ChaidClassifier",
    "ChaidRegressor",
    "customer_totals",
    "value_tiers",
    "ValueTiers",
    "concentration",
    "Concentration",
    "BinnedConcentration",
    "retention",
    "RetentionResult",
    "churn_flags",
    "migration",
    "Migration",
    "CiblageError",
    "ColumnNotFoundError",
    "ColumnTypeError",
    "DataConversionWarning",
    "DegenerateCriterionWarning",
    "InvalidInputError",
    "InvalidParameterError",
    "ModelFileError",
    "NotFittedError",
    "RuleFileError",
    "SegmentTableError",
]
