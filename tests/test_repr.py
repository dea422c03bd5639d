"""Every public class has a short, informative ``repr`` (no ``<... at
0x...>``), and every result a ``_repr_html_``: inline styles only, no
script, values escaped, key figures shown."""

from __future__ import annotations

import html
import inspect
import re
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

import ciblage
import ciblage.plot
from ciblage import clv, lifecycle


@pytest.fixture(scope="module")
def tx() -> pd.DataFrame:
    return ciblage.datasets.transactions(customers=300, transactions=3_000, library="pandas", seed=2)


def _state(tx: pd.DataFrame) -> Any:
    return lifecycle.customer_state(tx, today="2024-07-01")


FACTORIES: dict[str, Callable[[pd.DataFrame], Any]] = {
    "RfmResult": lambda tx: ciblage.rfm_analysis(tx),
    "SegmentTable": lambda tx: ciblage.SegmentTable.classic(),
    "CartClassifier": lambda tx: ciblage.CartClassifier(max_depth=3),
    "CartRegressor": lambda tx: ciblage.CartRegressor(),
    "ChaidClassifier": lambda tx: ciblage.ChaidClassifier(),
    "ChaidRegressor": lambda tx: ciblage.ChaidRegressor(),
    "ValueTiers": lambda tx: ciblage.value_tiers(ciblage.rfm(tx)),
    "Concentration": lambda tx: ciblage.concentration(ciblage.rfm(tx)),
    "RetentionResult": lambda tx: ciblage.retention(tx),
    "Migration": lambda tx: ciblage.migration(ciblage.rfm(tx), ciblage.rfm(tx, bins=3)),
    "RuleSet": lambda tx: lifecycle.default_rules(),
    "LifecycleResult": lambda tx: lifecycle.evaluate(_state(tx), today="2024-07-01"),
    "BgNbd": lambda tx: clv.BgNbd(),
    "ParetoNbd": lambda tx: clv.ParetoNbd(),
    "GammaGamma": lambda tx: clv.GammaGamma(),
}


def public_classes() -> dict[str, type]:
    """The classes the package's public modules export, exceptions and
    warnings aside."""
    found: dict[str, type] = {}
    for module in (ciblage, lifecycle, clv, ciblage.plot):
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj) and not issubclass(obj, BaseException | Warning):
                found[name] = obj
    return found


def test_every_public_class_has_a_factory_here() -> None:
    # Display and MissingExtraError belong to ciblage.plot, built by charts.
    missing = set(public_classes()) - set(FACTORIES) - {"Display"}
    assert not missing, f"add a factory for {sorted(missing)}"


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_repr_is_short_and_informative(name: str, tx: pd.DataFrame) -> None:
    obj = FACTORIES[name](tx)
    text = repr(obj)
    assert not re.search(r" at 0x[0-9a-f]+", text), text
    assert text.startswith(type(obj).__name__ + "("), text
    assert len(text) <= 300 and "\n" not in text.strip(), text


RESULTS = [
    "RfmResult",
    "SegmentTable",
    "ValueTiers",
    "Concentration",
    "RetentionResult",
    "Migration",
    "RuleSet",
    "LifecycleResult",
]


@pytest.mark.parametrize("name", RESULTS)
def test_results_render_in_notebooks(name: str, tx: pd.DataFrame) -> None:
    obj = FACTORIES[name](tx)
    page = obj._repr_html_()
    assert isinstance(page, str) and page.startswith("<div")
    lowered = page.lower()
    for forbidden in ("<script", "<style", "<link", "javascript:", "class="):
        assert forbidden not in lowered, forbidden

    assert html.escape(repr(obj)) in page


def test_rfm_html_shows_the_counts_and_the_segments(tx: pd.DataFrame) -> None:
    result = ciblage.rfm_analysis(tx)
    page = result._repr_html_()
    customers = tx["customer_id"].nunique()
    assert f'<td style="padding:2px 8px;border-bottom:1px solid #ddd;text-align:right">{customers:,}</td>' in page
    assert f"{len(tx):,}" in page or str(len(tx)) in page
    # Every segment of the classic table is a row (20 rows shown at most).
    for segment in pd.Series(result.customers["segment"]).unique():
        assert html.escape(str(segment)) in page


def test_values_are_escaped_and_long_tables_cut() -> None:
    table = ciblage.SegmentTable([("<b>Best</b> & co", (4, 5), (4, 5), (4, 5))], fallback="<i>rest</i>")
    page = table._repr_html_()
    assert "&lt;b&gt;Best&lt;/b&gt; &amp; co" in page and "<b>Best" not in page
    assert "&lt;i&gt;rest&lt;/i&gt;" in page
    from ciblage._tables import html_summary

    frame = pd.DataFrame({"x": range(25)})
    cut = html_summary("t", frame, rows=10)
    assert cut.count("<tr>") == 11  # header + 10 rows
    assert "15 more rows of 25" in cut


def test_the_html_helper_reads_every_table_kind() -> None:
    import polars as pl
    import pyarrow as pa

    from ciblage._tables import html_table

    data = {"a": [1, 2, 3], "b": ["x", "<y>", None]}
    pages = [html_table(pd.DataFrame(data)), html_table(pl.DataFrame(data)), html_table(pa.table(data))]
    assert pages[0] == pages[1] == pages[2]
    assert "&lt;y&gt;" in pages[0] and ">null<" in pages[0]
