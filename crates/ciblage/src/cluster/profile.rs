//! The profile of segments: per segment its size and shares (of rows, of
//! revenue and margin), the mean, median and lift of each numeric feature,
//! the dominant categories of each categorical feature with their share and
//! lift, and a suggested name.
//!
//! **The suggested name** lists the most distinctive traits: up to two
//! numeric features whose segment mean is at least half an overall
//! (population) standard deviation from the overall mean, the farthest
//! first ("high monetary, low recency"), then the dominant category of
//! largest lift among those holding more than half the segment with a lift
//! of at least 1.25 ("mostly channel=web"); "close to the average" when
//! there is none.
//!
//! ```
//! use ciblage::cluster::{Profile, ProfileData};
//! use ciblage::ndarray::{array, Array2};
//!
//! let numeric = array![[10.0], [12.0], [200.0], [220.0]];
//! let categorical = Array2::<u32>::zeros((4, 0));
//! let data = ProfileData::new(numeric.view(), categorical.view(), &[0, 0, 1, 1]);
//! let p = Profile::params().numeric_names(vec!["monetary".into()]).score(&data)?;
//! assert_eq!(p.sizes, [2, 2]);
//! assert_eq!(p.numeric[0].median, [11.0, 210.0]);
//! assert_eq!(p.names, ["low monetary", "high monetary"]);
//! # Ok::<(), ciblage::CiblageError>(())
//! ```

use ndarray::ArrayView2;

use crate::error::{CiblageError, Result};

/// A numeric trait enters a name from this many standard deviations.
pub const TRAIT_Z: f64 = 0.5;
/// A category enters a name when it holds more than this share of the segment...
pub const TRAIT_SHARE: f64 = 0.5;
/// ...with at least this lift against the whole base.
pub const TRAIT_LIFT: f64 = 1.25;

/// Entry point of the segment profile: [`Profile::params`].
#[derive(Debug, Clone, Copy)]
pub struct Profile;

impl Profile {
    /// The parameter builder: the 3 most frequent categories per segment,
    /// features named `x0`, `x1`... (numeric first, then categorical).
    #[must_use]
    pub fn params() -> ProfileParams {
        ProfileParams {
            top: 3,
            numeric_names: None,
            categorical_names: None,
            category_names: None,
        }
    }
}

/// The parameters of the profile (a builder; see [`Profile`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileParams {
    top: usize,
    numeric_names: Option<Vec<String>>,
    categorical_names: Option<Vec<String>>,
    category_names: Option<Vec<Vec<String>>>,
}

/// Validated profile parameters: [`ProfileValidParams::score`] computes it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileValidParams(ProfileParams);

/// The data profiled: features, one label per row, optional value columns.
#[derive(Debug, Clone, Copy)]
pub struct ProfileData<'a> {
    /// Numeric features (rows × features; may have no column).
    pub numeric: ArrayView2<'a, f64>,
    /// Categorical features as codes (rows × features; may have no column).
    pub categorical: ArrayView2<'a, u32>,
    /// The segment of each row (any `u32` values).
    pub labels: &'a [u32],
    /// Revenue per row, for each segment's share of it.
    pub revenue: Option<&'a [f64]>,
    /// Margin per row, for each segment's share of it.
    pub margin: Option<&'a [f64]>,
}

impl<'a> ProfileData<'a> {
    /// Features and labels, without value columns.
    pub fn new(
        numeric: ArrayView2<'a, f64>,
        categorical: ArrayView2<'a, u32>,
        labels: &'a [u32],
    ) -> Self {
        Self {
            numeric,
            categorical,
            labels,
            revenue: None,
            margin: None,
        }
    }
}

/// One numeric feature across the segments.
#[derive(Debug, Clone, PartialEq)]
pub struct NumericProfile {
    /// The feature's name.
    pub name: String,
    /// Mean per segment.
    pub mean: Vec<f64>,
    /// Median per segment (the mean of the two middle values of an even count).
    pub median: Vec<f64>,
    /// Segment mean / overall mean (NaN when the overall mean is 0).
    pub lift: Vec<f64>,
    /// (Segment mean − overall mean) / overall standard deviation (0 for a constant feature).
    pub z: Vec<f64>,
}

