"""Customer lifetime value side by side: ciblage vs lifetimes vs pymc-marketing.

Setup (once; `make bench-clv` does it): each peer in its own virtual environment under
benches/python/.venv-peers/ (git-ignored), as their dependency pins conflict with ours:
    .venv/bin/python benches/python/bench_clv.py --setup
    (lifetimes: `pip install lifetimes "pandas<3" "setuptools<82"`; pymc-marketing:
    `pip install pymc-marketing`, which compiles its models with the system C compiler). A peer that
    cannot be installed is reported and left out.
Run from the repository root, after `make develop-release`:
    .venv/bin/python benches/python/bench_clv.py [--customers 10000,100000,1000000] [--tools ...]
Output: a Markdown table on stdout (for docs/benchmarks.md), progress on stderr.

Data (seeded, numpy): `N` customers whose purchases follow a BG/NBD process in days (rate
Gamma(r 0.25, alpha 30 days), dropout after a purchase with probability Beta(0.8, 2.4), first
purchase uniform over two years, observation ending 2023-12-31), as transactions with an amount.
Each tool, in a fresh child process of its own environment, times:
  * summary: transactions -> (frequency, recency, T, monetary_value) in days (lifetimes'
    `summary_data_from_transaction_data`, pymc-marketing's `rfm_summary`, `ciblage.clv.summary`);
  * BG/NBD fit and Pareto/NBD fit on that summary (maximum likelihood; pymc-marketing: MAP with flat
    priors on the four parameters, which is the maximum likelihood too);
  * predictions: P(alive) and expected purchases in the next 30 days for every customer.
The fitted parameters are compared with ciblage's (largest relative difference; lifetimes
should agree to 1e-6 for BG/NBD; pymc-marketing's optimiser stops on its own tolerance).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PEERS = HERE / ".venv-peers"
INSTALL = {
    "lifetimes": ["lifetimes", "pandas<3", "setuptools<82", "numpy"],
    "pymc-marketing": ["pymc-marketing"],
}
TOOLS = ("ciblage", "lifetimes", "pymc-marketing")
#: Short names accepted by --tools.
ALIASES = {"pymc": "pymc-marketing"}
END = "2023-12-31"


def peer_python(tool: str) -> Path:
    return PEERS / tool / "bin" / "python"


def setup() -> None:
    """Creates one virtual environment per peer; reports those that fail."""
    for tool, packages in INSTALL.items():
        env = PEERS / tool
        try:
            if not peer_python(tool).exists():
                subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
            subprocess.run([str(peer_python(tool)), "-m", "pip", "install", "-q", *packages], check=True)
            print(f"{tool}: installed in {env}", file=sys.stderr)
        except (subprocess.CalledProcessError, OSError) as e:
            print(f"{tool}: could not be installed ({e}); the benchmark runs without it", file=sys.stderr)


def generate(customers: int, path: Path, seed: int = 42) -> None:
    """Seeded BG/NBD transactions, saved as .npz (readable by every environment)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    days = 730
    first = rng.integers(0, days, customers)
    lam = rng.gamma(0.25, 1 / 30.0, customers)
    p = rng.beta(0.8, 2.4, customers)
    ids, stamps = [np.arange(customers)], [first.astype(np.float64)]
    t = first.astype(np.float64)
    active = np.ones(customers, dtype=bool)
    while active.any():
        idx = np.flatnonzero(active)
        t[idx] += rng.exponential(1.0, idx.size) / np.maximum(lam[idx], 1e-12)
        ok = t[idx] < days
        buy = idx[ok]
        ids.append(buy)
        stamps.append(t[buy].copy())
        active[idx[~ok]] = False
        active[buy[rng.random(buy.size) < p[buy]]] = False
    customer = np.concatenate(ids)
    day = np.floor(np.concatenate(stamps)).astype(np.int64)
    amount = np.round(rng.lognormal(3.5, 1.0, customer.size), 2)
    np.savez(path, customer=customer, day=day, amount=amount)


def load(path: str):
    import numpy as np
    import pandas as pd

    d = np.load(path)
    ts = pd.Timestamp("2022-01-01") + pd.to_timedelta(d["day"], unit="D")
    return pd.DataFrame({"customer_id": d["customer"], "timestamp": ts, "amount": d["amount"]})


