//! Predictors and targets of CHAID: categories coded once, with readable
//! labels, and the encoders that route new data the same way.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{CiblageError, Result};
use crate::tree::small_int_codes;

/// Code of a missing value.
pub const MISSING: u32 = u32::MAX;

/// How a predictor's categories may be merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PredictorKind {
    /// Unordered categories: any two may merge; missing is one more category.
    Nominal,
    /// Ordered categories: only adjacent ones merge; missing floats.
    Ordinal,
    /// Numbers, binned once into ordered quantile bins; missing floats.
    Continuous,
}

/// How new values map to category codes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoder {
    /// Category labels, code = position.
    Labels(Vec<String>),
    /// Distinct ordinal values, ascending, code = position.
    Values(Vec<f64>),
    /// Upper edges of bins, ascending (values beyond the ends go to the end bins).
    Bins(Vec<f64>),
}

/// The data of one predictor column before coding.
#[derive(Debug, Clone, PartialEq)]
pub enum PredictorColumn<'a> {
    /// Numbers (NaN = missing): binned for a continuous predictor, each
    /// distinct value a category otherwise ([`Predictor::ordinal`]).
    Values(&'a [f64]),
    /// Integers, each distinct value a category ([`Predictor::from_ints`]).
    Ints(&'a [i64]),
    /// Codes already assigned, with their labels ([`Predictor::from_codes`]).
    Codes(Vec<u32>, Vec<String>),
}

/// One predictor column, coded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Predictor {
    /// Column name.
    pub name: String,
    /// Merge rules.
    pub kind: PredictorKind,
    /// Code per row ([`MISSING`] for a missing value).
    #[serde(skip)]
    pub codes: Vec<u32>,
    /// Label per code.
    pub labels: Vec<String>,
    /// Maps new values to codes.
    pub encoder: Encoder,
}

impl Predictor {
    /// A nominal predictor from labels (`None` = missing); codes follow the
    /// sorted distinct labels.
    pub fn nominal<S: AsRef<str>>(name: impl Into<String>, values: &[Option<S>]) -> Self {
        let mut labels: Vec<String> = values
            .iter()
            .flatten()
            .map(|s| s.as_ref().to_owned())
            .collect();
        labels.sort_unstable();
        labels.dedup();
        let codes = values
            .iter()
            .map(|v| match v {
                Some(s) => labels
                    .binary_search_by(|l| l.as_str().cmp(s.as_ref()))
                    .map_or(MISSING, |c| c as u32),
                None => MISSING,
            })
            .collect();
        Self {
            name: name.into(),
            kind: PredictorKind::Nominal,
            codes,
            labels: labels.clone(),
            encoder: Encoder::Labels(labels),
        }
    }

    /// A predictor whose values are already coded: `codes[i]` indexes
    /// `labels` ([`MISSING`] = missing). For `Ordinal`, the label order is
    /// the category order. New data are coded by label.
    ///
    /// # Errors
    /// [`CiblageError::InvalidParameter`] (`codes`) for a code out of range,
    /// or for `Continuous` (use [`Predictor::continuous`]).
    pub fn from_codes(
        name: impl Into<String>,
        kind: PredictorKind,
        codes: Vec<u32>,
        labels: Vec<String>,
    ) -> Result<Self> {
        let name = name.into();
        if kind == PredictorKind::Continuous {
            return Err(CiblageError::param(
                "codes",
                format!("{name}: continuous predictors are binned from values"),
            ));
        }
        if let Some(row) = codes
            .iter()
            .position(|&c| c != MISSING && c as usize >= labels.len())
        {
            return Err(CiblageError::param(
                "codes",
                format!(
                    "{name}: code {} at row {row} is not below {}",
                    codes[row],
                    labels.len()
                ),
            ));
        }
        Ok(Self {
            name,
            kind,
            codes,
            encoder: Encoder::Labels(labels.clone()),
            labels,
        })
    }

