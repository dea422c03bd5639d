"""Matplotlib drawings of CART and CHAID trees (no graphviz), and the
``plot(kind=...)`` shortcut of the tree estimators."""

from __future__ import annotations

from typing import Any

from ciblage._draw import box_lines, layout
from ciblage._params import as_choice
from ciblage.exceptions import InvalidParameterError
from ciblage.plot._display import Display, as_table, new_axes
from ciblage.plot._gains import styled

__all__ = ["TreeDisplay", "plot_model"]

# Leaf colours by predicted class (matplotlib's tab10, light), split nodes.
_CLASS_COLOURS = ("#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7")
_SPLIT_COLOUR = "#f4f5f9"


def _is_tree(model: Any) -> bool:
    return hasattr(model, "drawing_nodes") and hasattr(model, "to_svg")


class TreeDisplay(Display):
    """A CART or CHAID tree drawn with matplotlib: one box per node (its
    split, size and class distribution or value), leaves coloured by their
    prediction; nodes deeper than ``max_depth`` collapsed into their
    ancestor, whose box says how many it hides.

    ``data``: one row per node drawn with ``id``, ``parent``, ``depth``,
    ``x``, ``y`` (the depth, drawn downwards), ``label`` (the box's text),
    ``n`` (training cases), ``prediction`` (class label or value) and
    ``hidden`` (nodes collapsed below it).
    """

    def __init__(self, nodes: list[dict[str, Any]], max_depth: Any = None) -> None:
        drawn = layout(nodes, max_depth)
        self._drawn = drawn
        self._classified = any(n["klass"] is not None for n in drawn)
        self.data = as_table(
            {
                "id": [n["id"] for n in drawn],
                "parent": [n["parent"] for n in drawn],
                "depth": [n["depth"] for n in drawn],
                "x": [n["x"] for n in drawn],
                "y": [n["y"] for n in drawn],
                "label": ["\n".join(box_lines(n)) for n in drawn],
                "n": [n["n"] for n in drawn],
                "prediction": [n["prediction"] for n in drawn],
                "hidden": [n["hidden"] for n in drawn],
            }
        )

    @classmethod
    def from_estimator(cls, model: Any, max_depth: Any = None, feature_names: Any = None) -> TreeDisplay:
        """The display of a fitted CART or CHAID estimator. ``feature_names``
        (CART only) names the features in the splits (default: the
        DataFrame's columns seen at fit, else ``feature_<i>``)."""
        if not _is_tree(model):
            raise InvalidParameterError(
                f"invalid parameter model: expected a fitted CART or CHAID estimator, got {type(model).__name__}"
            )
        if feature_names is not None:
            if not hasattr(model, "_feature_names"):
                raise InvalidParameterError(
                    "invalid parameter feature_names: CHAID trees name their predictors themselves"
                )
            nodes = model.drawing_nodes(feature_names)
        else:
            nodes = model.drawing_nodes()
        return cls(nodes, max_depth)

    @classmethod
    def from_result(cls, model: Any, max_depth: Any = None) -> TreeDisplay:
        """The same as :meth:`from_estimator` (a fitted tree is its own result)."""
        return cls.from_estimator(model, max_depth)

    def figsize(self) -> tuple[float, float]:
        """The figure size that keeps the boxes readable: about 1.9 inch per
        column of boxes and 1.6 per level (at least 6 × 3)."""
        cols = max((n["x"] for n in self._drawn), default=0.0) + 1
        rows = max((n["y"] for n in self._drawn), default=0.0) + 1
        lines = max((len(box_lines(n)) for n in self._drawn), default=1)
        return (max(6.0, 1.9 * cols), max(3.0, (0.5 + 0.17 * lines) * rows * 1.3))

    def plot(self, ax: Any = None, **kwargs: Any) -> TreeDisplay:
        """Draws the tree on ``ax`` (new axes of :meth:`figsize` when None);
        ``fontsize`` (default 7) sets the text size. Returns self."""
        if ax is None and "figsize" not in kwargs:
            kwargs["figsize"] = self.figsize()
        figsize = kwargs.pop("figsize", None)
        ax = new_axes(ax, figsize)
        self._draw(ax, **kwargs)
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    def _draw(self, ax: Any, fontsize: float = 7, **kwargs: Any) -> None:
        drawn = self._drawn
        where = {n["id"]: (n["x"], -n["y"]) for n in drawn}
        values = [n["prediction"] for n in drawn if n["leaf"] and n["klass"] is None]
        lo, hi = (min(values), max(values)) if values else (0.0, 0.0)
        for n in drawn:
            p = n["parent"]
            if p in where:
                (x1, y1), (x2, y2) = where[p], where[n["id"]]
                ax.plot([x1, x2], [y1, y2], color="#889", linewidth=0.8, zorder=1)
                if n["edge"]:
                    edge = n["edge"] if len(n["edge"]) <= 24 else n["edge"][:23] + "…"
                    # Nearer the child than the parent: siblings' labels
                    # stand a column apart.
                    ax.text(
                        x1 + 0.7 * (x2 - x1),
                        y1 + 0.7 * (y2 - y1),
                        edge,
                        fontsize=fontsize * 0.85,
                        color="#335",
                        ha="center",
                        va="center",
                        zorder=2,
                        bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8},
                    )
        for n in drawn:
            colour: str | tuple[float, float, float]
            if not n["leaf"]:
                colour = _SPLIT_COLOUR
            elif n["klass"] is not None:
                colour = _CLASS_COLOURS[n["klass"] % len(_CLASS_COLOURS)]
            else:
                t = 0.0 if hi <= lo or n["prediction"] != n["prediction"] else (n["prediction"] - lo) / (hi - lo)
                colour = (1 - 0.6 * t, 1 - 0.35 * t, 1 - 0.15 * t)
            text = "\n".join(s if len(s) <= 34 else s[:33] + "…" for s in box_lines(n))
            x, y = where[n["id"]]
            styled(
                ax.text,
                x,
                y,
                text,
                fontsize=fontsize,
                ha="center",
                va="center",
                zorder=3,
                bbox={
                    "boxstyle": "round,pad=0.4",
                    "fc": colour,
                    "ec": "#667",
                    "linestyle": "--" if n["hidden"] else "-",
                },
                **kwargs,
            )
        cols = max((n["x"] for n in drawn), default=0.0)
        rows = max((n["y"] for n in drawn), default=0.0)
        ax.set_xlim(-0.6, cols + 0.6)
        ax.set_ylim(-rows - 0.6, 0.6)
        ax.set_axis_off()