/// A frequent category of a segment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TopCategory {
    /// The category's code.
    pub code: u32,
    /// Its share of the segment's rows.
    pub share: f64,
    /// Its share in the segment / its share overall.
    pub lift: f64,
}

/// One categorical feature across the segments.
#[derive(Debug, Clone, PartialEq)]
pub struct CategoricalProfile {
    /// The feature's name.
    pub name: String,
    /// Per segment, its most frequent categories (at most `top`, most
    /// frequent first, the smallest code among equals).
    pub top: Vec<Vec<TopCategory>>,
}

/// The profile of every segment, segments in ascending label order.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentProfiles {
    /// The distinct labels.
    pub segments: Vec<u32>,
    /// Rows per segment.
    pub sizes: Vec<usize>,
    /// Share of the rows per segment.
    pub shares: Vec<f64>,
    /// Share of the revenue total (NaN when it is 0), when revenue was given.
    pub revenue_shares: Option<Vec<f64>>,
    /// Share of the margin total (NaN when it is 0), when margin was given.
    pub margin_shares: Option<Vec<f64>>,
    /// One entry per numeric feature.
    pub numeric: Vec<NumericProfile>,
    /// One entry per categorical feature.
    pub categorical: Vec<CategoricalProfile>,
    /// The suggested name of each segment (see the module's documentation).
    pub names: Vec<String>,
}

impl ProfileParams {
    /// How many categories per segment and feature are listed (at least 1).
    #[must_use]
    pub fn top(mut self, n: usize) -> Self {
        self.top = n;
        self
    }

    /// Names of the numeric features (one per column).
    #[must_use]
    pub fn numeric_names(mut self, names: Vec<String>) -> Self {
        self.numeric_names = Some(names);
        self
    }

    /// Names of the categorical features (one per column).
    #[must_use]
    pub fn categorical_names(mut self, names: Vec<String>) -> Self {
        self.categorical_names = Some(names);
        self
    }

    /// Names of the categories of each categorical feature, by code.
    #[must_use]
    pub fn category_names(mut self, names: Vec<Vec<String>>) -> Self {
        self.category_names = Some(names);
        self
    }

    /// Checks every parameter.
    ///
    /// # Errors
    /// [`CiblageError::InvalidParameter`] (`top` of 0).
    pub fn check(self) -> Result<ProfileValidParams> {
        if self.top == 0 {
            return Err(CiblageError::param("top", "expected at least 1, got 0"));
        }
        Ok(ProfileValidParams(self))
    }

    /// Shortcut for `self.check()?.score(data)`.
    ///
    /// # Errors
    /// As [`ProfileParams::check`] and [`ProfileValidParams::score`].
    pub fn score(self, data: &ProfileData<'_>) -> Result<SegmentProfiles> {
        self.check()?.score(data)
    }
}

/// `Err(LengthMismatch)` unless `got == n`.
fn same_length(argument: &str, n: usize, got: usize) -> Result<()> {
    if got == n {
        Ok(())
    } else {
        Err(CiblageError::LengthMismatch {
            argument: argument.into(),
            expected: n,
            got,
        })
    }
}

/// `Err(NonFinite)` at the first NaN or infinite value.
fn finite<'v>(argument: &str, values: impl Iterator<Item = &'v f64>) -> Result<()> {
    match values.enumerate().find(|(_, v)| !v.is_finite()) {
        Some((row, v)) => Err(CiblageError::NonFinite {
            argument: argument.into(),
            row,
            value: *v,
        }),
        None => Ok(()),
    }
}

