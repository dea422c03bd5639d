"""Drawings of CART and CHAID trees without graphviz: the nodes as the
native drawing gives them (label lines, sizes, class weights), a layout
shared by the SVG of notebooks and the matplotlib chart, and the SVG."""

from __future__ import annotations

import re
from html import escape
from typing import Any

from ._params import as_opt_int

__all__ = ["DEFAULT_HTML_DEPTH", "SvgDrawing", "drawing_nodes", "layout", "scrolling", "tree_svg"]

#: How deep ``_repr_html_`` draws a tree; the nodes below are collapsed
#: into their ancestor at that depth (``draw(max_depth=None)`` draws all).
DEFAULT_HTML_DEPTH = 4

# Box geometry of the SVG, in pixels: character width of the 11 px font,
# line height, padding, gaps between boxes and between levels.
CHAR_W, LINE_H, PAD, GAP_X, GAP_Y = 6.4, 14, 6, 18, 44
MIN_CHARS, MAX_CHARS, MAX_LINES = 16, 40, 6

# Fill of leaves by predicted class (cycled), of split nodes, and of the
# regression scale (low to high).
CLASS_FILLS = ("#dbe9f6", "#fde2c8", "#d6f0d6", "#f7d4d4", "#e6dcf2", "#f2e6d0", "#f9dcee", "#e0e0e0")
SPLIT_FILL = "#f4f5f9"


_LONG_NUMBER = re.compile(r"-?\d+\.\d{5,}(?:e[-+]?\d+)?")


def short_numbers(text: str) -> str:
    """``text`` with numbers of more than four decimals shown to six
    significant digits (bin bounds of continuous predictors are printed in
    full in rules; a drawing only needs to tell them apart)."""
    return _LONG_NUMBER.sub(lambda m: f"{float(m.group()):.6g}", text)


def drawing_nodes(rows: list[Any], classes: Any, values: Any, family: str) -> list[dict[str, Any]]:
    """The native drawing's rows as dicts: ``id``, ``parent``, ``depth``,
    ``n``, ``counts``, ``lines``, ``edge`` (label of the branch from the
    parent), ``prediction`` (class label or value) and ``klass`` (index of
    the predicted class, None for a regression tree). CART's branches are
    labelled True (left child) and False (right child) as under its root,
    and its classifiers' boxes get the class distribution."""
    out: list[dict[str, Any]] = []
    seen_parents: set[int] = set()
    for node_id, parent, depth, size, counts, lines, edge in rows:
        klass = None
        if classes is not None and counts:
            klass = max(range(len(counts)), key=lambda k: (counts[k], -k))
            prediction: Any = classes[klass]
        else:
            prediction = float(values[node_id])
        lines = list(lines)
        total = sum(counts)
        if family == "cart" and klass is not None and total > 0 and classes is not None:
            # CART's label (as scikit-learn's) names the class only: the
            # drawing adds the class distribution before it.
            shares = ", ".join(f"{c}: {100 * k / total:.1f}%" for c, k in zip(classes, counts, strict=True))
            lines.insert(len(lines) - 1, shares)
        if family == "cart" and parent is not None and edge is None:
            edge = "False" if parent in seen_parents else "True"
        if parent is not None:
            seen_parents.add(parent)
        out.append(
            {
                "id": int(node_id),
                "parent": None if parent is None else int(parent),
                "depth": int(depth),
                "n": float(size),
                "counts": list(counts),
                "lines": list(lines),
                "edge": "" if edge is None else short_numbers(str(edge)),
                "prediction": prediction.item() if hasattr(prediction, "item") else prediction,
                "klass": klass,
            }
        )
    return out


def layout(nodes: list[dict[str, Any]], max_depth: Any = None) -> list[dict[str, Any]]:
    """The nodes drawn when nodes deeper than ``max_depth`` are collapsed
    (None: none), with their place: ``x`` (leaves of the drawing at 0, 1,
    2, … in depth-first order; a parent above the middle of its children),
    ``y`` (the depth), ``leaf`` (drawn without children) and ``hidden``
    (nodes collapsed below it). Walks the tree without recursion (CART trees
    may be thousands of levels deep)."""
    limit = as_opt_int(max_depth, "max_depth", 0)
    children: dict[Any, list[int]] = {}
    by_id = {n["id"]: n for n in nodes}
    for n in nodes:
        children.setdefault(n["parent"], []).append(n["id"])
    # Number of descendants of every node, children before parents.
    order: list[int] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        i = stack.pop()
        order.append(i)
        stack.extend(reversed(children.get(i, [])))
    below = {i: 0 for i in order}
    for i in reversed(order):
        p = by_id[i]["parent"]
        if p is not None:
            below[p] += 1 + below[i]
    drawn: list[dict[str, Any]] = []
    x: dict[int, float] = {}
    next_leaf = 0.0
    # Post-order walk: a node is placed once its children are.
    stack2: list[tuple[int, bool]] = [(r, False) for r in reversed(children.get(None, []))]
    placed: dict[int, dict[str, Any]] = {}
    while stack2:
        i, done = stack2.pop()
        n = by_id[i]
        kids = children.get(i, [])
        cut = limit is not None and n["depth"] >= limit and bool(kids)
        if kids and not cut and not done:
            stack2.append((i, True))
            stack2.extend((k, False) for k in reversed(kids))
            continue
        if kids and not cut:
            x[i] = (x[kids[0]] + x[kids[-1]]) / 2
        else:
            x[i] = next_leaf
            next_leaf += 1
        placed[i] = {**n, "x": x[i], "y": float(n["depth"]), "leaf": not kids or cut, "hidden": below[i] if cut else 0}
    for i in order:
        if i in placed:
            drawn.append(placed[i])
    return drawn