def timed(f):
    start = time.perf_counter()
    out = f()
    return out, time.perf_counter() - start


STEPS = ("summary", "bg_nbd", "pareto_nbd", "predict")


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB (Linux: ru_maxrss in kB)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_plan(df, steps: list[str], plan: dict) -> dict:
    """Runs `plan`'s steps that are in `steps`, in order, each given the state
    the earlier ones left (a step needs the summary: it is computed untimed when
    the summary step itself is not asked for). Returns times, parameters and memory."""
    out: dict = {"input_mb": float(df.memory_usage(deep=True).sum()) / 2**20, "loaded_mb": peak_rss_mb()}
    state: dict = {}
    for name in STEPS:
        if name == "summary" or name in steps:
            _, t = timed(lambda name=name: plan[name](state))
            if name in steps:
                out[name] = t
    out["peak_mb"] = peak_rss_mb()
    out["customers"] = len(state["s"])
    out["rows"] = len(df)
    for key in ("bg_params", "pareto_params"):
        if key in state:
            out[key] = state[key]
    return out


def worker_ciblage(df, steps: list[str]) -> dict:
    from ciblage import clv

    def summary(st):
        st["s"] = clv.summary(df, freq="D", observation_end=END)

    def bg_nbd(st):
        st["bg"] = clv.BgNbd().fit(st["s"])
        st["bg_params"] = [st["bg"].params_[k] for k in ("r", "alpha", "a", "b")]

    def pareto_nbd(st):
        pn = clv.ParetoNbd().fit(st["s"])
        st["pareto_params"] = [pn.params_[k] for k in ("r", "alpha", "s", "beta")]

    def predict(st):
        bg = st.get("bg") or clv.BgNbd().fit(st["s"])
        bg.p_alive(st["s"]), bg.expected_purchases(30.0, st["s"])

    plan = {"summary": summary, "bg_nbd": bg_nbd, "pareto_nbd": pareto_nbd, "predict": predict}
    return run_plan(df, steps, plan)


def worker_lifetimes(df, steps: list[str]) -> dict:
    from lifetimes import BetaGeoFitter, ParetoNBDFitter
    from lifetimes.utils import summary_data_from_transaction_data

    def summary(st):
        st["s"] = summary_data_from_transaction_data(
            df, "customer_id", "timestamp", monetary_value_col="amount", observation_period_end=END, freq="D"
        )

    def frt(st):
        s = st["s"]
        return s["frequency"], s["recency"], s["T"]

    def bg_nbd(st):
        st["bg"] = BetaGeoFitter().fit(*frt(st))
        st["bg_params"] = [float(st["bg"].params_[k]) for k in ("r", "alpha", "a", "b")]

    def pareto_nbd(st):
        pn = ParetoNBDFitter().fit(*frt(st))
        st["pareto_params"] = [float(pn.params_[k]) for k in ("r", "alpha", "s", "beta")]

    def predict(st):
        bg = st.get("bg") or BetaGeoFitter().fit(*frt(st))
        bg.conditional_probability_alive(*frt(st))
        bg.conditional_expected_number_of_purchases_up_to_time(30.0, *frt(st))

    plan = {"summary": summary, "bg_nbd": bg_nbd, "pareto_nbd": pareto_nbd, "predict": predict}
    return run_plan(df, steps, plan)


def worker_pymc(df, steps: list[str]) -> dict:
    """pymc-marketing's MAP fits with flat priors on the four parameters: the
    posterior mode is then the maximum of the likelihood, as ours and
    lifetimes' (its default priors would pull the estimates toward them)."""
    from pymc_extras.prior import Prior
    from pymc_marketing.clv import BetaGeoModel, ParetoNBDModel
    from pymc_marketing.clv.utils import rfm_summary

    bg_names, pn_names = ("r", "alpha", "a", "b"), ("r", "alpha", "s", "beta")

    def summary(st):
        s = rfm_summary(
            df, "customer_id", "timestamp", monetary_value_col="amount", observation_period_end=END, time_unit="D"
        )
        st["s"] = s
        st["data"] = s[["customer_id", "frequency", "recency", "T"]]

    def fit(st, cls, names):
        m = cls(data=st["data"], model_config={k: Prior("HalfFlat") for k in names})
        m.fit(method="map", progressbar=False)
        return m

    def point(m, names):
        # A MAP fit holds one draw of one chain: the mode.
        post = m.fit_result
        return [float(post[k].values.ravel()[0]) for k in names]

    def bg_nbd(st):
        st["bg"] = fit(st, BetaGeoModel, bg_names)
        st["bg_params"] = point(st["bg"], bg_names)

    def pareto_nbd(st):
        st["pareto_params"] = point(fit(st, ParetoNBDModel, pn_names), pn_names)

    def predict(st):
        bg = st.get("bg") or fit(st, BetaGeoModel, bg_names)
        bg.expected_probability_alive(st["data"]), bg.expected_purchases(st["data"], future_t=30)

    plan = {"summary": summary, "bg_nbd": bg_nbd, "pareto_nbd": pareto_nbd, "predict": predict}
    return run_plan(df, steps, plan)


