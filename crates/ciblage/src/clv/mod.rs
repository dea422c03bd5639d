//! Customer lifetime value: purchase histories from transactions, the
//! probabilistic models of repeat buying (BG/NBD, MBG/NBD, Pareto/NBD;
//! BG/BB for discrete opportunities), the Gamma-Gamma spend model,
//! discounted CLV, and the shifted-BG model of contractual retention.
//!
//! ```
//! use ciblage::clv::{BgNbd, ClvSummary, Freq};
//! use ciblage::SyntheticTransactions;
//!
//! let tx = SyntheticTransactions::params().customers(500).transactions(3_000).generate()?.to_transactions()?;
//! let summary = ClvSummary::params().freq(Freq::Week).score(&tx)?;
//! let model = BgNbd::params().fit(&summary)?;
//! let [r, alpha, a, b] = model.params();
//! assert!(r > 0.0 && alpha > 0.0 && a > 0.0 && b > 0.0);
//! let next_quarter = model.expected_purchases(13.0, &summary);
//! assert_eq!(next_quarter.len(), summary.len());
//! # Ok::<(), ciblage::CiblageError>(())
//! ```

mod bgbb;
mod bgbb_data;
mod bgnbd;
mod covariates;
pub(crate) mod dert;
mod fit_params;
mod freq;
mod gamma_gamma;
mod histories;
mod holdout;
mod intervals;
mod likelihood;
mod linalg;
mod mbgnbd;
mod model;
mod optim;
mod pareto_likelihood;
mod pareto_nbd;
mod pareto_special;
#[cfg(test)]
mod properties;
#[cfg(test)]
mod properties_pareto;
mod quadrature;
mod sbg;
mod sbg_data;
mod special;
mod summary;
mod summary_customers;
mod summary_group;
mod summary_rows;
mod summary_scan;
#[cfg(test)]
mod tests;
mod value;
mod value_choices;

pub use bgbb::{BgBb, BgBbModel, BgBbParams, BgBbValidParams, BG_BB_PARAMS};
pub use bgbb_data::{BgBbHistories, BgBbInput, MAX_OPPORTUNITIES};
pub use bgnbd::{BgNbd, BgNbdModel, BgNbdParams, BgNbdValidParams, BG_NBD_PARAMS};
pub use covariates::{
    BoundCovariates, ClvCovariates, CovariateClv, CovariateClvModel, CovariateClvParams,
    CovariateClvValidParams, CovariateKind, CustomerModel,
};
pub use freq::Freq;
pub use gamma_gamma::{
    GammaGamma, GammaGammaModel, GammaGammaParams, GammaGammaValidParams, PurchaseModel,
    GAMMA_GAMMA_PARAMS,
};
pub use histories::{Histories, Patterns};
pub use holdout::{
    FrequencyBin, HoldoutDiagnostics, HoldoutEvaluation, HoldoutEvaluationParams,
    HoldoutEvaluationValidParams, HoldoutMetrics, TrackingSeries,
};
pub use mbgnbd::{MbgNbd, MbgNbdModel, MbgNbdParams, MbgNbdValidParams, MBG_NBD_PARAMS};

pub use intervals::{
    block_diagonal, Bootstrap, BootstrapParams, BootstrapValidParams, Intervals, Perturb,
};
pub use model::{ClvInput, FitReport};
pub use optim::Convergence;
pub use pareto_nbd::{
    ParetoNbd, ParetoNbdModel, ParetoNbdParams, ParetoNbdValidParams, PARETO_NBD_PARAMS,
};
pub use sbg::{
    ShiftedBetaGeo, ShiftedBetaGeoModel, ShiftedBetaGeoParams, ShiftedBetaGeoValidParams,
    SurvivalCounts, SurvivalInput, SHIFTED_BETA_GEO_PARAMS,
};
pub use summary::{
    ClvSummary, ClvSummaryParams, ClvSummaryValidParams, Holdout, PurchaseSummary, SummaryColumns,
};
pub use summary_scan::{SummaryBatches, SummaryInput};
pub use value::{CustomerValue, CustomerValueParams, CustomerValueValidParams, LifetimeValues};
pub use value_choices::{Discounting, FittedPurchaseModel, PurchaseModelKind};

/// `docs/clv.md`'s Rust example (the CDNOW fit), compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../../../docs/clv.md")]
pub struct ClvDocDoctests;