    /// Codes every column (name, kind, data), all columns in parallel;
    /// continuous ones are binned into `bins` bins with `weights`.
    ///
    /// # Errors
    /// As the constructor of each column's kind.
    pub fn build_all(
        columns: Vec<(String, PredictorKind, PredictorColumn<'_>)>,
        weights: Option<&[f64]>,
        bins: usize,
    ) -> Result<Vec<Self>> {
        columns
            .into_par_iter()
            .map(|(name, kind, column)| match column {
                PredictorColumn::Values(v) => match kind {
                    PredictorKind::Continuous => Self::continuous(name, v, weights, bins),
                    _ => Self::ordinal(name, v).map(|p| Self { kind, ..p }),
                },
                PredictorColumn::Ints(v) => Self::from_ints(name, kind, v),
                PredictorColumn::Codes(c, labels) => Self::from_codes(name, kind, c, labels),
            })
            .collect()
    }

    /// A nominal or ordinal predictor from integers: each distinct value is
    /// a category, in ascending order, labelled by its decimal digits.
    ///
    /// # Errors
    /// [`CiblageError::InvalidParameter`] (`codes`) for `Continuous`.
    pub fn from_ints(name: impl Into<String>, kind: PredictorKind, values: &[i64]) -> Result<Self> {
        let (distinct, codes) = small_int_codes(values).unwrap_or_else(|| {
            let mut distinct = values.to_vec();
            distinct.sort_unstable();
            distinct.dedup();
            let codes = values
                .iter()
                .map(|v| distinct.binary_search(v).map_or(MISSING, |c| c as u32))
                .collect();
            (distinct, codes)
        });
        let labels: Vec<String> = distinct.iter().map(i64::to_string).collect();
        if kind == PredictorKind::Continuous {
            return Self::from_codes(name, kind, codes, labels);
        }
        // Every code indexes `distinct`: no range check needed.
        Ok(Self {
            name: name.into(),
            kind,
            codes,
            encoder: Encoder::Labels(labels.clone()),
            labels,
        })
    }

    /// An ordinal predictor from numbers (NaN = missing): each distinct value
    /// is a category, in ascending order.
    ///
    /// # Errors
    /// [`CiblageError::NonFinite`] for an infinite value.
    pub fn ordinal(name: impl Into<String>, values: &[f64]) -> Result<Self> {
        let name = name.into();
        check_no_inf(&name, values)?;
        let mut distinct: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
        distinct.sort_by(f64::total_cmp);
        distinct.dedup();
        let codes = values
            .iter()
            .map(|v| {
                if v.is_nan() {
                    MISSING
                } else {
                    distinct
                        .binary_search_by(|d| d.total_cmp(v))
                        .map_or(MISSING, |c| c as u32)
                }
            })
            .collect();
        Ok(Self {
            labels: distinct.iter().map(|v| format!("{v}")).collect(),
            name,
            kind: PredictorKind::Ordinal,
            codes,
            encoder: Encoder::Values(distinct),
        })
    }

    /// A continuous predictor binned into at most `bins` weighted-quantile
    /// bins (NaN = missing): with S(u) the share of weight at or below each
    /// distinct value u, bin index ⌈bins·S(u) − 1e-8⌉ (at least 1); a bin
    /// ends at its largest value, so equal values share a bin. Labels read
    /// `"<= 1.6"`, `"(1.6, 3.8]"`, `"> 5.3"`.
    ///
    /// # Errors
    /// [`CiblageError::NonFinite`] for an infinite value, weights refused
    /// by [`crate::tree::check_sample_weight`],
    /// [`CiblageError::InvalidParameter`] for `bins` < 2.
    pub fn continuous(
        name: impl Into<String>,
        values: &[f64],
        weights: Option<&[f64]>,
        bins: usize,
    ) -> Result<Self> {
        let name = name.into();
        check_no_inf(&name, values)?;
        crate::tree::check_sample_weight(weights, values.len())?;
        if bins < 2 {
            return Err(CiblageError::param(
                "bins",
                format!("need at least 2 bins, got {bins}"),
            ));
        }
        let mut pairs: Vec<(f64, f64)> = values
            .iter()
            .enumerate()
            .filter(|(_, v)| !v.is_nan())
            .map(|(i, &v)| (v, weights.map_or(1.0, |w| w[i])))
            .collect();
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let total: f64 = pairs.iter().map(|p| p.1).sum();
        let mut edges: Vec<f64> = Vec::new();
        let mut cum = 0.0;
        let mut k = 0;
        let mut last_idx = 0usize;
        while k < pairs.len() {
            let v = pairs[k].0;
            while k < pairs.len() && pairs[k].0 == v {
                cum += pairs[k].1;
                k += 1;
            }
            let idx = ((bins as f64 * cum / total - 1e-8).ceil() as usize).max(1);
            if idx != last_idx {
                edges.push(v);
                last_idx = idx;
            } else if let Some(e) = edges.last_mut() {
                *e = v;
            }
        }
        let codes = values.iter().map(|&v| bin_of(&edges, v)).collect();
        let labels = bin_labels(&edges);
        Ok(Self {
            name,
            kind: PredictorKind::Continuous,
            codes,
            labels,
            encoder: Encoder::Bins(edges),
        })
    }

    /// The code of a new value given as a label (nominal) …
    pub fn encode_label(&self, label: Option<&str>) -> u32 {
        match (&self.encoder, label) {
            // Labels are sorted except for ordinal predictors coded by
            // the caller (category order): a miss of the binary search is
            // confirmed by a scan.
            (Encoder::Labels(l), Some(s)) => l
                .binary_search_by(|x| x.as_str().cmp(s))
                .ok()
                .or_else(|| l.iter().position(|x| x == s))
                .map_or(UNSEEN, |c| c as u32),
            (_, None) => MISSING,
            _ => UNSEEN,
        }
    }

    /// … or as a number (ordinal, continuous; NaN = missing).
    pub fn encode_value(&self, v: f64) -> u32 {
        if v.is_nan() {
            return MISSING;
        }
        match &self.encoder {
            Encoder::Values(d) => d
                .binary_search_by(|x| x.total_cmp(&v))
                .map_or(UNSEEN, |c| c as u32),
            Encoder::Bins(e) => bin_of(e, v),
            Encoder::Labels(_) => UNSEEN,
        }
    }
}

/// Code of a value never seen in training.
pub const UNSEEN: u32 = u32::MAX - 1;

fn bin_of(edges: &[f64], v: f64) -> u32 {
    if v.is_nan() {
        return MISSING;
    }
    let i = edges.partition_point(|&e| e < v);
    i.min(edges.len().saturating_sub(1)) as u32
}

fn bin_labels(edges: &[f64]) -> Vec<String> {
    let n = edges.len();
    (0..n)
        .map(|i| match (i, n) {
            (_, 1) => "all".to_owned(),
            (0, _) => format!("<= {}", edges[0]),
            (i, n) if i + 1 == n => format!("> {}", edges[i - 1]),
            (i, _) => format!("({}, {}]", edges[i - 1], edges[i]),
        })
        .collect()
}

fn check_no_inf(name: &str, values: &[f64]) -> Result<()> {
    match values.iter().position(|v| v.is_infinite()) {
        Some(row) => Err(CiblageError::NonFinite {
            argument: name.to_owned(),
            row,
            value: values[row],
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binning_follows_weighted_quantiles_and_keeps_ties() {
        // 10 values 1..10, 5 bins: S(u) = u/10, idx = ceil(u/2): edges 2,4,6,8,10.
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        let p = Predictor::continuous("x", &v, None, 5).unwrap();
        assert_eq!(p.encoder, Encoder::Bins(vec![2.0, 4.0, 6.0, 8.0, 10.0]));
        assert_eq!(p.codes, [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
        assert_eq!(p.labels[0], "<= 2");
        assert_eq!(p.labels[1], "(2, 4]");
        assert_eq!(p.labels[4], "> 8");
        // Ties: eight 1s and two 2s in 5 bins → S(1) = 0.8 (idx 4), S(2) = 1 (idx 5).
        let p =
            Predictor::continuous("x", &[1., 1., 1., 1., 1., 1., 1., 1., 2., 2.], None, 5).unwrap();
        assert_eq!(p.encoder, Encoder::Bins(vec![1.0, 2.0]));
        // New values clamp to the end bins; NaN is missing.
        assert_eq!(p.encode_value(-5.0), 0);
        assert_eq!(p.encode_value(99.0), 1);
        assert_eq!(p.encode_value(f64::NAN), MISSING);
        assert!(Predictor::continuous("x", &[1.0, f64::INFINITY], None, 5).is_err());
    }

    #[test]
    fn nominal_and_ordinal_codes() {
        let p = Predictor::nominal("c", &[Some("b"), None, Some("a"), Some("b")]);
        assert_eq!(p.codes, [1, MISSING, 0, 1]);
        assert_eq!(p.encode_label(Some("zzz")), UNSEEN);
        let i = Predictor::from_ints("i", PredictorKind::Ordinal, &[40, -2, 40, 7]).unwrap();
        assert_eq!(i.codes, [2, 0, 2, 1]);
        assert_eq!(i.labels, ["-2", "7", "40"]);
        let wide =
            Predictor::from_ints("w", PredictorKind::Nominal, &[1 << 40, 0, 1 << 40]).unwrap();
        assert_eq!(wide.codes, [1, 0, 1]);
        assert_eq!(wide.encode_label(Some("1099511627776")), 1);
        // Labels in category order (not sorted) are found too.
        let coded = Predictor::from_codes(
            "q",
            PredictorKind::Ordinal,
            vec![0, 1, 2],
            vec!["low".into(), "mid".into(), "high".into()],
        )
        .unwrap();
        assert_eq!(coded.encode_label(Some("low")), 0);
        assert_eq!(coded.encode_label(Some("high")), 2);
        assert_eq!(coded.encode_label(Some("top")), UNSEEN);
        let o = Predictor::ordinal("o", &[3.0, 1.0, f64::NAN, 3.0]).unwrap();
        assert_eq!(o.codes, [1, 0, MISSING, 1]);
        assert_eq!(o.encode_value(2.0), UNSEEN);
    }
}
