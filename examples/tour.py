"""A tour of ciblage on bundled data: `make demo` runs it."""

from __future__ import annotations

import time

import pandas as pd

import ciblage

pd.set_option("display.width", 160)
pd.set_option("display.max_columns", 20)


def main() -> None:
    print(f"ciblage {ciblage.__version__}\n")
    t0 = time.perf_counter()
    tx = ciblage.datasets.transactions(customers=20_000, transactions=200_000, library="pandas")
    print(f"Bundled synthetic data: {len(tx):,} transactions of {tx['customer_id'].nunique():,} customers "
          f"({time.perf_counter() - t0:.2f} s to generate)")
    print(tx.head(), "\n")

    t0 = time.perf_counter()
    result = ciblage.rfm_analysis(tx, customer="customer_id", timestamp="timestamp", amount="amount")
    elapsed = time.perf_counter() - t0
    print(f"RFM as of {result.as_of} in {elapsed * 1000:.0f} ms; input report: {result.input_report}\n")
    print("Customers (first rows):")
    print(result.customers.head(8), "\n")
    print("Segments:")
    seg = result.segments[["segment", "customers", "customer_share", "orders", "revenue",
                           "revenue_share", "average_order_value", "mean_recency_days"]]
    print(seg.round(3).to_string(index=False), "\n")
    print("Thresholds (R rfm style):")
    print(result.thresholds.to_string(index=False), "\n")
    if result.degenerate:
        print("Criteria with little discriminating power:", ", ".join(result.degenerate))

    print("RFA on margin, 4 classes (the domain's flash cards):")
    rfa = ciblage.rfm_analysis(tx, cost="cost", monetary="margin", variant="rfa", bins=4)
    print(rfa.segments[["segment", "customers", "revenue"]].to_string(index=False), "\n")

    coverage = ciblage.SegmentTable.classic().coverage(5)
    print("The classic table's rules that never win (shadowed by earlier ones):",
          ", ".join(coverage["unreachable"]))


if __name__ == "__main__":
    main()
