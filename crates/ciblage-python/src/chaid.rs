//! `ciblage._native.chaid_fit` and `ChaidModel`.

use ciblage::tree::chaid::{
    Chaid, ChaidModel, ChaidPreset, ChaidStatistic, ChaidWeights, Encoder, Predictor,
    PredictorColumn, PredictorKind, TieRule, MISSING, UNSEEN,
};
use ciblage::CiblageError;
use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyAny;
use pyo3_arrow::PyTable;

use crate::arrow_out::{self as out, TableBuilder};
use crate::error::{BindError, BindResult};
use crate::run::{guard, run, run_reporting};
use crate::tree_tables::{drawing_rows, gains_table, segments_table, text_decimals, DrawRow};

fn codes_of(a: &[i64]) -> Vec<u32> {
    a.iter()
        .map(|&c| match c {
            -1 => MISSING,
            c if c < 0 => UNSEEN,
            c => c as u32,
        })
        .collect()
}

/// Codes given as uint32 (`MISSING` = missing, as `small_int_codes`
/// returns them) or int64 (−1 missing).
fn codes_from(array: &Bound<'_, PyAny>) -> PyResult<Vec<u32>> {
    if let Ok(a) = array.extract::<PyReadonlyArray1<'_, u32>>() {
        return Ok(a.as_slice()?.to_vec());
    }
    Ok(codes_of(
        array.extract::<PyReadonlyArray1<'_, i64>>()?.as_slice()?,
    ))
}

/// Sorted distinct values of an int64 array and the code of every value,
/// or `None` when the range is too wide for counting (see
/// `ciblage::tree::small_int_codes`).
#[pyfunction]
#[allow(clippy::type_complexity)]
pub fn small_int_codes<'py>(
    py: Python<'py>,
    values: PyReadonlyArray1<'py, i64>,
) -> PyResult<Option<(Bound<'py, PyArray1<i64>>, Bound<'py, PyArray1<u32>>)>> {
    guard(|| -> PyResult<_> {
        let v = values.as_slice()?;
        let coded = run(py, |_| Ok::<_, PyErr>(ciblage::tree::small_int_codes(v)))?;
        Ok(coded.map(|(d, c)| (PyArray1::from_vec(py, d), PyArray1::from_vec(py, c))))
    })
}

/// Per node, the groups of its split as label lists (missing as `None`).
type NodeGroups = Vec<Option<Vec<Vec<Option<String>>>>>;

/// (name, kind, labels, bin edges) of a predictor.
type PredictorInfo = (String, String, Vec<String>, Option<Vec<f64>>);

/// A fitted CHAID tree (see `ciblage.ChaidClassifier`).
#[pyclass(module = "ciblage._native", name = "ChaidModel", frozen)]
pub struct PyChaidModel {
    inner: ChaidModel,
}

/// Grows a CHAID tree. `columns` holds, per predictor, `(name, kind, codes,
/// labels, values)`: codes (int64, −1 = missing) with labels for nominal and
/// ordinal predictors, float64 values for continuous ones.
#[pyfunction]
#[pyo3(signature = (columns, y, classes, *, y_values = None, sample_weight = None, case_weight = None, alpha_merge = None, alpha_split = None,
                    max_depth = None, min_parent = None, min_child = None, exhaustive = false,
                    bonferroni = true, bins = 10, preset = "spss", statistic = "pearson", split_merged = None, progress = None))]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
