//! CART: binary classification and regression trees grown by exact best
//! splits and pruned by minimal cost complexity, reproducing scikit-learn's
//! `DecisionTreeClassifier`/`DecisionTreeRegressor` (same thresholds,
//! impurities and node order).
//!
//! ```
//! use ciblage::tree::cart::Cart;
//! use ndarray::array;
//! let x = array![[0.0], [1.0], [2.0], [3.0]];
//! let tree = Cart::classifier().check()?.fit(x.view(), &[0, 0, 1, 1], 2, None)?;
//! assert_eq!(tree.node_count(), 3);
//! assert_eq!(tree.threshold[0], 1.5);
//! assert_eq!(tree.apply(x.view())?, [1, 1, 2, 2]);
//! # Ok::<(), ciblage::CiblageError>(())
//! ```

mod cv;
mod exact;
mod export;
mod fit;
mod growth;
mod hist;
mod monotonic_cst;
mod multi;
mod params;
mod persist;
mod predict;
mod random;
mod shared;
mod sparse;
mod tree;
mod values;

pub use cv::{
    CartCv, CartCvParams, CartCvValidParams, CostComplexityCv, CvClassWeight, CvFit, CvTarget,
    CvTree, FoldOrder,
};
pub use params::{Cart, CartCriterion, CartParams, CartSplitter, CartValidParams};
pub use sparse::{CscView, CsrView, Features, SparseIndex};
pub use tree::{CartModel, CategorySplit, CART_MODEL_VERSION, LEAF};
pub use values::NodeValues;

#[cfg(test)]
mod categorical_tests;
#[cfg(test)]
mod monotonic_tests;
#[cfg(test)]
mod tests;
