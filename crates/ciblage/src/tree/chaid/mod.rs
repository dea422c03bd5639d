//! CHAID: chi-square automatic interaction detection, as specified by SPSS
//! (Kass 1980 merging, Bonferroni adjustment, floating missing category,
//! min parent / child, Exhaustive CHAID of Biggs et al. 1991), with every
//! p-value kept as a logarithm so that nothing underflows at large N.
//!
//! ```
//! use ciblage::tree::chaid::{Chaid, ChaidWeights, Predictor};
//! // C1 of the conformance notes: a 2×2 table [[3, 1], [0, 3]].
//! let x = Predictor::nominal("x", &[Some("1"), Some("1"), Some("1"), Some("1"), Some("2"), Some("2"), Some("2")]);
//! let y = [0, 0, 0, 1, 1, 1, 1];
//! let model = Chaid::classifier()
//!     .min_parent(1.0)
//!     .min_child(1.0)
//!     .check()?
//!     .fit(vec![x], &y, vec!["a".into(), "b".into()], ChaidWeights::default())?;
//! let split = model.nodes()[0].split.as_ref().unwrap();
//! assert!((split.statistic - 3.9375).abs() < 1e-9);
//! assert!((split.ln_p.exp() - 0.0472209).abs() < 1e-6);
//! assert_eq!(model.rule(1), ["x in {1}"]);
//! # Ok::<(), ciblage::CiblageError>(())
//! ```

mod data;
mod export;
mod fit;
mod grow;
mod merge;
mod model;
mod package;
mod params;
mod persist;
mod stats;
mod tables;

pub use data::{Encoder, Predictor, PredictorColumn, PredictorKind, MISSING, UNSEEN};
pub use export::GainsRow;
pub use fit::ChaidWeights;
pub use grow::{MAX_NOMINAL_CATEGORIES, MAX_ORDINAL_CATEGORIES};
pub use model::{ChaidModel, ChaidNode, ChaidSplit, CHAID_MODEL_VERSION};
pub use params::{Chaid, ChaidParams, ChaidPreset, ChaidStatistic, ChaidValidParams, TieRule};

#[cfg(test)]
mod tests;
