"""ciblage on PySpark DataFrames (the ``ciblage[spark]`` extra): per-customer
aggregations (see docs/scale.md). Importing ``ciblage`` does not import
this package, nor PySpark."""

from ._aggregate import concentration, customer_totals, rfm, value_tiers

__all__ = ["concentration", "customer_totals", "rfm", "value_tiers"]
