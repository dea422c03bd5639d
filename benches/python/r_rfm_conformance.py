"""Conformance of ciblage's ``method="rfm_compat"`` with R package ``rfm`` 0.3.0.

Runs ciblage on the R package's bundled order data and compares the result
with the numbers R ``rfm`` 0.3.0 gives on the same data (its testthat suite
and the reference notes): rows, heatmap sum, score counts, automatic
thresholds, and segment sizes with the 10-segment table of its tests.

Data: ``rfm_data_orders`` (4,906 orders of 995 customers, 2001-10-29 to
2006-12-30), file ``data/rfm_data_orders.rda`` of the R package ``rfm``
(Aravind Hebbali, MIT licence; on CRAN and GitHub rsquaredacademy/rfm).
It is NOT shipped with ciblage: fetch it yourself, e.g. from the CRAN source
tarball of rfm 0.3.0.

Usage::

    python benches/python/r_rfm_conformance.py PATH

PATH is ``rfm_data_orders.rda`` (read with ``pyreadr``, ``pip install
pyreadr``) or a CSV with columns ``customer_id, order_date, revenue``.
Prints ``check / expected / got / ok`` and exits 1 on any mismatch.
"""

from __future__ import annotations

import sys

import pandas as pd

import ciblage

AS_OF = "2006-12-31"  # analysis_date of R rfm's tests

# Segment table of R rfm's tests and 0.2.x docs, first match wins:
# (name, R range, F range, M range), ranges inclusive.
SEGMENTS = [
    ("Champions", (4, 5), (4, 5), (4, 5)),
    ("Loyal Customers", (2, 5), (3, 5), (3, 5)),
    ("Potential Loyalist", (3, 5), (1, 3), (1, 3)),
    ("New Customers", (4, 5), (1, 1), (1, 1)),
    ("Promising", (3, 4), (1, 1), (1, 1)),
    ("Need Attention", (2, 3), (2, 3), (2, 3)),
    ("About To Sleep", (2, 3), (1, 2), (1, 2)),
    ("At Risk", (1, 2), (2, 5), (2, 5)),
    ("Can't Lose Them", (1, 1), (4, 5), (4, 5)),
    ("Lost", (1, 2), (1, 2), (1, 2)),
]

# Reference numbers from R rfm 0.3.0 (shared/reference/rfm-clv-churn.md §1.1, §4.4).
EXPECTED_ROWS = 4906  # sum of transaction_count
EXPECTED_CUSTOMERS = 995
EXPECTED_HEATMAP = 12634  # round(sum of mean amount per (F score, R score) cell)
EXPECTED_CHAMPIONS = {"customers": 158, "orders": 1234, "revenue": 120178}
EXPECTED_SCORE_COUNTS: dict[str, list[int]] = {  # customers with score 1, 2, 3, 4, 5
    "r_score": [197, 200, 199, 199, 200],
    "f_score": [268, 187, 176, 244, 120],
    "m_score": [200, 200, 198, 202, 195],
}
EXPECTED_LOWER: dict[str, list[float]] = {  # class lower bounds in ascending value order
    "frequency": [1, 4, 5, 6, 8],
    "recency": [1, 115, 181, 297.4, 482],
}
EXPECTED_SIZES = {
    "Loyal Customers": 278,
    "Potential Loyalist": 229,
    "Champions": 158,
    "Lost": 111,
    "At Risk": 86,
    "About To Sleep": 50,
    "Others": 48,
    "Need Attention": 35,
}


def load(path: str) -> pd.DataFrame:
    if path.endswith(".rda") or path.endswith(".RData"):
        import pyreadr

        df = pyreadr.read_r(path)["rfm_data_orders"]
    else:
        df = pd.read_csv(path)
    df = df[["customer_id", "order_date", "revenue"]].copy()
    df["order_date"] = pd.to_datetime(df["order_date"])
    return df


def main(path: str) -> int:
    df = load(path)
    res = ciblage.rfm_analysis(
        df,
        customer="customer_id",
        timestamp="order_date",
        amount="revenue",
        as_of=AS_OF,
        method="rfm_compat",
        segments=ciblage.SegmentTable(SEGMENTS, fallback="Others"),
    )
    cust, segs, thr = res.customers, res.segments, res.thresholds
    seg = segs.set_index("segment")

    checks: list[tuple[str, object, object]] = [
        ("transaction_count sum", EXPECTED_ROWS, int(cust["frequency"].sum())),
        ("customers", EXPECTED_CUSTOMERS, len(cust)),
        (
            "heatmap mean-monetary sum (rounded)",
            EXPECTED_HEATMAP,
            round(cust.groupby(["f_score", "r_score"])["monetary"].mean().sum()),
        ),
    ]
    checks += [
        (f"Champions {col}", n, seg.loc["Champions", col]) for col, n in EXPECTED_CHAMPIONS.items()
    ]
    checks += [
        (f"{col} counts 1..5", counts, [int((cust[col] == s).sum()) for s in range(1, 6)])
        for col, counts in EXPECTED_SCORE_COUNTS.items()
    ]
    checks += [
        (f"{crit} thresholds lower", lower, sorted(thr.loc[thr["criterion"] == crit, "lower"]))
        for crit, lower in EXPECTED_LOWER.items()
    ]
    checks += [
        (f"segment size {name}", n, seg.loc[name, "customers"]) for name, n in EXPECTED_SIZES.items()
    ]

    rows = [(c, fmt(e), fmt(g), "yes" if same(e, g) else "NO") for c, e, g in checks]
    header = ("check", "expected", "got", "ok")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
    for row in [header, *rows]:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths)) + "  " + row[3])
    failed = sum(r[3] == "NO" for r in rows)
    print(f"{len(rows) - failed} passed, {failed} failed")
    return 1 if failed else 0


def fmt(x: object) -> str:
    if isinstance(x, list):
        return "[" + ", ".join(fmt(v) for v in x) + "]"
    x = x.item() if hasattr(x, "item") else x  # numpy scalar -> Python
    return f"{x:.10g}" if isinstance(x, float) else str(x)


def same(want: object, got: object) -> bool:
    if isinstance(want, list):
        return isinstance(got, list) and len(want) == len(got) and all(map(same, want, got))
    return abs(float(got) - float(want)) <= 1e-9 * max(1.0, abs(float(want)))  # type: ignore[arg-type]


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