_KINDS = ("tree", "gains", "lift", "response")


def plot_model(model: Any, kind: Any = "tree", **kwargs: Any) -> Display:
    """``model.plot(kind=...)``: the tree (``max_depth``, ``feature_names``)
    or a gains, lift or cumulative response chart (``target``, optional
    ``X`` and ``y``); remaining keyword arguments go to the display's
    ``plot``."""
    from ciblage.plot._gains import CumulativeResponseDisplay, GainsDisplay, LiftDisplay

    kind = as_choice(kind, "kind", _KINDS)
    if kind == "tree":
        max_depth = kwargs.pop("max_depth", None)
        feature_names = kwargs.pop("feature_names", None)
        return TreeDisplay.from_estimator(model, max_depth=max_depth, feature_names=feature_names).plot(**kwargs)
    display = {"gains": GainsDisplay, "lift": LiftDisplay, "response": CumulativeResponseDisplay}[kind]
    target = kwargs.pop("target", None)
    X = kwargs.pop("X", None)
    y = kwargs.pop("y", None)
    if (X is None) != (y is None):
        raise InvalidParameterError("invalid parameter X: give both X and y, or neither (the training gains table)")
    if X is not None:
        return display.from_estimator(model, X, y, target=target).plot(**kwargs)
    if target is None:
        classes = getattr(model, "classes_", None)
        if classes is None:
            raise InvalidParameterError("invalid parameter target: gains tables are for classification trees")
        target = classes[-1]
    return display.from_result(model.gains(target)).plot(**kwargs)