/// Names given, checked against the columns, or `x{offset + j}`.
fn names_of(
    given: &Option<Vec<String>>,
    argument: &str,
    d: usize,
    offset: usize,
) -> Result<Vec<String>> {
    match given {
        Some(v) => {
            same_length(argument, d, v.len())?;
            Ok(v.clone())
        }
        None => Ok((0..d).map(|j| format!("x{}", offset + j)).collect()),
    }
}

impl ProfileValidParams {
    /// Profiles the segments of `data.labels`.
    ///
    /// # Errors
    /// [`CiblageError::EmptyInput`] without rows,
    /// [`CiblageError::LengthMismatch`] for inputs (or names) of different
    /// lengths, [`CiblageError::NonFinite`] for a NaN or infinite numeric,
    /// revenue or margin value, [`CiblageError::InvalidParameter`]
    /// (`category_names`) for a code without a name.
    pub fn score(&self, data: &ProfileData<'_>) -> Result<SegmentProfiles> {
        let p = &self.0;
        let n = data.labels.len();
        if n == 0 {
            return Err(CiblageError::EmptyInput {
                argument: "labels".into(),
            });
        }
        same_length("numeric", n, data.numeric.nrows())?;
        same_length("categorical", n, data.categorical.nrows())?;
        let (dn, dc) = (data.numeric.ncols(), data.categorical.ncols());
        let num_names = names_of(&p.numeric_names, "numeric_names", dn, 0)?;
        let cat_names = names_of(&p.categorical_names, "categorical_names", dc, dn)?;
        for (name, v) in [("revenue", data.revenue), ("margin", data.margin)] {
            if let Some(v) = v {
                same_length(name, n, v.len())?;
                finite(name, v.iter())?;
            }
        }
        for (name, column) in num_names.iter().zip(data.numeric.columns()) {
            finite(name, column.iter())?;
        }
        let mut segments = data.labels.to_vec();
        segments.sort_unstable();
        segments.dedup();
        let k = segments.len();
        let seg: Vec<usize> = data
            .labels
            .iter()
            .map(|l| segments.binary_search(l).unwrap_or(0))
            .collect();
        let mut sizes = vec![0usize; k];
        seg.iter().for_each(|&s| sizes[s] += 1);
        let value_shares = |v: Option<&[f64]>| {
            v.map(|v| {
                let mut sums = vec![0.0; k];
                seg.iter().zip(v).for_each(|(&s, x)| sums[s] += x);
                let total: f64 = v.iter().sum();
                sums.iter()
                    .map(|s| if total != 0.0 { s / total } else { f64::NAN })
                    .collect::<Vec<f64>>()
            })
        };
        // Rows grouped by segment, for the medians.
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&i| seg[i]);
        let numeric = (0..dn)
            .map(|j| {
                numeric_profile(
                    num_names[j].clone(),
                    data.numeric.column(j).to_vec(),
                    &seg,
                    &sizes,
                    &order,
                )
            })
            .collect::<Vec<_>>();
        let categorical = (0..dc)
            .map(|j| {
                let codes: Vec<u32> = data.categorical.column(j).to_vec();
                categorical_profile(cat_names[j].clone(), &codes, &seg, &sizes, p.top)
            })
            .collect::<Vec<_>>();
        let label = |j: usize, code: u32| -> Result<String> {
            match &p.category_names {
                None => Ok(code.to_string()),
                Some(all) => all
                    .get(j)
                    .and_then(|names| names.get(code as usize))
                    .cloned()
                    .ok_or_else(|| {
                        CiblageError::param(
                            "category_names",
                            format!("no name for code {code} of feature {:?}", cat_names[j]),
                        )
                    }),
            }
        };
        let mut names = Vec::with_capacity(k);
        for s in 0..k {
            let mut parts = Vec::new();
            let mut by_z: Vec<usize> = (0..dn).collect();
            by_z.sort_by(|&a, &b| numeric[b].z[s].abs().total_cmp(&numeric[a].z[s].abs()));
            for &j in by_z.iter().take(2) {
                let z = numeric[j].z[s];
                if z.is_finite() && z.abs() >= TRAIT_Z {
                    parts.push(format!(
                        "{} {}",
                        if z > 0.0 { "high" } else { "low" },
                        num_names[j]
                    ));
                }
            }
            let mut best: Option<(usize, TopCategory)> = None;
            for (j, c) in categorical.iter().enumerate() {
                if let Some(&t) = c.top[s].first() {
                    if t.share > TRAIT_SHARE
                        && t.lift >= TRAIT_LIFT
                        && best.is_none_or(|(_, b)| t.lift > b.lift)
                    {
                        best = Some((j, t));
                    }
                }
            }
            if let Some((j, t)) = best {
                parts.push(format!("mostly {}={}", cat_names[j], label(j, t.code)?));
            }
            names.push(if parts.is_empty() {
                "close to the average".to_string()
            } else {
                parts.join(", ")
            });
        }
        Ok(SegmentProfiles {
            shares: sizes.iter().map(|&c| c as f64 / n as f64).collect(),
            revenue_shares: value_shares(data.revenue),
            margin_shares: value_shares(data.margin),
            segments,
            sizes,
            numeric,
            categorical,
            names,
        })
    }
}