WORKERS = {"ciblage": worker_ciblage, "lifetimes": worker_lifetimes, "pymc-marketing": worker_pymc}


def run_tool(tool: str, data: Path, steps: list[str]) -> dict | None:
    python = sys.executable if tool == "ciblage" else str(peer_python(tool))
    if not Path(python).exists():
        print(f"{tool}: no environment at {PEERS / tool} (run with --setup); left out", file=sys.stderr)
        return None
    cmd = [python, str(Path(__file__).resolve()), "--worker", tool, "--data", str(data), "--steps", ",".join(steps)]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if p.returncode != 0:
        print(f"{tool}: failed (exit {p.returncode}); left out", file=sys.stderr)
        return None
    return json.loads(p.stdout.strip().splitlines()[-1])


def rel_diff(a: list[float], b: list[float]) -> float:
    return max(abs(x - y) / abs(y) for x, y in zip(a, b, strict=True))


def cell(r: dict, step: str) -> str:
    return f"{r[step]:.3f}" if step in r else "–"


def agreement(r: dict, ref: dict | None, tool: str) -> str:
    if tool == "ciblage" or ref is None:
        return ""
    return " / ".join(
        f"{rel_diff(r[k], ref[k]):.1e}" if k in r and k in ref else "–" for k in ("bg_params", "pareto_params")
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--setup", action="store_true", help="create the peers' environments, then exit")
    ap.add_argument("--customers", default="10000,100000,1000000")
    ap.add_argument("--tools", default=",".join(TOOLS), help="comma-separated; pymc is pymc-marketing")
    ap.add_argument("--steps", default=",".join(STEPS), help="comma-separated subset of " + ",".join(STEPS))
    ap.add_argument(
        "--skip",
        default="",
        help="comma-separated tool:step pairs left out (e.g. lifetimes:pareto_nbd, whose fit takes minutes at 1M)",
    )
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    args = ap.parse_args()
    steps = [v for v in args.steps.split(",") if v]
    unknown = set(steps) - set(STEPS)
    if unknown:
        ap.error(f"--steps: unknown {sorted(unknown)}; choose among {STEPS}")
    if args.worker:
        print(json.dumps(WORKERS[args.worker](load(args.data), steps)))
        return
    if args.setup:
        setup()
        return
    skip = {tuple(v.split(":", 1)) for v in args.skip.split(",") if ":" in v}
    rows = []
    with tempfile.TemporaryDirectory(dir=HERE) as tmp:
        for n in (int(v) for v in args.customers.split(",")):
            data = Path(tmp) / f"tx_{n}.npz"
            generate(n, data)
            print(f"{n} customers: data ready", file=sys.stderr)
            tools = [ALIASES.get(t, t) for t in args.tools.split(",")]
            results = {t: run_tool(t, data, [s for s in steps if (t, s) not in skip]) for t in tools}
            ref = results.get("ciblage")
            for tool, r in results.items():
                if r is None:
                    continue
                extra = r["peak_mb"] - r["loaded_mb"]
                rows.append(
                    f"| {n:,} | {r['rows']:,} | {tool} | "
                    + " | ".join(cell(r, s) for s in STEPS)
                    + f" | {r['input_mb']:.0f} | {extra:.0f} | {agreement(r, ref, tool)} |"
                )
    print(
        "| customers | transactions | tool | summary (s) | BG/NBD fit (s) | Pareto/NBD fit (s) | predictions (s) "
        "| input (MB) | memory beyond the loaded input (MB) "
        "| parameters vs ciblage, largest relative difference (BG/NBD / Pareto/NBD) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
