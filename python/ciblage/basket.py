"""Basket analysis: what is bought together (see ``docs/basket.md``).

Frequent itemsets (FP-growth) and association rules are mined straight from
order lines in long form (one row per order and product), never from a
one-hot frame.
"""

from __future__ import annotations

# --- Frequent itemsets and association rules --------------------------------

__all__: list[str] = []

# --- Affinity by segment, keep report, next-best product --------------------
# (re-exported from ._affinity)