pub fn chaid_fit(
    py: Python<'_>,
    columns: Vec<(
        String,
        String,
        Option<Bound<'_, PyAny>>,
        Option<Vec<String>>,
        Option<PyReadonlyArray1<'_, f64>>,
    )>,
    y: PyReadonlyArray1<'_, u32>,
    classes: Vec<String>,
    y_values: Option<PyReadonlyArray1<'_, f64>>,
    sample_weight: Option<PyReadonlyArray1<'_, f64>>,
    case_weight: Option<PyReadonlyArray1<'_, f64>>,
    alpha_merge: Option<f64>,
    alpha_split: Option<f64>,
    max_depth: Option<usize>,
    min_parent: Option<f64>,
    min_child: Option<f64>,
    exhaustive: bool,
    bonferroni: bool,
    bins: usize,
    preset: &str,
    statistic: &str,
    split_merged: Option<f64>,
    progress: Option<Bound<'_, PyAny>>,
) -> PyResult<PyChaidModel> {
    guard(|| -> PyResult<_> {
        let statistic = statistic
            .parse::<ChaidStatistic>()
            .map_err(BindError::from)?;
        let weights: Option<Vec<f64>> = sample_weight
            .map(|w| w.as_slice().map(<[f64]>::to_vec))
            .transpose()?;
        // The weights are read while binning, before the fit checks its
        // inputs: checked here first, against the target's length.
        let n_rows = match &y_values {
            Some(v) => v.len()?,
            None => y.len()?,
        };
        ciblage::tree::check_sample_weight(weights.as_deref(), n_rows).map_err(BindError::from)?;
        // Integer columns without labels are coded here, on all threads with
        // the continuous ones; the arrays stay borrowed until then.
        let ints: Vec<Option<PyReadonlyArray1<'_, i64>>> = columns
            .iter()
            .map(|(_, _, codes, labels, _)| match (codes, labels) {
                (Some(c), None) => c.extract().map(Some),
                _ => Ok(None),
            })
            .collect::<PyResult<_>>()?;
        let mut sources = Vec::with_capacity(columns.len());
        for ((name, kind, codes, labels, values), raw) in columns.iter().zip(&ints) {
            let kind = kind.parse::<PredictorKind>().map_err(BindError::from)?;
            let source = match (kind, codes, labels, values, raw) {
                (PredictorKind::Continuous, _, _, Some(v), _) => {
                    PredictorColumn::Values(v.as_slice()?)
                }
                (_, Some(_), None, _, Some(raw)) => PredictorColumn::Ints(raw.as_slice()?),
                (_, Some(c), Some(labels), _, _) => {
                    PredictorColumn::Codes(codes_from(c)?, labels.clone())
                }
                _ => {
                    return Err(BindError::from(CiblageError::param(
                        "columns",
                        format!("{name}: no data"),
                    ))
                    .into())
                }
            };
            sources.push((name.clone(), kind, source));
        }
        let predictors = run(py, |_| {
            Predictor::build_all(sources, weights.as_deref(), bins).map_err(BindError::from)
        })?;
        let preset = preset.parse::<ChaidPreset>().map_err(BindError::from)?;
        // The same options for either task; parameters left unset keep the
        // preset's defaults.
        macro_rules! configured {
            ($base:expr) => {{
                let mut params = $base
                    .preset(preset)
                    .exhaustive(exhaustive)
                    .statistic(statistic)
                    .split_merged(split_merged);
                if let Some(v) = alpha_merge {
                    params = params.alpha_merge(v);
                }
                if let Some(v) = alpha_split {
                    params = params.alpha_split(v);
                }
                if let Some(v) = max_depth {
                    params = params.max_depth(Some(v));
                }
                if let Some(v) = min_parent {
                    params = params.min_parent(v);
                }
                if let Some(v) = min_child {
                    params = params.min_child(v);
                }
                if preset == ChaidPreset::Spss {
                    params = params
                        .bonferroni(bonferroni)
                        .tie_rule(TieRule::LogP { tolerance: 1e-9 });
                }
                params
            }};
        }
        let y = y.as_slice()?;
        let values = y_values.as_ref().map(|v| v.as_slice()).transpose()?;
        let case = case_weight.as_ref().map(|v| v.as_slice()).transpose()?;
        let weights = ChaidWeights {
            frequency: weights.as_deref(),
            case,
        };
        let inner = run_reporting(py, progress.as_ref(), |token| {
            match values {
                Some(v) => configured!(Chaid::regressor())
                    .interrupt(token.clone())
                    .fit(predictors, v, weights),
                None => configured!(Chaid::classifier())
                    .interrupt(token.clone())
                    .fit(predictors, y, classes, weights),
            }
            .map_err(BindError::from)
        })?;
        Ok(PyChaidModel { inner })
    })
}