/// Mean, median, lift and z of one numeric feature per segment.
fn numeric_profile(
    name: String,
    v: Vec<f64>,
    seg: &[usize],
    sizes: &[usize],
    order: &[usize],
) -> NumericProfile {
    let (n, k) = (v.len(), sizes.len());
    let mut sums = vec![0.0; k];
    seg.iter().zip(&v).for_each(|(&s, x)| sums[s] += x);
    let mean: Vec<f64> = sums.iter().zip(sizes).map(|(s, &c)| s / c as f64).collect();
    let overall = v.iter().sum::<f64>() / n as f64;
    let std = (v.iter().map(|x| (x - overall).powi(2)).sum::<f64>() / n as f64).sqrt();
    let mut median = Vec::with_capacity(k);
    let mut start = 0;
    for &c in sizes {
        let mut group: Vec<f64> = order[start..start + c].iter().map(|&i| v[i]).collect();
        group.sort_unstable_by(f64::total_cmp);
        median.push((group[(c - 1) / 2] + group[c / 2]) / 2.0);
        start += c;
    }
    NumericProfile {
        name,
        lift: mean
            .iter()
            .map(|m| {
                if overall != 0.0 {
                    m / overall
                } else {
                    f64::NAN
                }
            })
            .collect(),
        z: mean
            .iter()
            .map(|m| if std > 0.0 { (m - overall) / std } else { 0.0 })
            .collect(),
        mean,
        median,
    }
}

/// The `top` most frequent categories of each segment, with share and lift.
fn categorical_profile(
    name: String,
    codes: &[u32],
    seg: &[usize],
    sizes: &[usize],
    top: usize,
) -> CategoricalProfile {
    let (n, k) = (codes.len(), sizes.len());
    let m = codes.iter().max().map_or(0, |&c| c as usize + 1);
    let mut overall = vec![0usize; m];
    let mut table = vec![0usize; k * m];
    for (&s, &c) in seg.iter().zip(codes) {
        overall[c as usize] += 1;
        table[s * m + c as usize] += 1;
    }
    let top = (0..k)
        .map(|s| {
            let row = &table[s * m..(s + 1) * m];
            let mut by_count: Vec<usize> = (0..m).filter(|&c| row[c] > 0).collect();
            by_count.sort_by(|&a, &b| row[b].cmp(&row[a]).then(a.cmp(&b)));
            by_count
                .into_iter()
                .take(top)
                .map(|c| {
                    let share = row[c] as f64 / sizes[s] as f64;
                    TopCategory {
                        code: c as u32,
                        share,
                        lift: share / (overall[c] as f64 / n as f64),
                    }
                })
                .collect()
        })
        .collect();
    CategoricalProfile { name, top }
}

#[cfg(test)]
#[path = "profile_tests.rs"]
mod tests;
