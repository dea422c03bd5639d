"""The grid's functions as each tool computes them: ciblage (from a pandas, polars or pyarrow
table), pandas, polars and DuckDB (SQL over the pyarrow table). Used by bench_grid.py.

Every function returns the tool's result and `digest(function, result)` turns it into a
canonical per-customer pandas frame (sorted by customer) that the grid compares across tools:
  * rfm: recency (days from the last purchase's local day to the day after the last local day
    of the data), frequency (rows), monetary (sum of amounts). R/F/M quintile scores are
    computed by every tool (its usual idiom) and timed, not compared (tie rules differ).
  * customer_totals: transactions, revenue.
  * value_tiers: revenue per customer, then count tiers 5 % / 15 % / 80 % of the customers
    with positive revenue (descending, stable); compared: the customers per tier.
  * retention: monthly acquisition cohorts of active customers (rows with a positive amount,
    local calendar months); compared: the cohort matrix (cohort x months since, customers).
  * summary: lifetimes-style CLV summary by day: frequency (repeat days), recency and T (days
    from the first purchase day to the last one / to the last day of the data), monetary_value
    (mean day total over the repeat days, 0 without one).
Time zones: a tz-aware timestamp column is read in its own zone (local days and months);
the peers convert it to local wall time first, as an analyst would.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_rfm import rfm_polars  # noqa: E402 - the polars quintile idiom, shared

FUNCTIONS = ("rfm", "customer_totals", "value_tiers", "retention", "summary")
SHARES = (0.05, 0.15, 0.80)


# --------------------------------------------------------------------------- ciblage
def ciblage_call(function: str, df):
    import ciblage

    if function == "rfm":
        return ciblage.rfm_analysis(df).customers
    if function == "customer_totals":
        return ciblage.customer_totals(df)
    if function == "value_tiers":
        return ciblage.value_tiers(ciblage.customer_totals(df), value="revenue", shares=SHARES)
    if function == "retention":
        return ciblage.retention(df, period="month").cohorts("classic", shares=False)
    if function == "summary":
        return ciblage.clv.summary(df)
    raise ValueError(function)


# --------------------------------------------------------------------------- pandas
def _pandas_local(df):
    ts = df["timestamp"]
    if getattr(ts.dt, "tz", None) is not None:
        ts = ts.dt.tz_localize(None)  # local wall time
    return ts


def pandas_call(function: str, df):
    import numpy as np
    import pandas as pd

    ts = _pandas_local(df)
    cid = df["customer_id"]
    if function == "rfm":
        day = ts.dt.floor("D")
        snapshot = day.max() + pd.Timedelta(days=1)
        rfm = pd.DataFrame({"customer_id": cid, "day": day, "amount": df["amount"]})
        rfm = rfm.groupby("customer_id").agg(last=("day", "max"), frequency=("day", "size"), monetary=("amount", "sum"))
        rfm["recency"] = (snapshot - rfm["last"]).dt.days
        rfm["R"] = pd.qcut(rfm["recency"].rank(method="first"), 5, labels=[5, 4, 3, 2, 1]).astype(int)
        rfm["F"] = pd.qcut(rfm["frequency"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5]).astype(int)
        rfm["M"] = pd.qcut(rfm["monetary"], 5, labels=[1, 2, 3, 4, 5]).astype(int)
        return rfm.reset_index()
    if function == "customer_totals":
        return df.groupby("customer_id")["amount"].agg(transactions="size", revenue="sum").reset_index()
    if function == "value_tiers":
        revenue = df.groupby("customer_id")["amount"].sum()
        ranked = revenue[revenue > 0].sort_values(ascending=False, kind="stable")
        n = len(ranked)
        ends = np.ceil(n * np.cumsum(SHARES) - 1e-9)
        ends[-1] = n
        tier = pd.Series(len(SHARES), index=revenue.index)
        tier[ranked.index] = np.searchsorted(ends, np.arange(1, n + 1), side="left")
        return pd.DataFrame({"customer_id": revenue.index, "revenue": revenue.to_numpy(), "tier": tier.to_numpy()})
    if function == "retention":
        buys = df["amount"] > 0
        t = ts[buys]
        month = t.dt.year * 12 + t.dt.month - 1
        c = cid[buys]
        first = month.groupby(c).transform("min")
        pairs = pd.DataFrame({"customer_id": c, "cohort": first, "k": month - first})
        pairs = pairs.drop_duplicates(["customer_id", "k"])
        return pairs.groupby(["cohort", "k"]).size().unstack()
    if function == "summary":
        day = ts.dt.floor("D")
        per_day = pd.DataFrame({"customer_id": cid, "day": day, "amount": df["amount"]})
        per_day = per_day.groupby(["customer_id", "day"], sort=True)["amount"].sum().reset_index()
        g = per_day.groupby("customer_id")
        first = g["day"].transform("min")
        repeat = per_day["day"] > first
        out = g.agg(first=("day", "min"), last=("day", "max"), days=("day", "size"))
        out["repeat_sum"] = per_day["amount"].where(repeat, 0.0).groupby(per_day["customer_id"]).sum()
        end = day.max()
        out["frequency"] = out["days"] - 1
        out["recency"] = (out["last"] - out["first"]).dt.days.astype(float)
        out["T"] = (end - out["first"]).dt.days.astype(float)
        out["monetary_value"] = np.where(out["frequency"] > 0, out["repeat_sum"] / out["frequency"].clip(lower=1), 0.0)
        return out.reset_index()[["customer_id", "frequency", "recency", "T", "monetary_value"]]
    raise ValueError(function)


# --------------------------------------------------------------------------- polars
def polars_call(function: str, df):
    import polars as pl

    ts = pl.col("timestamp")
    if df.schema["timestamp"].time_zone is not None:
        df = df.with_columns(ts.dt.replace_time_zone(None))  # local wall time
    if function == "rfm":
        out = rfm_polars(df.with_columns(ts.dt.truncate("1d")))
        return out
    if function == "customer_totals":
        return df.group_by("customer_id").agg(pl.len().alias("transactions"), pl.col("amount").sum().alias("revenue"))
    if function == "value_tiers":
        rev = df.group_by("customer_id").agg(pl.col("amount").sum().alias("revenue"))
        pos = rev.filter(pl.col("revenue") > 0).sort("revenue", descending=True, maintain_order=True)
        n = pos.height
        ends, acc = [], 0.0
        for s in SHARES:
            acc += s
            ends.append(min(n, int(-(-(n * acc - 1e-9) // 1))))
        ends[-1] = n
        # Rank k (1-based) falls in the first tier whose end is >= k.
        tier = pl.Series(ends, dtype=pl.Int64).search_sorted(pl.int_range(1, n + 1, eager=True), side="left")
        pos = pos.with_columns(tier=tier.cast(pl.Int64))
        rest = rev.filter(pl.col("revenue") <= 0).with_columns(tier=pl.lit(len(SHARES), dtype=pl.Int64))
        return pl.concat([pos, rest], how="vertical_relaxed")
    if function == "retention":
        buys = df.filter(pl.col("amount") > 0).select(
            "customer_id", month=ts.dt.year().cast(pl.Int32) * 12 + ts.dt.month().cast(pl.Int32) - 1
        )
        buys = buys.with_columns(cohort=pl.col("month").min().over("customer_id"))
        pairs = buys.select("customer_id", "cohort", k=pl.col("month") - pl.col("cohort")).unique(["customer_id", "k"])
        return pairs.group_by("cohort", "k").len()
    if function == "summary":
        per_day = df.group_by("customer_id", day=ts.dt.truncate("1d")).agg(pl.col("amount").sum())
        end = per_day.select(pl.col("day").max()).item()
        first = pl.col("day").min()
        out = per_day.group_by("customer_id").agg(
            first=first,
            last=pl.col("day").max(),
            frequency=pl.len() - 1,
            repeat_sum=pl.col("amount").filter(pl.col("day") > first).sum(),
        )
        return out.select(
            "customer_id",
            "frequency",
            recency=(pl.col("last") - pl.col("first")).dt.total_days().cast(pl.Float64),
            T=(pl.lit(end) - pl.col("first")).dt.total_days().cast(pl.Float64),
            monetary_value=pl.when(pl.col("frequency") > 0)
            .then(pl.col("repeat_sum") / pl.col("frequency"))
            .otherwise(0.0),
        )
    raise ValueError(function)


# --------------------------------------------------------------------------- DuckDB
def duckdb_call(function: str, table, con):
    """SQL over the pyarrow table `table` (registered as `tx`); returns a pyarrow table."""
    import pyarrow as pa

    tz = pa.types.is_timestamp(table.schema.field("timestamp").type) and table.schema.field("timestamp").type.tz
    if tz:
        con.execute(f"SET TimeZone = '{tz}'")
    con.register("tx", table)
    # Local wall time (a TIMESTAMPTZ cast to TIMESTAMP in the session's zone).
    ts = "CAST(timestamp AS TIMESTAMP)" if tz else "timestamp"
    src = f"(SELECT customer_id, {ts} AS ts, amount FROM tx)"
    q = {
        "rfm": f"""
            WITH a AS (SELECT customer_id, max(date_trunc('day', ts)) AS last, count(*) AS frequency,
                              sum(amount) AS monetary FROM {src} GROUP BY customer_id),
                 s AS (SELECT max(last) + INTERVAL 1 DAY AS snap FROM a),
                 b AS (SELECT a.*, date_diff('day', last, snap) AS recency FROM a, s)
            SELECT *, 6 - ntile(5) OVER (ORDER BY recency, customer_id) AS R,
                   ntile(5) OVER (ORDER BY frequency, customer_id) AS F,
                   ntile(5) OVER (ORDER BY monetary) AS M FROM b""",
        "customer_totals": f"""SELECT customer_id, count(*) AS transactions, sum(amount) AS revenue
            FROM {src} GROUP BY customer_id""",
        "value_tiers": f"""
            WITH r AS (SELECT customer_id, sum(amount) AS revenue FROM {src} GROUP BY customer_id),
                 p AS (SELECT customer_id, revenue, row_number() OVER (ORDER BY revenue DESC, customer_id) AS k,
                              count(*) OVER () AS n FROM r WHERE revenue > 0)
            SELECT customer_id, revenue, CASE WHEN k <= ceil(n * {SHARES[0]} - 1e-9) THEN 0
                   WHEN k <= ceil(n * {SHARES[0] + SHARES[1]} - 1e-9) THEN 1 ELSE 2 END AS tier FROM p
            UNION ALL SELECT customer_id, revenue, 3 FROM r WHERE revenue <= 0""",
        "retention": f"""
            WITH b AS (SELECT customer_id, year(ts) * 12 + month(ts) - 1 AS m FROM {src} WHERE amount > 0),
                 c AS (SELECT customer_id, m, min(m) OVER (PARTITION BY customer_id) AS cohort FROM b),
                 d AS (SELECT DISTINCT customer_id, cohort, m - cohort AS k FROM c)
            SELECT cohort, k, count(*) AS len FROM d GROUP BY cohort, k""",
        "summary": f"""
            WITH d AS (SELECT customer_id, date_trunc('day', ts) AS day, sum(amount) AS amount
                       FROM {src} GROUP BY customer_id, day),
                 f AS (SELECT *, min(day) OVER (PARTITION BY customer_id) AS first FROM d),
                 e AS (SELECT max(day) AS end_day FROM d)
            SELECT customer_id, count(*) - 1 AS frequency,
                   CAST(date_diff('day', min(first), max(day)) AS DOUBLE) AS recency,
                   CAST(date_diff('day', min(first), any_value(end_day)) AS DOUBLE) AS T,
                   CASE WHEN count(*) > 1 THEN sum(CASE WHEN day > first THEN amount ELSE 0 END) / (count(*) - 1)
                        ELSE 0.0 END AS monetary_value
            FROM f, e GROUP BY customer_id""",
    }[function]
    res = con.sql(q)
    # DuckDB >= 2: to_arrow_table(); 1.x: fetch_arrow_table().
    return res.to_arrow_table() if hasattr(res, "to_arrow_table") else res.fetch_arrow_table()


# --------------------------------------------------------------------------- digests
def _to_pandas(result):
    import pandas as pd

    if isinstance(result, pd.DataFrame):
        return result
    if hasattr(result, "to_pandas"):  # polars, pyarrow
        return result.to_pandas()
    raise TypeError(type(result))


def digest(function: str, tool: str, result):
    """The canonical per-customer (or per-cell) pandas frame of one tool's result."""
    import pandas as pd

    if function == "value_tiers" and tool == "ciblage":
        result = result.customers if hasattr(result, "customers") else result
    df = _to_pandas(result).reset_index(drop=function != "retention" or tool != "pandas")
    if function == "retention":
        if tool == "pandas":  # wide matrix: cohort index x k columns
            long = df.melt(id_vars="cohort", var_name="k", value_name="customers").dropna()
        elif tool == "ciblage":  # one row per cohort: cohort, size, then a column per k
            long = df.drop(columns=["size"]).melt(id_vars="cohort", var_name="k", value_name="customers").dropna()
            long["cohort"] = _month_code(long["cohort"])
        else:
            long = df.rename(columns={"len": "customers"})
        long = long.assign(k=long["k"].astype(int), cohort=long["cohort"].astype(int))
        long = long[long["customers"] > 0]
        long["customers"] = long["customers"].astype(int)
        return long.sort_values(["cohort", "k"]).reset_index(drop=True)[["cohort", "k", "customers"]]
    keep = {
        "rfm": ["recency", "frequency", "monetary"],
        "customer_totals": ["transactions", "revenue"],
        "value_tiers": ["revenue", "tier"],
        "summary": ["frequency", "recency", "T", "monetary_value"],
    }[function]
    if function == "rfm" and tool == "ciblage":
        df = df.rename(columns={"recency_days": "recency"})
    if function == "value_tiers" and tool == "ciblage" and df["tier"].dtype.kind not in "iu":
        # Tier labels numbered by rank (best first); customers without value last.
        labels = df["tier"].astype(str)
        positive = df["revenue"] > 0
        order = df[positive].assign(tier=labels[positive]).groupby("tier")["rank"].min().sort_values().index
        code = pd.Series(range(len(order)), index=order)
        df = df.assign(tier=labels.map(code).where(positive, len(SHARES)))
    out = df[["customer_id", *keep]].copy()
    for c in keep:
        out[c] = out[c].astype(float)
    return out.sort_values("customer_id", kind="stable").reset_index(drop=True)


def _month_code(cohort):
    import pandas as pd

    s = pd.Series(cohort)
    if s.dtype.kind in "iu":
        return s
    d = pd.to_datetime(s.astype(str))
    return d.dt.year * 12 + d.dt.month - 1
