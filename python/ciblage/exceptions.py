"""Exceptions raised by ciblage.

Every error derives from :class:`CiblageError`, and also from the built-in
class that fits it (``ValueError`` for bad values and parameters,
``TypeError`` for columns of the wrong type), so generic ``except
ValueError`` handlers keep working.
"""

from __future__ import annotations

__all__ = [
    "CiblageError",
    "InvalidInputError",
    "InvalidParameterError",
    "SegmentTableError",
    "ColumnNotFoundError",
    "ColumnTypeError",
    "ModelFileError",
    "RuleFileError",
    "NotFittedError",
    "InternalError",
    "FitError",
    "SpendFrequencyCorrelationWarning",
    "DegenerateCriterionWarning",
    "RowsLeftOutWarning",
    "DataConversionWarning",
]


class CiblageError(Exception):
    """Base class of every ciblage error."""


class InvalidInputError(CiblageError, ValueError):
    """The data are unusable: empty, mismatched lengths, NaN/inf, nulls,
    negative amounts under the ``reject`` policy, nothing left to score."""


class InvalidParameterError(CiblageError, ValueError):
    """A parameter is outside its domain; the message names it."""


class SegmentTableError(InvalidParameterError):
    """A segment table cannot be read or used (bad range, unknown field,
    duplicate name); the message names the line and field when read from text."""


class ColumnNotFoundError(InvalidInputError, KeyError):
    """A column named by an argument is not in the table."""

    def __str__(self) -> str:  # KeyError would add quotes around the message
        return str(self.args[0]) if self.args else ""


class ColumnTypeError(CiblageError, TypeError):
    """A column (or the table itself) has a type the argument cannot take."""


class ModelFileError(CiblageError, ValueError):
    """A saved object is corrupt or was written by an incompatible version."""


class NotFittedError(InvalidInputError, AttributeError):
    """A model method was called before ``fit``. When scikit-learn is
    loaded, the error raised is also scikit-learn's ``NotFittedError``."""


class RuleFileError(InvalidParameterError):
    """A lifecycle rule file cannot be used (syntax, unknown or missing field,
    unknown stage, bad trigger); the message names the line and field."""


class InternalError(CiblageError, RuntimeError):
    """A fault inside ciblage itself (a broken internal invariant). It is
    always a bug: please report it with the message and the input's shape."""


class FitError(CiblageError, ValueError):
    """A model fitted by maximum likelihood found no optimum (the data do
    not identify the parameters, or the optimiser ran out of iterations);
    the message names the model and the gradient norm reached."""


class DegenerateCriterionWarning(UserWarning):
    """A criterion's scores collapse to one or two classes: it has little
    discriminating power (most customers share the same value)."""


class DataConversionWarning(UserWarning):
    """An input was converted to the shape the method expects (a column
    vector ``y`` read as 1-D), as scikit-learn warns."""


class RowsLeftOutWarning(UserWarning):
    """Rows of the input were left out for a reason the caller did not ask
    for by a parameter (null dates, returns booked before a first purchase,
    …). The result's ``input_report`` counts them by reason."""


class SpendFrequencyCorrelationWarning(UserWarning):
    """The Gamma-Gamma spend model assumes that how much customers spend
    per purchase does not depend on how often they buy; the repeat buyers'
    frequency and mean spend are correlated beyond the threshold (the
    message gives the correlation)."""
