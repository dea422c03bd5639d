//! The rows of a k-prototypes fit, checked and recoded, and the
//! prototypes of a run.

use std::collections::HashSet;

use ndarray::ArrayView2;

use crate::cluster::kprototypes::{KPrototypesInit, KPrototypesValidParams};
use crate::error::{CiblageError, Result};

/// A categorical prototype value found in no row.
pub(crate) const UNSEEN: u32 = u32::MAX;

/// The rows, checked, with categories recoded per feature to `0..levels`
/// (in the order of their codes, so that the smallest-code tie rule holds).
pub(crate) struct Data {
    pub(crate) n: usize,
    pub(crate) p: usize,
    pub(crate) q: usize,
    /// Numeric features, row-major (n × p).
    pub(crate) num: Vec<f64>,
    /// Recoded categories, row-major (n × q).
    pub(crate) cat: Vec<u32>,
    /// Per categorical feature, the codes in ascending order.
    pub(crate) codes: Vec<Vec<u32>>,
    pub(crate) weights: Vec<f64>,
    pub(crate) gamma: f64,
}

impl Data {
    /// Checks and recodes the input.
    pub(crate) fn new(
        numeric: ArrayView2<'_, f64>,
        categorical: ArrayView2<'_, u32>,
        weights: Option<&[f64]>,
        params: &KPrototypesValidParams,
    ) -> Result<Self> {
        let n = categorical.nrows();
        if n == 0 {
            return Err(CiblageError::EmptyInput {
                argument: "categorical".into(),
            });
        }
        if numeric.nrows() != n {
            return Err(CiblageError::LengthMismatch {
                argument: "numeric".into(),
                expected: n,
                got: numeric.nrows(),
            });
        }
        let (p, q) = (numeric.ncols(), categorical.ncols());
        let num: Vec<f64> = numeric.iter().copied().collect();
        if let Some(i) = num.iter().position(|v| !v.is_finite()) {
            return Err(CiblageError::NonFinite {
                argument: "numeric".into(),
                row: i / p.max(1),
                value: num[i],
            });
        }
        let weights = match weights {
            None => vec![1.0; n],
            Some(w) => {
                if w.len() != n {
                    return Err(CiblageError::LengthMismatch {
                        argument: "weights".into(),
                        expected: n,
                        got: w.len(),
                    });
                }
                if let Some(row) = w.iter().position(|v| !v.is_finite()) {
                    return Err(CiblageError::NonFinite {
                        argument: "weights".into(),
                        row,
                        value: w[row],
                    });
                }
                if let Some(row) = w.iter().position(|v| *v < 0.0) {
                    return Err(CiblageError::ValueOutOfRange {
                        argument: "weights".into(),
                        row,
                        value: w[row],
                        range: "weights must be >= 0",
                    });
                }
                w.to_vec()
            }
        };
        let mut codes = Vec::with_capacity(q);
        let mut cat = vec![0u32; n * q];
        for (j, column) in categorical.columns().into_iter().enumerate() {
            let mut seen: Vec<u32> = column.iter().copied().collect();
            seen.sort_unstable();
            seen.dedup();
            for (i, v) in column.iter().enumerate() {
                // `seen` holds every value of the column.
                cat[i * q + j] = seen.binary_search(v).unwrap_or(0) as u32;
            }
            codes.push(seen);
        }
        let k = params.n_clusters;
        let mut distinct: HashSet<(Vec<u64>, &[u32])> = HashSet::new();
        for i in 0..n {
            if weights[i] > 0.0 {
                let key = num[i * p..(i + 1) * p]
                    .iter()
                    .map(|v| v.to_bits())
                    .collect();
                distinct.insert((key, &cat[i * q..(i + 1) * q]));
                if distinct.len() >= k {
                    break;
                }
            }
        }
        if distinct.len() < k {
            return Err(CiblageError::InvalidParameter {
                name: "n_clusters",
                reason: format!(
                    "{k} clusters asked for but the input has only {} distinct rows of positive weight",
                    distinct.len()
                ),
            });
        }
        if let KPrototypesInit::Given {
            numeric: gn,
            categorical: gc,
        } = &params.init
        {
            if gn.ncols() != p || gc.ncols() != q {
                return Err(CiblageError::InvalidParameter {
                    name: "init",
                    reason: format!(
                        "prototypes have {} numeric and {} categorical features, the input {p} and {q}",
                        gn.ncols(),
                        gc.ncols()
                    ),
                });
            }
        }
        let gamma = match params.gamma {
            Some(g) => g,
            None if p == 0 => 1.0,
            None => 0.5 * column_std(&num, n, p).iter().sum::<f64>() / p as f64,
        };
        Ok(Self {
            n,
            p,
            q,
            num,
            cat,
            codes,
            weights,
            gamma,
        })
    }

    pub(crate) fn row_num(&self, i: usize) -> &[f64] {
        &self.num[i * self.p..(i + 1) * self.p]
    }

    pub(crate) fn row_cat(&self, i: usize) -> &[u32] {
        &self.cat[i * self.q..(i + 1) * self.q]
    }
}

/// Population standard deviation of each column (unweighted, as `kmodes`).
pub(crate) fn column_std(num: &[f64], n: usize, p: usize) -> Vec<f64> {
    (0..p)
        .map(|j| {
            let mean = (0..n).map(|i| num[i * p + j]).sum::<f64>() / n as f64;
            let var = (0..n).map(|i| (num[i * p + j] - mean).powi(2)).sum::<f64>() / n as f64;
            var.sqrt()
        })
        .collect()
}

/// Prototypes of one run: means (k × p) and recoded modes (k × q).
#[derive(Clone)]
pub(crate) struct Centers {
    pub(crate) num: Vec<f64>,
    pub(crate) cat: Vec<u32>,
}
