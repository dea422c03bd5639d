"""Charts of ciblage's results, drawn with matplotlib (the optional extra
``ciblage[plot]``).

Every chart is a ``…Display`` object built with ``from_result(result)``
and drawn with ``.plot(ax=None, **kwargs)``; the numbers drawn are in its
``data`` table. Result objects have a ``.plot()`` shortcut.
"""

from ciblage.plot._display import Display, MissingExtraError
from ciblage.plot._gains import CumulativeResponseDisplay, GainsDisplay, LiftDisplay, gains_table
from ciblage.plot._trees import TreeDisplay

__all__ = [
    "CumulativeResponseDisplay",
    "Display",
    "GainsDisplay",
    "LiftDisplay",
    "MissingExtraError",
    "TreeDisplay",
    "gains_table",
]
