"""Notebook HTML of results: the head of a table and key figures, with
inline styles only (no stylesheet, no script)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Inline styles of the HTML summaries (no stylesheet, no script: they
#: render alike in JupyterLab, VS Code and static HTML exports).
_CELL = "padding:2px 8px;border-bottom:1px solid #ddd;text-align:right"
_HEAD = _CELL + ";font-weight:bold;background:#f4f4f4"


def _cell(value: Any) -> str:
    import html

    if value is None:
        text = "null"
    elif isinstance(value, int) and not isinstance(value, bool):
        text = f"{value:,}"
    elif isinstance(value, float):
        text = f"{value:,.4g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.3g}"
    else:
        text = str(value)
    return html.escape(text if len(text) <= 60 else text[:57] + "...")


def _missing(value: Any) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def table_head(table: Any, rows: int = 10) -> tuple[list[str], list[list[Any]], int]:
    """Column names, the first ``rows`` rows and the row count of a pandas,
    polars or pyarrow table (a pandas index other than a plain range comes
    first, as a column)."""
    from ._tables import table_kind

    kind = table_kind(table)
    if kind == "pandas":
        import pandas as pd

        head = table.head(rows)
        names = [str(c) for c in head.columns]
        # pandas' missing values (None, NaN, NaT, NA) all show as null.
        data = [[None if _missing(v) else v for v in r] for r in head.itertuples(index=False, name=None)]
        if not isinstance(table.index, pd.RangeIndex):
            names = [str(table.index.name or "")] + names
            data = [[i, *r] for i, r in zip(head.index, data, strict=True)]
        return names, data, len(table)
    if kind == "polars":
        head = table.head(rows)
        return [str(c) for c in head.columns], [list(r) for r in head.rows()], table.height
    import pyarrow as pa

    t = table if isinstance(table, pa.Table) else pa.table(table)
    names = [str(c) for c in t.column_names]
    data = [[r[c] for c in t.column_names] for r in t.slice(0, rows).to_pylist()]
    return names, data, t.num_rows


def html_table(table: Any, rows: int = 10, caption: str | None = None) -> str:
    """The head of ``table`` as an HTML table with inline styles, values
    escaped; a last line tells how many rows are not shown."""
    import html

    names, data, total = table_head(table, rows)
    out = ['<table style="border-collapse:collapse;font-size:12px;margin:4px 0">']
    if caption:
        out.append(f'<caption style="text-align:left;font-weight:bold">{html.escape(caption)}</caption>')
    out.append("<tr>" + "".join(f'<th style="{_HEAD}">{_cell(n)}</th>' for n in names) + "</tr>")
    for r in data:
        out.append("<tr>" + "".join(f'<td style="{_CELL}">{_cell(v)}</td>' for v in r) + "</tr>")
    out.append("</table>")
    if total > len(data):
        out.append(f'<p style="margin:0;color:#666;font-size:11px">{total - len(data):,} more rows of {total:,}</p>')
    return "".join(out)


def html_summary(
    title: str,
    table: Any = None,
    *,
    figures: Mapping[str, Any] | None = None,
    tables: Mapping[str, Any] | None = None,
    rows: int = 10,
) -> str:
    """HTML for notebooks: an escaped title, key ``figures`` (name: value),
    then the head of ``table`` and of each of ``tables`` (caption: table),
    pandas, polars or pyarrow, at most ``rows`` rows each. Inline styles
    only and no script: JupyterLab, VS Code and static HTML show it alike."""
    import html

    out = [f'<div style="font-family:sans-serif"><p style="margin:2px 0"><b>{html.escape(title)}</b></p>']
    if figures:
        items = "".join(
            f'<tr><th style="{_HEAD};text-align:left">{html.escape(str(k))}</th>'
            f'<td style="{_CELL}">{_cell(v)}</td></tr>'
            for k, v in figures.items()
        )
        out.append(f'<table style="border-collapse:collapse;font-size:12px;margin:4px 0">{items}</table>')
    if table is not None:
        out.append(html_table(table, rows))
    for caption, t in (tables or {}).items():
        out.append(html_table(t, rows, caption))
    out.append("</div>")
    return "".join(out)


def native_html(obj: Any) -> str:
    """The notebook HTML of the native ``SegmentTable`` and ``RuleSet``
    (their ``_repr_html_`` calls this)."""
    import pyarrow as pa

    name = type(obj).__name__
    if name == "SegmentTable":
        rules = obj.rules
        table = pa.table(
            {
                "segment": [r[0] for r in rules],
                "r": [f"{r[1][0]}-{r[1][1]}" for r in rules],
                "f": [f"{r[2][0]}-{r[2][1]}" for r in rules],
                "m": [f"{r[3][0]}-{r[3][1]}" for r in rules],
            }
        )
        return html_summary(repr(obj), table, figures={"fallback": obj.fallback}, rows=20)
    if name == "RuleSet":
        names = obj.rule_names
        return html_summary(repr(obj), pa.table({"rule": names}), rows=30)
    return html_summary(repr(obj))
