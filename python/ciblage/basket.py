"""Basket and affinity analysis: what is bought together, and which products
each segment loves (see ``docs/basket.md``).

Frequent itemsets (FP-growth) and association rules are mined straight from
order lines in long form (one row per order and product), never from a
one-hot frame.

>>> import pandas as pd
>>> from ciblage.basket import frequent_itemsets, association_rules
>>> lines = pd.DataFrame(
...     {"order_id": [1, 1, 2, 2, 3, 3, 4], "product": ["tea", "cake", "tea", "cake", "tea", "jam", "cake"]}
... )
>>> sets = frequent_itemsets(lines, min_support=0.5)
>>> rules = association_rules(sets, metric="confidence", min_threshold=0.6)
>>> print(rules.to_text())
{cake} => {tea}  support=0.5  confidence=0.666667  lift=0.888889
{tea} => {cake}  support=0.5  confidence=0.666667  lift=0.888889
"""

from __future__ import annotations

# --- Affinity by segment, keep report, next-best product --------------------
# (re-exported from ._affinity)
from ._affinity import AffinityTable, KeepReport, NextBestProducts, next_best_products, segment_affinity

# --- Frequent itemsets and association rules --------------------------------
from ._basket import association_rules, frequent_itemsets
from ._basket_results import MEASURES, AssociationRules, FrequentItemsets

__all__ = [
    "frequent_itemsets",
    "association_rules",
    "FrequentItemsets",
    "AssociationRules",
    "MEASURES",
    "segment_affinity",
    "next_best_products",
    "AffinityTable",
    "KeepReport",
    "NextBestProducts",
]
