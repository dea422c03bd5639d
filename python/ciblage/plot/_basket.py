"""Charts of basket analysis: the top frequent itemsets
(:func:`ciblage.basket.frequent_itemsets`) and association rules
(:func:`ciblage.basket.association_rules`)."""

from __future__ import annotations

from typing import Any

from ciblage.plot._display import Display, as_table, check_result

__all__ = ["ItemsetsDisplay", "RulesDisplay"]


def _label(items: Any) -> str:
    return "{" + ", ".join(str(x) for x in items) + "}"


class ItemsetsDisplay(Display):
    """Horizontal bars of the itemsets of the highest support.

    Attributes:
        data: one row per bar, highest support first: itemset (label),
            support, count.
    """

    def __init__(self, data: Any) -> None:
        self.data = data

    @classmethod
    def from_result(cls, result: Any, *, top: int = 20) -> ItemsetsDisplay:
        """The chart of the ``top`` itemsets of a
        :class:`~ciblage.basket.FrequentItemsets`."""
        check_result(result, ("to_arrow", "min_count"), "a FrequentItemsets (ciblage.basket.frequent_itemsets)")
        t = result.to_arrow().sort_by([("support", "descending")]).slice(0, top)
        return cls(
            as_table(
                {
                    "itemset": [_label(s) for s in t.column("itemset").to_pylist()],
                    "support": t.column("support").to_pylist(),
                    "count": t.column("count").to_pylist(),
                }
            )
        )

    def _draw(self, ax: Any, **kwargs: Any) -> None:
        labels = list(self.data["itemset"])[::-1]
        support = list(self.data["support"])[::-1]
        kwargs.setdefault("color", "#4c72b0")
        ax.barh(range(len(labels)), support, **kwargs)
        ax.set_yticks(range(len(labels)), labels)
        ax.set_xlabel("support (share of baskets)")
        ax.set_title("Most frequent itemsets")


class RulesDisplay(Display):
    """Association rules as points: support against confidence, coloured by
    lift.

    Attributes:
        data: one row per rule: rule (label), support, confidence, lift.
    """

    def __init__(self, data: Any) -> None:
        self.data = data

    @classmethod
    def from_result(cls, result: Any) -> RulesDisplay:
        """The chart of an :class:`~ciblage.basket.AssociationRules`."""
        check_result(result, ("to_arrow", "to_sql"), "an AssociationRules (ciblage.basket.association_rules)")
        t = result.to_arrow()
        rules = [
            f"{_label(a)} => {_label(c)}"
            for a, c in zip(t.column("antecedents").to_pylist(), t.column("consequents").to_pylist(), strict=True)
        ]
        return cls(
            as_table(
                {
                    "rule": rules,
                    "support": t.column("support").to_pylist(),
                    "confidence": t.column("confidence").to_pylist(),
                    "lift": t.column("lift").to_pylist(),
                }
            )
        )

    def _draw(self, ax: Any, **kwargs: Any) -> None:
        kwargs.setdefault("cmap", "viridis")
        points = ax.scatter(
            list(self.data["support"]), list(self.data["confidence"]), c=list(self.data["lift"]), **kwargs
        )
        ax.figure.colorbar(points, ax=ax, label="lift")
        ax.set_xlabel("support")
        ax.set_ylabel("confidence")
        ax.set_title("Association rules")