#[pymethods]
impl PyChaidModel {
    /// Leaf id per row; `columns` per predictor: int64 codes (−1 missing,
    /// −2 unseen) for label-coded predictors, float64 values for binned ones.
    fn apply<'py>(
        &self,
        py: Python<'py>,
        columns: Vec<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyArray1<i64>>> {
        guard(|| -> PyResult<_> {
            let preds = self.inner.predictors();
            if columns.len() != preds.len() {
                return Err(BindError::from(CiblageError::LengthMismatch {
                    argument: "X".into(),
                    expected: preds.len(),
                    got: columns.len(),
                })
                .into());
            }
            let mut coded: Vec<Vec<u32>> = Vec::with_capacity(preds.len());
            for (p, col) in preds.iter().zip(&columns) {
                coded.push(match &p.encoder {
                    Encoder::Bins(_) => {
                        let v: PyReadonlyArray1<'_, f64> = col.extract()?;
                        v.as_slice()?.iter().map(|&x| p.encode_value(x)).collect()
                    }
                    _ => {
                        let c: PyReadonlyArray1<'_, i64> = col.extract()?;
                        codes_of(c.as_slice()?)
                    }
                });
            }
            let n = coded.first().map_or(0, Vec::len);
            if let Some((k, c)) = coded.iter().enumerate().find(|(_, c)| c.len() != n) {
                return Err(BindError::from(CiblageError::LengthMismatch {
                    argument: format!("X column {:?}", preds[k].name),
                    expected: n,
                    got: c.len(),
                })
                .into());
            }
            let mut row = vec![0u32; preds.len()];
            let leaves: Vec<i64> = (0..n)
                .map(|i| {
                    for (k, c) in coded.iter().enumerate() {
                        row[k] = c[i];
                    }
                    self.inner.apply_codes(&row) as i64
                })
                .collect();
            Ok(PyArray1::from_vec(py, leaves))
        })
    }

    /// Class probabilities of every node (rows = node ids).
    fn node_proba(&self) -> PyResult<Vec<Vec<f64>>> {
        guard(|| {
            Ok::<_, PyErr>(
                (0..self.inner.nodes().len())
                    .map(|i| self.inner.proba(i))
                    .collect(),
            )
        })
    }

    /// Mean target of every node (continuous targets).
    fn node_mean(&self) -> PyResult<Vec<f64>> {
        guard(|| {
            Ok::<_, PyErr>(
                (0..self.inner.nodes().len())
                    .map(|i| self.inner.mean(i))
                    .collect(),
            )
        })
    }

    /// Predicted class index of every node.
    fn node_class(&self) -> PyResult<Vec<usize>> {
        guard(|| {
            Ok::<_, PyErr>(
                (0..self.inner.nodes().len())
                    .map(|i| self.inner.class_of(i))
                    .collect(),
            )
        })
    }

    /// One row per node: id, parent, depth, n, split predictor, groups,
    /// statistic, df, p, adjusted p, stop reason, rule (text and SQL).
    fn nodes(&self) -> PyResult<PyTable> {
        guard(|| -> PyResult<_> {
            let nodes = self.inner.nodes();
            let preds = self.inner.predictors();
            let mut t = TableBuilder::default();
            t.push("node", out::i64_array(nodes.iter().map(|n| n.id as i64)));
            t.push(
                "parent",
                out::opt_i64_array(nodes.iter().map(|n| n.parent.map(|p| p as i64))),
            );
            t.push(
                "depth",
                out::i64_array(nodes.iter().map(|n| n.depth as i64)),
            );
            t.push(
                "n",
                out::f64_array(&nodes.iter().map(|n| n.n).collect::<Vec<_>>()),
            );
            let split_name: Vec<String> = nodes
                .iter()
                .map(|n| {
                    n.split
                        .as_ref()
                        .map_or(String::new(), |s| preds[s.predictor].name.clone())
                })
                .collect();
            t.push(
                "split",
                out::strings_from(split_name.iter().map(String::as_str)),
            );
            let opt = |f: fn(&ciblage::tree::chaid::ChaidSplit) -> f64| {
                out::opt_f64_array(nodes.iter().map(move |n| n.split.as_ref().map(f)))
            };
            t.push("statistic", opt(|s| s.statistic));
            t.push("df", opt(|s| s.df));
            t.push("p", opt(|s| s.ln_p.exp()));
            t.push("ln_p", opt(|s| s.ln_p));
            t.push("p_adjusted", opt(|s| s.ln_p_adjusted.exp()));
            t.push("ln_p_adjusted", opt(|s| s.ln_p_adjusted));
            let stops: Vec<String> = nodes
                .iter()
                .map(|n| n.stop.clone().unwrap_or_default())
                .collect();
            t.push("stop", out::strings_from(stops.iter().map(String::as_str)));
            let rules = self.inner.rules();
            t.push("rule", out::strings_from(rules.iter().map(String::as_str)));
            let sql = self.inner.sql_rules();
            t.push("sql", out::strings_from(sql.iter().map(String::as_str)));
            t.into_py_table()
        })
    }

