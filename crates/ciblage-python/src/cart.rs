//! `ciblage._native.cart_fit` and `CartTree`.

use ciblage::tree::cart::{Cart, CartCriterion, CartModel, CartParams, CartSplitter};
use ciblage::tree::TreeTask;
use ciblage::tree::{LeafOrder, Outcome};
use ciblage::CiblageError;
use numpy::{PyArray1, PyArray3, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3_arrow::PyTable;

use crate::cart_arrays::{features, frozen, intp, Features};
use crate::cart_outputs::fit_outputs;
use crate::error::{BindError, BindResult};
use crate::run::{guard, run_reporting};
use crate::tree_tables::{drawing_rows, gains_table, segments_table, text_decimals, DrawRow};

/// (indptr, indices) of a CSR indicator matrix.
type CsrArrays<'py> = (Bound<'py, PyArray1<i64>>, Bound<'py, PyArray1<i64>>);

/// Per node, the categories going left and right of a categorical split.
type NodeCategories = Vec<Option<(Vec<u32>, Vec<u32>)>>;

/// A fitted CART tree (see `ciblage.CartClassifier` / `CartRegressor`).
#[pyclass(module = "ciblage._native", name = "CartTree", frozen)]
pub struct PyCartTree {
    inner: CartModel,
}

/// Fits a tree. `y_codes` + `n_classes` for classification, `y_values` for
/// regression; `seed` is scikit-learn's internal seed for `random_state`.
#[pyfunction]
#[pyo3(signature = (x, *, y_codes = None, n_classes = 0, y_values = None, sample_weight = None,
                    y_output_codes = None, output_classes = Vec::new(), y_output_values = None,
                    criterion = "gini", max_depth = None, min_samples_split = 2, min_samples_leaf = 1,
                    min_weight_fraction_leaf = 0.0, min_impurity_decrease = 0.0, max_features = None,
                    max_leaf_nodes = None, splitter = "best", max_bins = 255, n_threads = None,
                    categorical_features = Vec::new(), monotonic_cst = None, seed = 1,
                    progress = None))]
#[allow(clippy::too_many_arguments)]
pub fn cart_fit(
    py: Python<'_>,
    x: Features<'_>,
    y_codes: Option<PyReadonlyArray1<'_, u32>>,
    n_classes: usize,
    y_values: Option<PyReadonlyArray1<'_, f64>>,
    sample_weight: Option<PyReadonlyArray1<'_, f64>>,
    y_output_codes: Option<PyReadonlyArray2<'_, u32>>,
    output_classes: Vec<usize>,
    y_output_values: Option<PyReadonlyArray2<'_, f64>>,
    criterion: &str,
    max_depth: Option<usize>,
    min_samples_split: usize,
    min_samples_leaf: usize,
    min_weight_fraction_leaf: f64,
    min_impurity_decrease: f64,
    max_features: Option<usize>,
    max_leaf_nodes: Option<usize>,
    splitter: &str,
    max_bins: u16,
    n_threads: Option<usize>,
    categorical_features: Vec<usize>,
    monotonic_cst: Option<Vec<i8>>,
    seed: u32,
    progress: Option<Bound<'_, PyAny>>,
) -> PyResult<PyCartTree> {
    guard(|| -> PyResult<_> {
        let options = CartOptions {
            criterion: criterion.parse().map_err(BindError::from)?,
            splitter: splitter
                .parse::<CartSplitter>()
                .map_err(BindError::from)?
                .with_max_bins(max_bins),
            max_depth,
            min_weight_fraction_leaf,
            min_impurity_decrease,
            max_features,
            max_leaf_nodes,
            n_threads,
            categorical_features,
            monotonic_cst,
        };
        let w = sample_weight.as_ref().map(|w| w.as_slice()).transpose()?;
        let inner = x.with_core(|xv| match (&y_codes, &y_values) {
            _ if y_output_codes.is_some() || y_output_values.is_some() => fit_outputs(
                py,
                (
                    options
                        .apply(Cart::classifier())
                        .min_samples_split(min_samples_split)
                        .min_samples_leaf(min_samples_leaf)
                        .seed(seed),
                    options
                        .apply(Cart::regressor())
                        .min_samples_split(min_samples_split)
                        .min_samples_leaf(min_samples_leaf)
                        .seed(seed),
                ),
                xv,
                (
                    y_output_codes.as_ref(),
                    &output_classes,
                    y_output_values.as_ref(),
                ),
                w,
                progress.as_ref(),
            ),
            (Some(c), _) => {
                let params = options
                    .apply(Cart::classifier())
                    .min_samples_split(min_samples_split)
                    .min_samples_leaf(min_samples_leaf)
                    .seed(seed);
                // Validated now, and again with the call's token inside `run`.
                params.clone().check().map_err(BindError::from)?;
                let c = c.as_slice()?;
                run_reporting(py, progress.as_ref(), |token| {
                    params
                        .interrupt(token.clone())
                        .fit(xv, c, n_classes, w)
                        .map_err(BindError::from)
                })
            }
            (_, Some(v)) => {
                let params = options
                    .apply(Cart::regressor())
                    .min_samples_split(min_samples_split)
                    .min_samples_leaf(min_samples_leaf)
                    .seed(seed);
                params.clone().check().map_err(BindError::from)?;
                let v = v.as_slice()?;
                run_reporting(py, progress.as_ref(), |token| {
                    params
                        .interrupt(token.clone())
                        .fit(xv, v, w)
                        .map_err(BindError::from)
                })
            }
            _ => Err(BindError::from(CiblageError::param("y", "no target given")).into()),
        })?;
        Ok(PyCartTree { inner })
    })
}

