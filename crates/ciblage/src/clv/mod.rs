//! Customer lifetime value: purchase histories from transactions, the
//! probabilistic models of repeat buying (BG/NBD, Pareto/NBD), the
//! Gamma-Gamma spend model and discounted CLV.
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

mod bgnbd;
pub(crate) mod dert;
mod freq;
mod gamma_gamma;
mod histories;
mod likelihood;
mod model;
mod optim;
mod pareto_nbd;
mod pareto_special;
#[cfg(test)]
mod properties;
mod quadrature;
mod special;
mod summary;
#[cfg(test)]
mod tests;
mod value;

pub use bgnbd::{BgNbd, BgNbdModel, BgNbdParams, BgNbdValidParams, BG_NBD_PARAMS};
pub use freq::Freq;
pub use gamma_gamma::{
    GammaGamma, GammaGammaModel, GammaGammaParams, GammaGammaValidParams, PurchaseModel,
    GAMMA_GAMMA_PARAMS,
};
pub use histories::{Histories, Patterns};
pub use model::{ClvInput, FitReport};
pub use optim::Convergence;
pub use pareto_nbd::{
    ParetoNbd, ParetoNbdModel, ParetoNbdParams, ParetoNbdValidParams, PARETO_NBD_PARAMS,
};
pub use summary::{ClvSummary, ClvSummaryParams, ClvSummaryValidParams, Holdout, PurchaseSummary};
pub use value::{
    CustomerValue, CustomerValueParams, CustomerValueValidParams, Discounting, FittedPurchaseModel,
    LifetimeValues, PurchaseModelKind,
};

/// `docs/clv.md`'s Rust example (the CDNOW fit), compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../../../docs/clv.md")]
pub struct ClvDocDoctests;
