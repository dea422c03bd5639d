"""Charts of ciblage's results, drawn with matplotlib (the optional extra
``ciblage[plot]``).

Every chart is a ``…Display`` object built with ``from_result(result)``
and drawn with ``.plot(ax=None, **kwargs)``; the numbers drawn are in its
``data`` table. Result objects have a ``.plot()`` shortcut.
"""

from ciblage.plot._display import Display, MissingExtraError

__all__ = ["Display", "MissingExtraError"]