/// The options a CART fit and its cross-validation share, parsed once and
/// given to a classifier's or a regressor's builder alike.
pub(crate) struct CartOptions {
    pub(crate) criterion: CartCriterion,
    pub(crate) splitter: CartSplitter,
    pub(crate) max_depth: Option<usize>,
    pub(crate) min_weight_fraction_leaf: f64,
    pub(crate) min_impurity_decrease: f64,
    pub(crate) max_features: Option<usize>,
    pub(crate) max_leaf_nodes: Option<usize>,
    pub(crate) n_threads: Option<usize>,
    pub(crate) categorical_features: Vec<usize>,
    /// Monotonic constraints, one per feature (`None`: none).
    pub(crate) monotonic_cst: Option<Vec<i8>>,
}

impl CartOptions {
    /// `params` with these options set.
    pub(crate) fn apply<T: TreeTask>(&self, params: CartParams<T>) -> CartParams<T> {
        params
            .criterion(self.criterion)
            .splitter(self.splitter)
            .max_depth(self.max_depth)
            .min_weight_fraction_leaf(self.min_weight_fraction_leaf)
            .min_impurity_decrease(self.min_impurity_decrease)
            .max_features(self.max_features)
            .max_leaf_nodes(self.max_leaf_nodes)
            .n_threads(self.n_threads)
            .categorical_features(self.categorical_features.clone())
            .monotonic_cst(self.monotonic_cst.clone())
    }
}

/// The text of a saved model: a `str`, or `bytes` of UTF-8; anything else
/// (or text that cannot be UTF-8) is a model-file error naming `what`.
pub(crate) fn model_json(text: &Bound<'_, PyAny>, what: &'static str) -> BindResult<String> {
    let bad = |reason: String| BindError::from(CiblageError::InvalidModelFile { what, reason });
    if let Ok(s) = text.cast::<pyo3::types::PyString>() {
        return s
            .to_str()
            .map(str::to_owned)
            .map_err(|_| bad("the text is not valid UTF-8 (lone surrogates)".into()));
    }
    if let Ok(b) = text.cast::<pyo3::types::PyBytes>() {
        return std::str::from_utf8(b.as_bytes())
            .map(str::to_owned)
            .map_err(|e| bad(format!("the bytes are not UTF-8 ({e})")));
    }
    let kind = text
        .get_type()
        .name()
        .map_or_else(|_| "?".to_owned(), |n| n.to_string());
    Err(bad(format!(
        "expected the JSON text (str or bytes), got {kind}"
    )))
}

