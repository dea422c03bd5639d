"""ciblage on Spark against Spark's own idioms: RFM end to end on N synthetic
transactions in parquet (Spark SQL ``groupBy`` + ``ntile``), scoring a fitted
CART model on the customers, and frequent itemsets (Spark MLlib FPGrowth).

The parquet files are written once (``--rows``, customers ``--customer-share``
of the rows) into ``--folder``; a ``local[N]`` session (``--master``) runs
every cell. Cells:

- ``spark sql``: ``groupBy(customer).agg(max, count, sum)`` then ``ntile(5)``
  over each metric (the idiom users write), written to a no-op sink;
- ``ciblage rfm``: ``ciblage.spark.rfm`` (exact quantiles: partial states
  merged by customer, scored on the driver), written to the same sink;
- ``ciblage predict``: ``ciblage.spark.predict`` of a CART model fitted on a
  sample, on the per-customer table (``mapInArrow``, map only);
- ``baskets``: the same baskets (one per customer, its products the whole
  parts of the amounts modulo 50) mined at ``--min-support`` by MLlib
  FPGrowth (on ``collect_set`` per basket, the idiom) and by
  ``ciblage.spark.frequent_itemsets`` (on the lines, SON in two passes);
  both numbers of itemsets are printed (they agree).

Times are wall-clock seconds (``time.perf_counter``: the work runs in the
JVM and the Python workers, not in this process).

The issue's size is 100M rows (``--rows 100M``: an idle machine, not CI).

    .venv/bin/python benches/python/bench_spark.py --rows 1M
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import pathlib
import tempfile

from bench_dask import parse_rows, timed, write_files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default="1M")
    parser.add_argument("--customer-share", type=float, default=0.1)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--folder", default=None)
    parser.add_argument("--min-support", type=float, default=0.01)
    args = parser.parse_args()

    import pyspark.sql.functions as F
    from pyspark.sql import Window

    import ciblage
    import ciblage.spark

    rows = parse_rows(args.rows)
    customers = max(1, int(rows * args.customer_share))
    folder = pathlib.Path(args.folder or tempfile.mkdtemp(prefix="ciblage-bench-spark-"))
    folder.mkdir(parents=True, exist_ok=True)
    if not any(folder.glob("*.parquet")):
        write_files(folder, rows, customers)
    results: dict[str, object] = {"rows": rows, "customers": customers, "date": dt.date.today().isoformat()}

    spark = ciblage.spark.session(args.master, app_name="ciblage-bench", **{"spark.sql.shuffle.partitions": 8})
    spark.sparkContext.setLogLevel("ERROR")
    tx = spark.read.parquet(str(folder))
    tx.count()  # the session warmed up, the files listed

    def spark_sql():
        agg = tx.groupBy("customer_id").agg(
            F.datediff(F.lit("2026-01-01"), F.max("timestamp")).alias("recency_days"),
            F.count("amount").alias("frequency"),
            F.sum("amount").alias("monetary"),
        )
        scored = (
            agg.withColumn("r", F.ntile(5).over(Window.orderBy(F.desc("recency_days"))))
            .withColumn("f", F.ntile(5).over(Window.orderBy("frequency")))
            .withColumn("m", F.ntile(5).over(Window.orderBy("monetary")))
        )
        scored.write.format("noop").mode("overwrite").save()
        return agg

    seconds, agg = timed(spark_sql)
    results["spark sql groupBy + ntile (s)"] = round(seconds, 3)
    seconds, _ = timed(lambda: ciblage.spark.rfm(tx).write.format("noop").mode("overwrite").save())
    results["ciblage.spark.rfm (s)"] = round(seconds, 3)

    per_customer = agg.cache()
    per_customer.count()
    sample = per_customer.sample(fraction=min(1.0, 20_000 / customers), seed=1).toArrow().to_pandas()
    features = ["recency_days", "frequency", "monetary"]
    model = ciblage.CartClassifier(max_depth=6).fit(
        sample[features], sample["frequency"] > sample["frequency"].median()
    )
    seconds, _ = timed(lambda: ciblage.spark.predict(model, per_customer).write.format("noop").mode("overwrite").save())
    results["ciblage.spark.predict on customers (s)"] = round(seconds, 3)

    from pyspark.ml.fpm import FPGrowth

    lines = tx.select(
        F.col("customer_id").alias("order_id"), (F.floor("amount") % 50).cast("long").alias("product")
    ).cache()
    lines.count()
    baskets = lines.groupBy("order_id").agg(F.collect_set("product").alias("items"))
    seconds, found = timed(
        lambda: FPGrowth(itemsCol="items", minSupport=args.min_support).fit(baskets).freqItemsets.count()
    )
    results["spark FPGrowth (s)"] = round(seconds, 3)
    results["spark FPGrowth itemsets"] = found
    seconds, sets = timed(lambda: ciblage.spark.frequent_itemsets(lines, min_support=args.min_support))
    results["ciblage.spark.frequent_itemsets (s)"] = round(seconds, 3)
    results["ciblage.spark.frequent_itemsets itemsets"] = len(sets)
    spark.stop()
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
