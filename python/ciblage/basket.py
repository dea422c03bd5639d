"""Basket and affinity analysis from order lines (see ``docs/basket.md``)."""

from __future__ import annotations

from ._affinity import AffinityTable, KeepReport, NextBestProducts, next_best_products, segment_affinity

__all__ = ["AffinityTable", "KeepReport", "NextBestProducts", "next_best_products", "segment_affinity"]
