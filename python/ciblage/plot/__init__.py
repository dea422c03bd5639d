"""Charts of ciblage's results, drawn with matplotlib (the optional extra
``ciblage[plot]``).

Every chart is a ``…Display`` object built with ``from_result(result)``
(``from_estimator`` for a fitted CLV model, ``from_table`` for a plain
table) and drawn with ``.plot(ax=None, **kwargs)``; the numbers drawn are
in its ``data`` table. Result objects have a ``.plot(kind=...)`` shortcut.
See ``docs/plots.md``.
"""

from ciblage.plot._basket import ItemsetsDisplay, RulesDisplay
from ciblage.plot._churn import (
    ChurnFlagsDisplay,
    CohortHeatmapDisplay,
    MigrationDisplay,
    RetentionDisplay,
    SurvivalDisplay,
)
from ciblage.plot._cluster import ClusterDisplay
from ciblage.plot._cluster_sizes import ClusterSizesDisplay, SegmentProfileDisplay
from ciblage.plot._clv import CalibrationHoldoutDisplay, FrequencyRecencyDisplay, TrackingDisplay
from ciblage.plot._display import Display, MissingExtraError
from ciblage.plot._gains import CumulativeResponseDisplay, GainsDisplay, LiftDisplay, gains_table
from ciblage.plot._lifecycle import LifecycleContactsDisplay, LifecycleStagesDisplay
from ciblage.plot._rfm import RfmHeatmapDisplay, RfmScoresDisplay, RfmSegmentsDisplay
from ciblage.plot._trees import TreeDisplay
from ciblage.plot._value import LorenzDisplay, ParetoDisplay

__all__ = [
    "Display",
    "ItemsetsDisplay",
    "RulesDisplay",
    "ClusterSizesDisplay",
    "SegmentProfileDisplay",
    "MissingExtraError",
    "RfmHeatmapDisplay",
    "RfmSegmentsDisplay",
    "RfmScoresDisplay",
    "ParetoDisplay",
    "LorenzDisplay",
    "RetentionDisplay",
    "CohortHeatmapDisplay",
    "SurvivalDisplay",
    "MigrationDisplay",
    "ChurnFlagsDisplay",
    "LifecycleStagesDisplay",
    "LifecycleContactsDisplay",
    "FrequencyRecencyDisplay",
    "CalibrationHoldoutDisplay",
    "TrackingDisplay",
    "CumulativeResponseDisplay",
    "GainsDisplay",
    "LiftDisplay",
    "TreeDisplay",
    "ClusterDisplay",
    "gains_table",
]
