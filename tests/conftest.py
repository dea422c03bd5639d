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