def _fit(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: chars - 1] + "…"


def _fill(node: dict[str, Any], lo: float, hi: float) -> str:
    if not node["leaf"]:
        return SPLIT_FILL
    if node["klass"] is not None:
        return CLASS_FILLS[node["klass"] % len(CLASS_FILLS)]
    # Regression: white to blue by the leaf's value.
    t = 0.0 if hi <= lo or node["prediction"] != node["prediction"] else (node["prediction"] - lo) / (hi - lo)
    r, g, b = (int(255 - t * (255 - c)) for c in (107, 174, 214))
    return f"#{r:02x}{g:02x}{b:02x}"


def box_lines(node: dict[str, Any]) -> list[str]:
    """The text of a node's box: its label lines (at most six, the last one
    kept), and how many nodes are collapsed below it."""
    lines = list(node["lines"])
    if len(lines) > MAX_LINES:
        lines = lines[: MAX_LINES - 2] + ["…", lines[-1]]
    if node.get("hidden"):
        lines.append(f"+{node['hidden']} nodes below")
    return lines


def tree_svg(nodes: list[dict[str, Any]], max_depth: Any = None, fluid: bool = False) -> str:
    """A self-contained SVG of the tree (see :func:`layout` for
    ``max_depth``) with a ``viewBox``. Standalone (``fluid=False``) it has
    its natural size in pixels (``width``/``height``), which every SVG
    reader honours. ``fluid=True`` is for HTML: ``width="100%"`` with its
    natural width as ``max-width`` (and 60 % of it as ``min-width``, below
    which a :func:`scrolling` container scrolls rather than shrink the
    text), height following the width. Collapsed nodes have a dashed
    border; leaves are coloured by their predicted class (or value)."""
    drawn = layout(nodes, max_depth)
    texts = {n["id"]: box_lines(n) for n in drawn}
    longest = max((len(t) for ls in texts.values() for t in ls), default=MIN_CHARS)
    chars = max(MIN_CHARS, min(MAX_CHARS, longest))
    box_w = chars * CHAR_W + 2 * PAD
    n_lines = max((len(ls) for ls in texts.values()), default=1)
    box_h = n_lines * LINE_H + 2 * PAD
    n_cols = max((n["x"] for n in drawn), default=0.0) + 1
    n_rows = max((n["y"] for n in drawn), default=0.0) + 1
    width = n_cols * (box_w + GAP_X) + GAP_X
    height = n_rows * (box_h + GAP_Y) - GAP_Y + 2 * GAP_X
    left = {n["id"]: GAP_X + n["x"] * (box_w + GAP_X) for n in drawn}
    top = {n["id"]: GAP_X + n["y"] * (box_h + GAP_Y) for n in drawn}
    values = [n["prediction"] for n in drawn if n["klass"] is None and n["leaf"]]
    lo, hi = (min(values), max(values)) if values else (0.0, 0.0)
    if fluid:
        style = f"width:100%;max-width:{width:.0f}px;min-width:{0.6 * width:.0f}px;height:auto"
        size = f'width="100%" style="{style}"'
    else:
        size = f'width="{width:.0f}" height="{height:.0f}"'
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" {size} '
        'preserveAspectRatio="xMinYMin meet" font-family="Helvetica, Arial, sans-serif" font-size="11">',
    ]
    for n in drawn:
        p = n["parent"]
        if p is None or p not in left:
            continue
        x1, y1 = left[p] + box_w / 2, top[p] + box_h
        x2, y2 = left[n["id"]] + box_w / 2, top[n["id"]]
        out.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#889"/>')
        if n["edge"]:
            label = escape(_fit(n["edge"], chars))
            out.append(f'<text x="{x2:.1f}" y="{y2 - 5:.1f}" text-anchor="middle" fill="#335">{label}</text>')
    for n in drawn:
        i = n["id"]
        dash = ' stroke-dasharray="4 3"' if n["hidden"] else ""
        out.append(
            f'<rect x="{left[i]:.1f}" y="{top[i]:.1f}" width="{box_w:.1f}" height="{box_h:.1f}" rx="4" '
            f'fill="{_fill(n, lo, hi)}" stroke="#667"{dash}><title>node {i}</title></rect>'
        )
        for k, line in enumerate(texts[i]):
            y = top[i] + PAD + 10 + LINE_H * k
            out.append(f'<text x="{left[i] + PAD:.1f}" y="{y:.1f}">{escape(_fit(str(line), chars))}</text>')
    out.append("</svg>")
    return "".join(out)


def scrolling(svg: str) -> str:
    """HTML showing ``svg`` in a container that scrolls horizontally when
    the drawing is wider than the page (for ``_repr_html_``)."""
    return f'<div style="overflow-x:auto;max-width:100%">{svg}</div>'


class SvgDrawing:
    """An SVG drawing that a notebook shows (``_repr_html_``: the fluid SVG
    in a scrolling container) and that ``svg`` holds as a standalone
    document (write it to a ``.svg`` file)."""

    def __init__(self, nodes: list[dict[str, Any]], max_depth: Any = None) -> None:
        self.svg = tree_svg(nodes, max_depth)
        self._html = scrolling(tree_svg(nodes, max_depth, fluid=True))

    def _repr_html_(self) -> str:
        return self._html

    def __repr__(self) -> str:
        return f"SvgDrawing({len(self.svg)} characters of SVG)"
