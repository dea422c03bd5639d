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
    print(
        f"Bundled synthetic data: {len(tx):,} transactions of {tx['customer_id'].nunique():,} customers "
        f"({time.perf_counter() - t0:.2f} s to generate)"
    )
    print(tx.head(), "\n")

    t0 = time.perf_counter()
    result = ciblage.rfm_analysis(tx, customer="customer_id", timestamp="timestamp", amount="amount")
    elapsed = time.perf_counter() - t0
    print(f"RFM as of {result.as_of} in {elapsed * 1000:.0f} ms; input report: {result.input_report}\n")
    print("Customers (first rows):")
    print(result.customers.head(8), "\n")
    print("Segments:")
    seg = result.segments[
        [
            "segment",
            "customers",
            "customer_share",
            "orders",
            "revenue",
            "revenue_share",
            "average_order_value",
            "mean_recency_days",
        ]
    ]
    print(seg.round(3).to_string(index=False), "\n")
    print("Thresholds (R rfm style):")
    print(result.thresholds.to_string(index=False), "\n")
    if result.degenerate:
        print("Criteria with little discriminating power:", ", ".join(result.degenerate))

    print("RFA on margin, 4 classes (the domain's flash cards):")
    rfa = ciblage.rfm_analysis(tx, cost="cost", monetary="margin", variant="rfa", bins=4)
    print(rfa.segments[["segment", "customers", "revenue"]].to_string(index=False), "\n")

    coverage = ciblage.SegmentTable.classic().coverage(5)
    print(
        "The classic table's rules that never win (shadowed by earlier ones):", ", ".join(coverage["unreachable"]), "\n"
    )

    print("Value tiers, Pareto style (5 % best, 15 % standard, 80 % small):")
    tiers = ciblage.value_tiers(result.customers, value="monetary")
    print(tiers.summary.round(3).to_string(index=False), "\n")
    abc = ciblage.value_tiers(result.customers, method="abc")
    print("ABC classes by cumulative revenue (80 % / 95 %):")
    print(abc.summary[["tier", "customers", "share_of_customers", "share_of_value"]].round(3).to_string(index=False))
    conc = ciblage.concentration(result.customers)
    print(
        f"Gini {conc.gini:.3f}; the top 20 % of customers make {conc.top_share(0.2):.1%} of revenue; "
        f"80 % of revenue comes from {conc.customers_for_value(0.8):.1%} of customers\n"
    )

    t0 = time.perf_counter()
    # The data end on 2024-01-01: analyse whole quarters only.
    ret = ciblage.retention(tx, period="quarter", churn_after=2, as_of="2024-01-01")
    print(f"Activity per quarter ({(time.perf_counter() - t0) * 1000:.0f} ms):")
    print(ret.periods.round(3).to_string(index=False), "\n")
    print("Quarterly acquisition cohorts, share still active k quarters later (blank = not observed yet):")
    print(ret.cohorts("classic").round(2).to_string(index=False, na_rep=""), "\n")
    print("Kaplan-Meier survival by cohort (churned after 2 silent quarters):")
    print(ret.cohorts("survival").round(2).to_string(index=False, na_rep=""), "\n")

    flags = ciblage.churn_flags(tx, rule="median_gap", multiple=3.0, fallback_days=365)
    print(
        f"Churn flags (silence > 3 x own median gap): {int(flags['churned'].sum()):,} of {len(flags):,} "
        "customers churned\n"
    )

    earlier = ciblage.rfm(tx, as_of="2023-06-30")
    moves = ciblage.migration(earlier, result.customers)
    counts = moves.counts.set_index("before")
    used = [label for label in moves.labels if counts.loc[label].sum() + counts[label].sum() > 0]
    print("Segment migration, 2023-06-30 to the end (share of each row):")
    print(moves.shares.set_index("before").loc[used, used].round(2).to_string(), "\n")

    # The state rules read, from transactions: RFM, value tier, and the change
    # of the last 90 days against the 90 before.
    customers = ciblage.lifecycle.customer_state(tx, today="2024-01-01", window_days=90)
    # Past contacts: every customer reached a few times over the last 40 days.
    history = pd.DataFrame(
        {
            "customer_id": customers["customer_id"].sample(30_000, replace=True, random_state=1).to_numpy(),
            "date": pd.Timestamp("2024-01-01") - pd.to_timedelta(range(30_000), unit="D") % pd.Timedelta(days=40),
        }
    )
    t0 = time.perf_counter()
    life = ciblage.lifecycle.evaluate(customers, history=history, today="2024-01-01")
    print(f"Lifecycle stages and actions, default rules ({(time.perf_counter() - t0) * 1000:.0f} ms):")
    stages = life.customers.groupby(["stage", "moment", "channel"]).size().rename("customers")
    print(stages.reset_index().to_string(index=False), "\n")
    kept = life.decisions.groupby(["rule", "kept"]).size().unstack(fill_value=0)
    print("Actions kept / suppressed by the pressure cap:")
    print(kept.to_string(), "\n")
    example = life.decisions[~life.decisions["kept"]].head(1)
    if len(example):
        print("Why one was suppressed:", example["explanation"].iloc[0], "\n")

    # Who buys again? A CHAID tree on the RFM scores of 2023-10-01 predicting
    # a purchase in the following quarter.
    before = ciblage.rfm(tx, as_of="2023-10-01")
    later = set(tx.loc[tx["timestamp"] >= pd.Timestamp("2023-10-01", tz="UTC"), "customer_id"])
    X = before[["r_score", "f_score", "m_score"]]
    y = before["customer_id"].isin(later).map({True: "buys again", False: "silent"})
    t0 = time.perf_counter()
    tree = ciblage.ChaidClassifier(
        max_depth=2, min_parent=1000, min_child=300, column_types={c: "ordinal" for c in X.columns}
    ).fit(X, y)
    print(f"CHAID: who buys again next quarter ({(time.perf_counter() - t0) * 1000:.0f} ms):")
    nodes = tree.nodes()
    rate = tree.predict_proba(X)[:, list(tree.classes_).index("buys again")]
    leaves = pd.DataFrame({"node": tree.apply(X), "rate": rate}).groupby("node")["rate"].first()
    nodes["response"] = nodes["node"].map(leaves)
    print(
        nodes[["node", "depth", "n", "split", "ln_p_adjusted", "response", "rule"]].to_string(
            index=False, na_rep="", float_format=lambda v: f"{v:.3g}"
        )
    )


if __name__ == "__main__":
    main()