    /// Groups of each split, as label lists (missing as `None`), per node.
    fn groups(&self) -> PyResult<NodeGroups> {
        guard(|| {
            Ok::<_, PyErr>({
                let preds = self.inner.predictors();
                self.inner
                    .nodes()
                    .iter()
                    .map(|n| {
                        n.split.as_ref().map(|s| {
                            s.groups
                                .iter()
                                .map(|g| {
                                    g.iter()
                                        .map(|&c| {
                                            (c != MISSING).then(|| {
                                                preds[s.predictor].labels[c as usize].clone()
                                            })
                                        })
                                        .collect()
                                })
                                .collect()
                        })
                    })
                    .collect()
            })
        })
    }

    /// Per predictor: (name, kind, labels, bin edges if binned).
    fn predictors(&self) -> PyResult<Vec<PredictorInfo>> {
        guard(|| {
            Ok::<_, PyErr>(
                self.inner
                    .predictors()
                    .iter()
                    .map(|p| {
                        let kind = p.kind.name();
                        let edges = match &p.encoder {
                            Encoder::Bins(e) => Some(e.clone()),
                            _ => None,
                        };
                        (p.name.clone(), kind.to_owned(), p.labels.clone(), edges)
                    })
                    .collect(),
            )
        })
    }

    /// Gains table for class index `target` (leaves by response rate).
    fn gains(&self, target: usize) -> PyResult<PyTable> {
        guard(|| -> PyResult<_> {
            gains_table(&self.inner.gains(target).map_err(BindError::from)?)
        })
    }

    /// One row per leaf: node, rule, n, share, and per class (named by
    /// `class_names`; none for a regression tree) its share and lift, or
    /// the mean and its ratio to the root's.
    fn segments(&self, class_names: Vec<String>) -> PyResult<PyTable> {
        guard(|| -> PyResult<_> {
            let k = self.inner.classes().len();
            if class_names.len() != k {
                return Err(BindError::from(CiblageError::param(
                    "class_names",
                    format!("{} names for {k} classes", class_names.len()),
                ))
                .into());
            }
            segments_table(&class_names, "mean", false, |o, order| {
                self.inner.leaf_table(o, order)
            })
        })
    }

    /// The tree as indented text (scikit-learn's `export_text` layout),
    /// leaves' classes named by `class_names` (the model's own if empty).
    #[pyo3(signature = (class_names, decimals = 2))]
    fn to_text(&self, class_names: Vec<String>, decimals: usize) -> PyResult<String> {
        guard(|| -> PyResult<_> { Ok(self.inner.to_text(&class_names, text_decimals(decimals)?)) })
    }

    /// The tree in Graphviz DOT.
    fn to_dot(&self) -> PyResult<String> {
        guard(|| Ok::<_, PyErr>(self.inner.to_dot()))
    }

    /// The drawing's nodes: (id, parent, depth, cases, class counts, label
    /// lines, edge label).
    fn drawing(&self) -> PyResult<Vec<DrawRow>> {
        guard(|| Ok::<_, PyErr>(drawing_rows(self.inner.drawing())))
    }

    /// Class labels.
    #[getter]
    fn classes(&self) -> Vec<String> {
        self.inner.classes().to_vec()
    }

    /// The model as versioned JSON.
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

    /// Reads a model written by `to_json` (`str`, or `bytes` of UTF-8).
    #[staticmethod]
    fn from_json(text: &Bound<'_, PyAny>) -> PyResult<Self> {
        guard(|| -> BindResult<_> {
            Ok(Self {
                inner: ChaidModel::from_json(&crate::cart::model_json(text, "CHAID model")?)?,
            })
        })
    }
}
