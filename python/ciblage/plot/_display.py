"""The shape every chart of :mod:`ciblage.plot` shares.

A chart is a ``…Display`` object, as in scikit-learn: it is built from a
result (``from_result``) and holds the plotted numbers as a table
(``data``, a pandas DataFrame when pandas is installed, else a dict of
lists) so they can be checked, restyled or exported; ``plot(ax=None,
**kwargs)`` draws it and sets ``ax_`` and ``figure_``. matplotlib is
imported only when a chart is drawn.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

from ciblage.exceptions import ColumnTypeError, InvalidParameterError

__all__ = [
    "Display",
    "require_matplotlib",
    "require_pandas",
    "new_axes",
    "as_table",
    "frame",
    "heatmap",
    "colormap",
    "check_result",
    "numeric",
    "ticks",
    "percent_axis",
]


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


def require_pandas() -> Any:
    """Returns ``pandas``, or raises an ``ImportError`` that names the extra
    (the charts' ``data`` tables are pandas DataFrames)."""
    try:
        import pandas as pd
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise MissingExtraError(
            "ciblage's charts need pandas for their data tables: pip install 'ciblage[plot]' (or pip install pandas)"
        ) from e
    return pd


def frame(table: Any, argument: str) -> Any:
    """``table`` (pandas, polars, pyarrow or a dict of columns) as a pandas
    DataFrame; anything else raises InvalidParameterError naming ``argument``."""
    pd = require_pandas()
    if isinstance(table, pd.DataFrame):
        return table
    if hasattr(table, "to_pandas"):  # polars, pyarrow
        return table.to_pandas()
    if isinstance(table, dict):
        return pd.DataFrame(table)
    raise InvalidParameterError(
        f"invalid parameter {argument}: expected a pandas, polars or pyarrow table, got {type(table).__name__}"
    )


def check_result(result: Any, needs: tuple[str, ...], what: str, argument: str = "result") -> None:
    """Refuses a ``result`` without the attributes ``needs`` (``what`` says
    which result is expected and where it comes from). The charts read
    results by their attributes: they import no result class, so the result
    modules can import the charts for their ``plot`` shortcut."""
    if isinstance(result, type) or not all(hasattr(result, name) for name in needs):
        raise InvalidParameterError(f"invalid parameter {argument}: expected {what}, got {type(result).__name__}")


def numeric(table: Any, column: str, argument: str) -> Any:
    """The column ``column`` of a pandas DataFrame as float64 values, or a
    ColumnTypeError naming ``argument`` and the column."""
    try:
        return table[column].to_numpy(dtype="float64")
    except (TypeError, ValueError) as e:
        raise ColumnTypeError(f"{argument}: column {column!r} is not numeric ({e})") from None


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


def colormap(cmap: Any) -> Any:
    """The matplotlib colour map ``cmap`` (a name or a Colormap)."""
    require_matplotlib()
    import matplotlib

    return matplotlib.colormaps.get_cmap(cmap)


def percent_axis(axis: Any) -> None:
    """Shows the shares on ``axis`` (``ax.xaxis`` or ``ax.yaxis``) as percents."""
    from matplotlib.ticker import PercentFormatter

    axis.set_major_formatter(PercentFormatter(1.0))


def heatmap(
    ax: Any,
    values: Any,
    xlabels: list[Any],
    ylabels: list[Any],
    *,
    annotations: Any = None,
    colorbar: str | None = None,
    percent: bool = False,
    **kwargs: Any,
) -> Any:
    """Draws the matrix ``values`` (NaN cells masked, shown hatched: no value,
    never a zero) with one tick per row and column, ``annotations`` (a matrix
    of strings, "" for none) written in the cells and a colour bar titled
    ``colorbar``. Keyword arguments go to ``imshow``; returns the image."""
    import numpy as np
    from matplotlib.patches import Rectangle

    z = np.ma.masked_invalid(np.asarray(values, dtype=np.float64))
    # Masked cells transparent over the hatching.
    cmap = colormap(kwargs.pop("cmap", "viridis")).with_extremes(bad=(0, 0, 0, 0))
    kwargs.setdefault("aspect", "auto")
    kwargs.setdefault("interpolation", "nearest")
    rows, cols = z.shape
    if np.ma.count_masked(z):
        ax.add_patch(
            Rectangle((-0.5, -0.5), cols, rows, facecolor="white", edgecolor="0.75", hatch="//", linewidth=0, zorder=0)
        )
    image = ax.imshow(z, cmap=cmap, zorder=1, **kwargs)
    ax.set_xticks(range(cols), [str(x) for x in xlabels])
    ax.set_yticks(range(rows), [str(y) for y in ylabels])
    if annotations is not None:
        norm, colours = image.norm, image.cmap
        masked = np.ma.getmaskarray(z)
        for i in range(rows):
            for j in range(cols):
                text = annotations[i][j]
                if not text:
                    continue
                if masked[i, j]:
                    colour = "black"
                else:
                    r, g, b, _ = colours(norm(z[i, j]))
                    colour = "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"
                ax.text(j, i, text, ha="center", va="center", color=colour, fontsize="small", zorder=2)
    if colorbar is not None:
        bar = ax.figure.colorbar(image, ax=ax)
        bar.set_label(colorbar)
        if percent:
            percent_axis(bar.ax.yaxis)
    return image


def ticks(ax: Any, labels: list[str], axis: str = "x", most: int = 12, rotate: bool = False) -> None:
    """One tick per label, thinned to at most ``most`` labels."""
    step = max(1, -(-len(labels) // most))
    positions = list(range(0, len(labels), step))
    if axis == "x":
        ax.set_xticks(positions, [labels[i] for i in positions])
        if rotate:
            ax.tick_params(axis="x", labelrotation=45)
            for label in ax.get_xticklabels():
                label.set_horizontalalignment("right")
    else:
        ax.set_yticks(positions, [labels[i] for i in positions])


#: A Display's own class: ``plot`` returns the Display it is called on.
_Display = TypeVar("_Display", bound="Display")


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

    def plot(self: _Display, ax: Any = None, **kwargs: Any) -> _Display:
        """Draws the chart on ``ax`` (new axes when None) and returns self.

        Keyword arguments go to the underlying matplotlib call, except
        ``figsize`` (of the new figure when ``ax`` is None) and ``title``,
        ``xlabel``, ``ylabel``, which replace the chart's own.
        """
        figsize = kwargs.pop("figsize", None)
        if figsize is not None and ax is not None:
            raise InvalidParameterError(
                "invalid parameter figsize: it sizes the new figure drawn when ax is None; with ax given it "
                "would be ignored (size the axes' figure instead)"
            )
        labels = {k: kwargs.pop(k) for k in ("title", "xlabel", "ylabel") if k in kwargs}
        ax = new_axes(ax, figsize)
        try:
            self._draw(ax, **kwargs)
        except (AttributeError, TypeError) as e:
            # matplotlib's word for a keyword no artist takes, said as ours.
            match = re.search(r"unexpected keyword argument '(\w+)'", str(e))
            if match is None:
                raise
            raise InvalidParameterError(
                f"invalid parameter {match.group(1)}: {type(self).__name__}.plot passes it to matplotlib, "
                f"which does not take it ({e})"
            ) from e
        if "title" in labels:
            ax.set_title(labels["title"])
        if "xlabel" in labels:
            ax.set_xlabel(labels["xlabel"])
        if "ylabel" in labels:
            ax.set_ylabel(labels["ylabel"])
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    def _draw(self, ax: Any, **kwargs: Any) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        n = len(self.data) if hasattr(self.data, "__len__") else "?"
        return f"{type(self).__name__}({n} rows of data)"
