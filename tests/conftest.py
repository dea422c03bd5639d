"""Shared fixtures and hypothesis profiles (HYPOTHESIS_PROFILE=fast|slow)."""

from __future__ import annotations

import os
import signal

# Charts draw headless: the backend is chosen before pyplot is imported.
os.environ["MPLBACKEND"] = "Agg"

# The Ctrl-C tests need SIGINT delivered as KeyboardInterrupt, as in a
# terminal or a notebook. A shell that starts a job in the background
# without job control has it ignored, and an ignored signal stays ignored
# in every child process: Python then never raises KeyboardInterrupt. The
# default handler is put back here, so that this process and the children
# it starts (a handled signal is reset to the default at exec) behave as
# they would for a user.
if signal.getsignal(signal.SIGINT) in (signal.SIG_IGN, None):
    signal.signal(signal.SIGINT, signal.default_int_handler)

import pandas as pd
import pytest
from hypothesis import HealthCheck, settings

import ciblage

settings.register_profile("fast", max_examples=25, deadline=None)
settings.register_profile("slow", max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fast"))


@pytest.fixture(scope="session")
def synthetic() -> pd.DataFrame:
    """20,000 deterministic transactions of 2,000 customers (pandas)."""
    return ciblage.datasets.transactions(customers=2_000, transactions=20_000, seed=7, library="pandas")


@pytest.fixture()
def small() -> pd.DataFrame:
    """Six transactions of three customers, worked by hand in the tests."""
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 3, 3, 3],
            "timestamp": pd.to_datetime(
                ["2024-01-01", "2024-01-10", "2024-01-06", "2024-01-02", "2024-01-03", "2024-01-04"]
            ),
            "amount": [10.0, 20.0, 5.0, 50.0, 50.0, 50.0],
        }
    )


@pytest.fixture()
def close_figures():
    """Closes every matplotlib figure a test opened (memory stays low)."""
    yield
    import sys

    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        plt.close("all")


# Engines for ciblage.spark and ciblage.dask: started by the first test that
# asks for one (a session fixture), stopped at the end of the run. A start
# that does not finish within ENGINE_START_TIMEOUT seconds fails the test
# that asked, instead of hanging the run.
ENGINE_START_TIMEOUT = 180.0


def _started(start, what: str):
    import threading

    box: dict = {}

    def run() -> None:
        try:
            box["value"] = start()
        except BaseException as e:  # handed to the test below
            box["error"] = e

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(ENGINE_START_TIMEOUT)
    if thread.is_alive():
        pytest.fail(f"{what} did not start within {ENGINE_START_TIMEOUT:.0f} s")
    if "error" in box:
        raise box["error"]
    return box["value"]


@pytest.fixture(scope="session")
def spark():
    """A local Spark session (local[2], no UI, workers on this interpreter,
    4 shuffle partitions, Arrow batches of 64 rows so that a partition
    streams as several batches). Skips without PySpark or Java."""
    pytest.importorskip("pyspark")
    import shutil

    if not os.environ.get("JAVA_HOME") and shutil.which("java") is None:
        pytest.skip("Spark needs Java 17+ (none on the PATH)")
    import ciblage.spark

    session = _started(
        lambda: ciblage.spark.session(
            "local[2]",
            app_name="ciblage-tests",
            **{
                "spark.sql.shuffle.partitions": 4,
                "spark.default.parallelism": 2,
                "spark.sql.execution.arrow.maxRecordsPerBatch": 64,
                "spark.driver.memory": "1g",
                "spark.sql.session.timeZone": "UTC",
            },
        ),
        "the Spark session",
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def dask_client():
    """A Dask LocalCluster of 2 worker processes (one thread each, no
    dashboard) and its client. Skips without dask.distributed."""
    pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")

    def start():
        cluster = distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
            # Without a dashboard the scheduler still serves its HTTP routes
            # (health, metrics), by default on port 8787: on a free port
            # instead, so that two runs on one machine do not collide.
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
        )
        return cluster, distributed.Client(cluster, timeout="60s")

    cluster, client = _started(start, "the Dask cluster")
    yield client
    client.close()
    cluster.close()
