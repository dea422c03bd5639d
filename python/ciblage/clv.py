"""Customer lifetime value: purchase histories from transactions, the BG/NBD,
MBG/NBD and Pareto/NBD models of repeat buying, BG/BB for discrete
opportunities, the Gamma-Gamma spend model and discounted CLV, and the
shifted-BG model of contractual retention (see ``docs/clv.md``).

>>> import ciblage
>>> import ciblage.clv as clv
>>> tx = ciblage.datasets.transactions(customers=300, transactions=3_000, library="pandas")
>>> s = clv.summary(tx, freq="W")
>>> model = clv.BgNbd().fit(s)
>>> sorted(model.params_)
['a', 'alpha', 'b', 'r']
>>> bool(((0 <= model.p_alive(s)) & (model.p_alive(s) <= 1)).all())
True
"""

from __future__ import annotations

from ._clv_cov import BgNbdCov, ParetoNbdCov
from ._clv_holdout import HoldoutEvaluation, evaluate_holdout
from ._clv_intervals import Interval
from ._clv_models import BgBb, ShiftedBetaGeo
from ._clv_nbd import BgNbd, GammaGamma, MbgNbd, ParetoNbd
from ._clv_summary import summary
from ._clv_value import CustomerValue, customer_value

__all__ = [
    "summary",
    "evaluate_holdout",
    "HoldoutEvaluation",
    "BgNbd",
    "ParetoNbd",
    "GammaGamma",
    "MbgNbd",
    "BgBb",
    "ShiftedBetaGeo",
    "BgNbdCov",
    "ParetoNbdCov",
    "Interval",
    "customer_value",
    "CustomerValue",
]