impl PyCartTree {
    /// Feature names given to an export: none (`feature_<i>`), or one per
    /// feature.
    fn names(&self, feature_names: Vec<String>) -> BindResult<Vec<String>> {
        let d = self.inner.n_features;
        if feature_names.is_empty() || feature_names.len() == d {
            return Ok(feature_names);
        }
        Err(CiblageError::param(
            "feature_names",
            format!("{} names for {d} features", feature_names.len()),
        )
        .into())
    }
}

#[pymethods]
impl PyCartTree {
    /// Leaf id per row.
    fn apply<'py>(
        &self,
        py: Python<'py>,
        x: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArray1<i64>>> {
        let x = features(x)?;
        guard(|| {
            x.with_core(|x| {
                let leaves = self.inner.apply(x).map_err(BindError::from)?;
                Ok(PyArray1::from_vec(
                    py,
                    leaves.into_iter().map(|l| l as i64).collect(),
                ))
            })
        })
    }

    /// Nodes each row passes through: a `scipy.sparse.csr_matrix` indicator
    /// (rows × nodes), as scikit-learn's `Tree.decision_path`, built by
    /// `ciblage._cart_state.decision_path_matrix` (an `ImportError` naming
    /// scipy without it).
    fn decision_path<'py>(
        &self,
        py: Python<'py>,
        x: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let x = features(x)?;
        let (n_rows, (indptr, indices)): (usize, CsrArrays<'py>) = guard(|| {
            x.with_core(|x| {
                let (indptr, indices) = self.inner.decision_path(x).map_err(BindError::from)?;
                let as_i64 = |v: Vec<usize>| v.into_iter().map(|i| i as i64).collect::<Vec<_>>();
                Ok((
                    indptr.len() - 1,
                    (
                        PyArray1::from_vec(py, as_i64(indptr)),
                        PyArray1::from_vec(py, as_i64(indices)),
                    ),
                ))
            })
        })?;
        py.import("ciblage._cart_state")?.call_method1(
            "decision_path_matrix",
            (indptr, indices, (n_rows, self.inner.node_count())),
        )
    }

    /// The tree in Graphviz DOT.
    fn to_dot(&self, feature_names: Vec<String>, class_names: Vec<String>) -> PyResult<String> {
        guard(|| -> BindResult<_> {
            self.inner
                .check_single_output("export_graphviz")
                .map_err(BindError::from)?;
            let names = self.names(feature_names)?;
            Ok(self.inner.to_dot(&names, &class_names))
        })
    }

    /// The drawing's nodes: (id, parent, depth, samples, class weights,
    /// label lines, edge label).
    fn drawing(
        &self,
        feature_names: Vec<String>,
        class_names: Vec<String>,
    ) -> PyResult<Vec<DrawRow>> {
        guard(|| -> BindResult<_> {
            self.inner
                .check_single_output("drawing")
                .map_err(BindError::from)?;
            let names = self.names(feature_names)?;
            Ok(drawing_rows(self.inner.drawing(&names, &class_names)))
        })
    }

    /// Readable path of every node.
    fn rules(&self, feature_names: Vec<String>) -> PyResult<Vec<String>> {
        guard(|| -> BindResult<_> {
            let names = self.names(feature_names)?;
            Ok(self.inner.rules(&names))
        })
    }

    /// Gains table for class index `target` (leaves by response rate), as
    /// CHAID's.
    fn gains(&self, feature_names: Vec<String>, target: usize) -> PyResult<PyTable> {
        guard(|| -> PyResult<_> {
            self.inner
                .check_single_output("gains")
                .map_err(BindError::from)?;
            let names = self.names(feature_names)?;
            let rows = self
                .inner
                .leaf_table(&names, Outcome::Class(target), LeafOrder::Response)
                .map_err(BindError::from)?;
            gains_table(&rows)
        })
    }

    /// One row per leaf: node, rule, n, share, and per class (named by
    /// `class_names`; none for a regression tree) its share and lift, or
    /// the leaf value and its ratio to the root's.
    fn segments(&self, feature_names: Vec<String>, class_names: Vec<String>) -> PyResult<PyTable> {
        guard(|| -> PyResult<_> {
            self.inner
                .check_single_output("segments")
                .map_err(BindError::from)?;
            let names = self.names(feature_names)?;
            if !class_names.is_empty() && class_names.len() != self.inner.n_classes {
                return Err(BindError::from(CiblageError::param(
                    "class_names",
                    format!(
                        "{} names for {} classes",
                        class_names.len(),
                        self.inner.n_classes
                    ),
                ))
                .into());
            }
            segments_table(&class_names, self.inner.value_name(), true, |o, order| {
                self.inner.leaf_table(&names, o, order)
            })
        })
    }

    /// Node values, shaped (nodes, outputs, classes) as scikit-learn's
    /// `tree_.value` (class shares, or the regression value); read-only.
    #[getter]
    fn value<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray3<f64>>> {
        let v = &self.inner.value;
        let k = self.inner.n_outputs();
        let a = PyArray1::from_slice(py, v.as_flat()).reshape([v.len(), k, v.width() / k])?;
        a.getattr("flags")?.setattr("writeable", false)?;
        Ok(a)
    }

    /// Number of features the tree was grown on.
    #[getter]
    fn n_features(&self) -> usize {
        self.inner.n_features
    }

    /// Number of outputs (columns of the `y` fitted).
    #[getter]
    fn n_outputs(&self) -> usize {
        self.inner.n_outputs()
    }

    /// Number of classes per output (1 per output for regression).
    #[getter]
    fn n_classes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray1<isize>>> {
        let per_output = if self.inner.output_classes.is_empty() {
            vec![self.inner.value.width() as isize]
        } else {
            self.inner
                .output_classes
                .iter()
                .map(|&c| c as isize)
                .collect()
        };
        frozen(py, per_output)
    }

    /// Largest number of classes of an output (1 for regression).
    #[getter]
    fn max_n_classes(&self) -> usize {
        self.inner.value.width() / self.inner.n_outputs()
    }

    #[getter]
    fn node_count(&self) -> usize {
        self.inner.node_count()
    }
    #[getter]
    fn n_leaves(&self) -> PyResult<usize> {
        guard(|| Ok::<_, PyErr>(self.inner.n_leaves()))
    }
    #[getter]
    fn max_depth(&self) -> PyResult<usize> {
        guard(|| Ok::<_, PyErr>(self.inner.max_depth()))
    }
    /// Left child of every node (`-1`, scikit-learn's TREE_LEAF, for leaves); numpy intp, read-only.
    #[getter]
    fn children_left<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray1<isize>>> {
        frozen(py, intp(&self.inner.children_left))
    }
    /// Right child of every node (`-1` for leaves); numpy intp, read-only.
    #[getter]
    fn children_right<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray1<isize>>> {
        frozen(py, intp(&self.inner.children_right))
    }
    /// Feature split at every node (`-2`, scikit-learn's TREE_UNDEFINED, for leaves); numpy intp, read-only.
    #[getter]
    fn feature<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray1<isize>>> {
        // Leaves split no feature: scikit-learn's TREE_UNDEFINED (-2).
        let feature = (self.inner.feature.iter().zip(&self.inner.children_left))
            .map(|(&f, &left)| {
                if left == ciblage::tree::cart::LEAF {
                    -2
                } else {
                    f as isize
                }
            })
            .collect();
        frozen(py, feature)
    }
    /// Per node, the categories going left and right of a categorical
    /// split (`None` otherwise).
    #[getter]
    fn categories(&self) -> PyResult<NodeCategories> {
        guard(|| {
            Ok::<_, PyErr>(
                (0..self.inner.node_count())
                    .map(|i| self.inner.categories.get(i).cloned().flatten().map(|c| *c))
                    .collect(),
            )
        })
    }

    /// Per node, whether rows missing the split feature go left.
    #[getter]
    fn missing_go_to_left(&self) -> PyResult<Vec<bool>> {
        guard(|| {
            Ok::<_, PyErr>(
                (0..self.inner.node_count())
                    .map(|i| {
                        self.inner.children_left[i] != ciblage::tree::cart::LEAF
                            && self.inner.goes_left_if_missing(i)
                    })
                    .collect(),
            )
        })
    }

    /// Threshold of every split (`-2.0` for leaves); float64, read-only.
    #[getter]
    fn threshold<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray1<f64>>> {
        frozen(py, self.inner.threshold.clone())
    }
    /// Impurity of every node; float64, read-only.
    #[getter]
    fn impurity<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray1<f64>>> {
        frozen(py, self.inner.impurity.clone())
    }
    /// Training rows reaching every node; numpy intp, read-only.
    #[getter]
    fn n_node_samples<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray1<isize>>> {
        frozen(
            py,
            self.inner
                .n_node_samples
                .iter()
                .map(|&n| n as isize)
                .collect(),
        )
    }
    /// Total sample weight reaching every node; float64, read-only.
    #[getter]
    fn weighted_n_node_samples<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray1<f64>>> {
        frozen(py, self.inner.weighted_n_node_samples.clone())
    }

    /// Normalized impurity decrease per feature.
    fn feature_importances(&self) -> PyResult<Vec<f64>> {
        guard(|| Ok::<_, PyErr>(self.inner.feature_importances()))
    }

    /// (ccp_alphas, impurities).
    fn cost_complexity_pruning_path(&self) -> PyResult<(Vec<f64>, Vec<f64>)> {
        guard(|| Ok::<_, PyErr>(self.inner.cost_complexity_pruning_path()))
    }

    /// The same tree with the names of each feature's categories (empty
    /// lists for numeric features), used in rules.
    fn with_category_names(&self, names: Vec<Vec<String>>) -> PyResult<Self> {
        guard(|| -> BindResult<_> {
            if !names.is_empty() && names.len() != self.inner.n_features {
                return Err(CiblageError::param(
                    "names",
                    format!(
                        "{} lists for {} features",
                        names.len(),
                        self.inner.n_features
                    ),
                )
                .into());
            }
            let mut inner = self.inner.clone();
            inner.category_names = names;
            Ok(Self { inner })
        })
    }

    /// The tree pruned at `ccp_alpha`.
    fn pruned(&self, ccp_alpha: f64) -> PyResult<Self> {
        guard(|| -> BindResult<_> {
            if ccp_alpha.is_nan() || ccp_alpha < 0.0 {
                return Err(CiblageError::param(
                    "ccp_alpha",
                    format!("expected a number >= 0, got {ccp_alpha}"),
                )
                .into());
            }
            Ok(Self {
                inner: self.inner.pruned(ccp_alpha),
            })
        })
    }

    /// The tree as text (scikit-learn's `export_text` layout).
    #[pyo3(signature = (feature_names, class_names, decimals = 2))]
    fn to_text(
        &self,
        feature_names: Vec<String>,
        class_names: Vec<String>,
        decimals: usize,
    ) -> PyResult<String> {
        guard(|| -> PyResult<_> {
            self.inner
                .check_single_output("export_text")
                .map_err(BindError::from)?;
            let decimals = text_decimals(decimals)?;
            let names = self.names(feature_names)?;
            Ok(self.inner.to_text(&names, &class_names, decimals))
        })
    }

    /// SQL WHERE condition of every node.
    fn sql_rules(&self, feature_names: Vec<String>) -> PyResult<Vec<String>> {
        guard(|| -> BindResult<_> {
            let names = self.names(feature_names)?;
            Ok(self.inner.sql_rules(&names))
        })
    }

    /// The tree as versioned JSON.
    fn to_json(&self) -> PyResult<String> {
        guard(|| Ok::<_, PyErr>(self.inner.to_json()))
    }

    /// Pickles through the JSON form: unpickling goes through `from_json`
    /// and its validation.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, pyo3::types::PyAny>, (String,))> {
        guard(|| -> PyResult<_> {
            let from_json = slf.get_type().getattr("from_json")?;
            Ok((from_json, (slf.get().inner.to_json(),)))
        })
    }

    /// Reads a tree written by `to_json` (`str`, or `bytes` of UTF-8).
    #[staticmethod]
    fn from_json(text: &Bound<'_, PyAny>) -> PyResult<Self> {
        guard(|| -> BindResult<_> {
            Ok(Self {
                inner: CartModel::from_json(&model_json(text, "CART model")?)?,
            })
        })
    }
}
