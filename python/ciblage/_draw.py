"""A self-contained SVG drawing of a tree (no graphviz needed), for notebooks."""

from __future__ import annotations

from html import escape
from typing import Any

BOX_W, BOX_H, GAP_X, GAP_Y = 150, 64, 16, 48


def tree_svg(nodes: list[dict[str, Any]]) -> str:
    """SVG of a tree given as dicts with ``id``, ``parent`` (None for the
    root), ``lines`` (text lines of the box) and ``edge`` (label of the branch
    from the parent). Leaves are laid out left to right in depth-first order;
    a parent sits above the middle of its children."""
    children: dict[Any, list[Any]] = {}
    for n in nodes:
        children.setdefault(n["parent"], []).append(n["id"])
    x: dict[Any, float] = {}
    depth: dict[Any, int] = {}
    next_leaf = [0.0]

    def place(i: Any, d: int) -> float:
        depth[i] = d
        kids = children.get(i, [])
        if not kids:
            x[i] = next_leaf[0]
            next_leaf[0] += 1
        else:
            xs = [place(k, d + 1) for k in kids]
            x[i] = (xs[0] + xs[-1]) / 2
        return x[i]

    # Recursion depth is the tree depth (CHAID trees are shallow).
    for root in children.get(None, []):
        place(root, 0)
    width = max(1.0, next_leaf[0]) * (BOX_W + GAP_X) + GAP_X
    height = (max(depth.values(), default=0) + 1) * (BOX_H + GAP_Y) + GAP_Y
    cx = {i: GAP_X + x[i] * (BOX_W + GAP_X) for i in x}
    cy = {i: GAP_Y / 2 + depth[i] * (BOX_H + GAP_Y) for i in x}
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        'font-family="Helvetica, Arial, sans-serif" font-size="11">'
    ]
    for n in nodes:
        if n["parent"] is None:
            continue
        p = n["parent"]
        x1, y1 = cx[p] + BOX_W / 2, cy[p] + BOX_H
        x2, y2 = cx[n["id"]] + BOX_W / 2, cy[n["id"]]
        out.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#888"/>')
        raw = str(n.get("edge", ""))
        label = escape(raw if len(raw) <= 28 else raw[:27] + "…")
        out.append(
            f'<text x="{(x1 + x2) / 2:.1f}" y="{(y1 + y2) / 2:.1f}" text-anchor="middle" fill="#335">{label}</text>'
        )
    for n in nodes:
        i = n["id"]
        leaf = not children.get(i)
        fill = "#eef5ee" if leaf else "#eef0f8"
        out.append(
            f'<rect x="{cx[i]:.1f}" y="{cy[i]:.1f}" width="{BOX_W}" height="{BOX_H}" rx="4" '
            f'fill="{fill}" stroke="#667"/>'
        )
        for k, line in enumerate(n["lines"][:4]):
            out.append(f'<text x="{cx[i] + 6:.1f}" y="{cy[i] + 15 + 14 * k:.1f}">{escape(str(line))}</text>')
    out.append("</svg>")
    return "".join(out)
