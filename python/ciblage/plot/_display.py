"""The shape every chart of :mod:`ciblage.plot` shares.

A chart is a ``…Display`` object, as in scikit-learn: it is built from a
result (``from_result``) and holds the plotted numbers as a table
(``data``, a pandas DataFrame when pandas is installed, else a dict of
lists) so they can be checked, restyled or exported; ``plot(ax=None,
**kwargs)`` draws it and sets ``ax_`` and ``figure_``. matplotlib is
imported only when a chart is drawn.
"""

from __future__ import annotations

from typing import Any

from ciblage.exceptions import InvalidParameterError

__all__ = ["Display", "require_matplotlib", "new_axes", "as_table"]


class MissingExtraError(ImportError):
    """matplotlib (the ``ciblage[plot]`` extra) is not installed."""


def require_matplotlib() -> Any:
    """Returns ``matplotlib.pyplot``, or raises an ``ImportError`` that names
    the extra to install."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise MissingExtraError(
            "ciblage's charts need matplotlib: pip install 'ciblage[plot]' (or pip install matplotlib)"
        ) from e
    return plt


def new_axes(ax: Any = None, figsize: tuple[float, float] | None = None) -> Any:
    """``ax`` itself, or new axes on a new figure when ``ax`` is None."""
    plt = require_matplotlib()
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
        return ax
    if not hasattr(ax, "figure") or not hasattr(ax, "plot"):
        raise InvalidParameterError(f"invalid parameter ax: expected matplotlib Axes or None, got {type(ax).__name__}")
    return ax


def as_table(columns: dict[str, list[Any]]) -> Any:
    """A pandas DataFrame of ``columns`` when pandas is installed, else the
    dict itself."""
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is optional
        return columns
    return pd.DataFrame(columns)


class Display:
    """Base of every chart: ``data`` (the plotted numbers), ``plot(ax=None,
    **kwargs)`` and, once drawn, ``ax_`` and ``figure_``.

    Subclasses set ``data`` in ``__init__``, provide ``from_result`` and
    implement ``_draw(ax, **kwargs)``.
    """

    #: The plotted numbers, one row per mark drawn.
    data: Any
    ax_: Any = None
    figure_: Any = None

    def plot(self, ax: Any = None, **kwargs: Any) -> Display:
        """Draws the chart on ``ax`` (new axes when None) and returns self.

        Keyword arguments go to the underlying matplotlib call.
        """
        figsize = kwargs.pop("figsize", None)
        ax = new_axes(ax, figsize)
        self._draw(ax, **kwargs)
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    def _draw(self, ax: Any, **kwargs: Any) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        n = len(self.data) if hasattr(self.data, "__len__") else "?"
        return f"{type(self).__name__}({n} rows of data)"
