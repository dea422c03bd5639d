//! How many segments: k-means (or k-prototypes) fitted for each candidate
//! number of clusters, with the measures that help choose among them and a
//! recommendation with its reason.
//!
//! For each `k`: the inertia (for the elbow), the silhouette (exact up to
//! `sample_size` rows, else on a seeded sample; the result says which), the
//! Calinski–Harabasz and the Davies–Bouldin indices.
//!
//! **The rule.** The recommended `k` is the one of highest silhouette
//! (the smallest among equals), unless the elbow of the inertia curve and
//! the largest Calinski–Harabasz index agree on another `k`: then that
//! one. The elbow is the Kneedle point: with `k` and the inertia both
//! scaled to [0, 1], the `k` farthest below the chord from the first to
//! the last point (needs at least three candidates).
//!
//! **Mixed data** (`score_mixed`, k-prototypes): each categorical column is
//! one-hot encoded with every indicator scaled by √(γ/2), so that the
//! squared Euclidean distance of two rows in that space is exactly the
//! k-prototypes cost (squared numeric distance + γ × mismatches); the
//! silhouette, Calinski–Harabasz and Davies–Bouldin indices are computed
//! there.
//!
//! ```
//! use ciblage::cluster::ChooseK;
//! use ciblage::ndarray::Array2;
//!
//! // Three tight groups on a line.
//! let x = Array2::from_shape_fn((30, 1), |(i, _)| (i % 3) as f64 * 10.0 + (i / 3) as f64 * 0.01);
//! let choice = ChooseK::params().k_range(vec![2, 3, 4, 5]).score(x.view())?;
//! assert_eq!(choice.recommended, 3);
//! assert_eq!(choice.scores.len(), 4);
//! # Ok::<(), ciblage::CiblageError>(())
//! ```

use ndarray::{Array2, ArrayView2};

use crate::cluster::kmeans::{KMeans, KMeansParams};
use crate::cluster::kmodes::{KModes, KModesParams};
use crate::cluster::kprototypes::{KPrototypes, KPrototypesParams};
use crate::cluster::metrics::{calinski_harabasz_score, davies_bouldin_score, Silhouette};
use crate::error::{CiblageError, Result};
use crate::interrupt::Interrupt;

/// Entry point of the choice of the number of clusters: [`ChooseK::params`].
#[derive(Debug, Clone, Copy)]
pub struct ChooseK;

impl ChooseK {
    /// The parameter builder: `k` from 2 to 10, k-means with four
    /// initialisations per `k` (k-prototypes with its defaults), exact
    /// silhouette up to 20,000 rows, seed 0.
    #[must_use]
    pub fn params() -> ChooseKParams {
        ChooseKParams {
            k_range: (2..=10).collect(),
            kmeans: KMeans::params().n_init(Some(4)),
            kprototypes: KPrototypes::params(),
            kmodes: KModes::params(),
            sample_size: Some(20_000),
            seed: 0,
            interrupt: Interrupt::default(),
        }
    }
}

/// The parameters of [`ChooseK`] (a builder).
#[derive(Debug, Clone)]
pub struct ChooseKParams {
    k_range: Vec<usize>,
    kmeans: KMeansParams,
    kprototypes: KPrototypesParams,
    kmodes: KModesParams,
    sample_size: Option<usize>,
    seed: u64,
    interrupt: Interrupt,
}

/// Validated parameters: [`ChooseKValidParams::score`] runs them.
#[derive(Debug, Clone)]
pub struct ChooseKValidParams(ChooseKParams);

/// The measures of one number of clusters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KScore {
    /// The number of clusters.
    pub k: usize,
    /// The fit's inertia (k-prototypes: its cost; NaN when k-prototypes
    /// found no `k` distinct prototypes).
    pub inertia: f64,
    /// The mean silhouette (NaN when the fit has fewer than 2 clusters).
    pub silhouette: f64,
    /// The Calinski–Harabasz index (higher is better; NaN as above).
    pub calinski_harabasz: f64,
    /// The Davies–Bouldin index (lower is better; NaN as above).
    pub davies_bouldin: f64,
}

/// The measures for every candidate `k` and the recommended one.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterCountChoice {
    /// One entry per candidate, in ascending `k`.
    pub scores: Vec<KScore>,
    /// The recommended number of clusters.
    pub recommended: usize,
    /// Why it is recommended, in a sentence.
    pub reason: String,
    /// The elbow of the inertia curve (Kneedle; `None` below 3 candidates
    /// or for a flat curve).
    pub elbow: Option<usize>,
    /// The rows the silhouette was computed on.
    pub silhouette_rows: usize,
    /// Whether those rows are a seeded sample.
    pub silhouette_sampled: bool,
}

impl KScore {
    /// A candidate without measures (its fit found no k distinct clusters).
    fn missing(k: usize) -> Self {
        KScore {
            k,
            inertia: f64::NAN,
            silhouette: f64::NAN,
            calinski_harabasz: f64::NAN,
            davies_bouldin: f64::NAN,
        }
    }
}

impl ChooseKParams {
    /// The candidate numbers of clusters (each at least 2; sorted and
    /// deduplicated at check).
    #[must_use]
    pub fn k_range(mut self, ks: Vec<usize>) -> Self {
        self.k_range = ks;
        self
    }

    /// The k-means fitted for each `k` (its `n_clusters` is replaced; a
    /// preparation in it is applied before the measures).
    #[must_use]
    pub fn kmeans(mut self, params: KMeansParams) -> Self {
        self.kmeans = params;
        self
    }

    /// The k-prototypes fitted for each `k` by [`ChooseKValidParams::score_mixed`].
    #[must_use]
    pub fn kprototypes(mut self, params: KPrototypesParams) -> Self {
        self.kprototypes = params;
        self
    }

    /// The k-modes fitted for each `k` by [`ChooseKValidParams::score_mixed`]
    /// when there is no numeric feature.
    #[must_use]
    pub fn kmodes(mut self, params: KModesParams) -> Self {
        self.kmodes = params;
        self
    }

    /// Largest number of rows of an exact silhouette (`None`: always exact).
    #[must_use]
    pub fn sample_size(mut self, n: Option<usize>) -> Self {
        self.sample_size = n;
        self
    }

    /// Seed of the silhouette sample.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Token that stops the computation (checked between fits and inside them).
    #[must_use]
    pub fn interrupt(mut self, token: Interrupt) -> Self {
        self.interrupt = token;
        self
    }

    /// Checks every parameter.
    ///
    /// # Errors
    /// [`CiblageError::InvalidParameter`] naming `k_range`, `sample_size`,
    /// or a parameter of the k-means / k-prototypes.
    pub fn check(mut self) -> Result<ChooseKValidParams> {
        if self.k_range.is_empty() {
            return Err(CiblageError::param(
                "k_range",
                "expected at least one number of clusters",
            ));
        }
        if let Some(&k) = self.k_range.iter().find(|&&k| k < 2) {
            return Err(CiblageError::param(
                "k_range",
                format!("expected numbers of clusters of at least 2, got {k}"),
            ));
        }
        self.k_range.sort_unstable();
        self.k_range.dedup();
        Silhouette::params().sample_size(self.sample_size).check()?;
        self.kmeans.clone().n_clusters(2).check()?;
        self.kprototypes.clone().n_clusters(2).check()?;
        self.kmodes.clone().n_clusters(2).check()?;
        Ok(ChooseKValidParams(self))
    }

    /// Shortcut for `self.check()?.score(x)`.
    ///
    /// # Errors
    /// As [`ChooseKParams::check`] and [`ChooseKValidParams::score`].
    pub fn score(self, x: ArrayView2<'_, f64>) -> Result<ClusterCountChoice> {
        self.check()?.score(x)
    }

    /// Shortcut for `self.check()?.score_mixed(numeric, categorical)`.
    ///
    /// # Errors
    /// As [`ChooseKParams::check`] and [`ChooseKValidParams::score_mixed`].
    pub fn score_mixed(
        self,
        numeric: ArrayView2<'_, f64>,
        categorical: ArrayView2<'_, u32>,
    ) -> Result<ClusterCountChoice> {
        self.check()?.score_mixed(numeric, categorical)
    }
}

impl ChooseKValidParams {
    /// The largest candidate must leave one row more than clusters.
    fn check_rows(&self, n: usize) -> Result<()> {
        let largest = *self.0.k_range.last().unwrap_or(&2);
        if largest >= n {
            return Err(CiblageError::param(
                "k_range",
                format!("k = {largest} needs more than {largest} rows, X has {n}"),
            ));
        }
        Ok(())
    }

    /// k-means for every candidate `k` on the rows of `x`.
    ///
    /// # Errors
    /// [`CiblageError::InvalidParameter`] (`k_range`) for a `k` not below
    /// the number of rows, the errors of the k-means fit (non-finite
    /// values...), [`CiblageError::Interrupted`].
    pub fn score(&self, x: ArrayView2<'_, f64>) -> Result<ClusterCountChoice> {
        let p = &self.0;
        self.check_rows(x.nrows())?;
        p.interrupt.add_total(p.k_range.len() as u64);
        let mut fits = Vec::with_capacity(p.k_range.len());
        for &k in &p.k_range {
            p.interrupt.check()?;
            let model = p
                .kmeans
                .clone()
                .n_clusters(k)
                .interrupt(p.interrupt.clone())
                .fit(x, None)?;
            let space = match model.preparation() {
                Some(prep) => Some(prep.apply(x)?),
                None => None,
            };
            let view = space.as_ref().map_or(x, |s| s.view());
            fits.push(self.measure(k, model.inertia(), view, model.labels())?);
            p.interrupt.advance(1);
        }
        Ok(choose(fits))
    }

    /// k-prototypes for every candidate `k` on mixed rows (`numeric` and
    /// category codes, rows × features each; k-modes when `numeric` has no
    /// column); the measures in the space of the k-prototypes cost (see the
    /// module's documentation).
    ///
    /// # Errors
    /// As [`ChooseKValidParams::score`], and the errors of the k-prototypes fit.
    pub fn score_mixed(
        &self,
        numeric: ArrayView2<'_, f64>,
        categorical: ArrayView2<'_, u32>,
    ) -> Result<ClusterCountChoice> {
        let p = &self.0;
        self.check_rows(numeric.nrows().max(categorical.nrows()))?;
        p.interrupt.add_total(p.k_range.len() as u64);
        let mut fits = Vec::with_capacity(p.k_range.len());
        for &k in &p.k_range {
            p.interrupt.check()?;
            // Without numeric features, k-modes: k-prototypes' cost with γ = 1.
            let fitted = if numeric.ncols() == 0 {
                p.kmodes
                    .clone()
                    .n_clusters(k)
                    .interrupt(p.interrupt.clone())
                    .fit(categorical, None)
                    .map(|m| m.as_prototypes().clone())
            } else {
                p.kprototypes
                    .clone()
                    .n_clusters(k)
                    .interrupt(p.interrupt.clone())
                    .fit(numeric, categorical, None)
            };
            let model = match fitted {
                Ok(m) => m,
                // Too few distinct rows for k prototypes: no measure for this k.
                Err(
                    CiblageError::FitFailed { .. }
                    | CiblageError::InvalidParameter {
                        name: "n_clusters", ..
                    },
                ) => {
                    fits.push((KScore::missing(k), 0, false));
                    p.interrupt.advance(1);
                    continue;
                }
                Err(e) => return Err(e),
            };
            let space = cost_space(numeric, categorical, model.gamma());
            fits.push(self.measure(k, model.inertia(), space.view(), model.labels())?);
            p.interrupt.advance(1);
        }
        Ok(choose(fits))
    }

    /// The measures of one fit; NaN when the labels are not 2 to rows − 1.
    fn measure(
        &self,
        k: usize,
        inertia: f64,
        x: ArrayView2<'_, f64>,
        labels: &[u32],
    ) -> Result<(KScore, usize, bool)> {
        let p = &self.0;
        let nan = |r: Result<f64>| match r {
            Ok(v) => Ok(v),
            Err(CiblageError::InvalidParameter { name: "labels", .. }) => Ok(f64::NAN),
            Err(e) => Err(e),
        };
        let sil = Silhouette::params()
            .sample_size(p.sample_size)
            .seed(p.seed)
            .interrupt(p.interrupt.clone())
            .score(x, labels);
        let (silhouette, rows, sampled) = match sil {
            Ok(s) => (s.score, s.rows_used, s.sampled),
            Err(CiblageError::InvalidParameter { name: "labels", .. }) => (f64::NAN, 0, false),
            Err(e) => return Err(e),
        };
        Ok((
            KScore {
                k,
                inertia,
                silhouette,
                calinski_harabasz: nan(calinski_harabasz_score(x, labels))?,
                davies_bouldin: nan(davies_bouldin_score(x, labels))?,
            },
            rows,
            sampled,
        ))
    }
}

/// Numeric columns then one-hot categories scaled by √(γ/2): squared
/// Euclidean distances there are k-prototypes costs.
pub(crate) fn cost_space(
    numeric: ArrayView2<'_, f64>,
    categorical: ArrayView2<'_, u32>,
    gamma: f64,
) -> Array2<f64> {
    let n = numeric.nrows().max(categorical.nrows());
    let p = numeric.ncols();
    let widths: Vec<usize> = categorical
        .columns()
        .into_iter()
        .map(|c| c.iter().max().map_or(0, |&m| m as usize + 1))
        .collect();
    let total = p + widths.iter().sum::<usize>();
    let scale = (gamma / 2.0).sqrt();
    let mut out = Array2::zeros((n, total));
    for i in 0..n {
        for j in 0..p {
            out[[i, j]] = numeric[[i, j]];
        }
        let mut offset = p;
        for (j, &w) in widths.iter().enumerate() {
            out[[i, offset + categorical[[i, j]] as usize]] = scale;
            offset += w;
        }
    }
    out
}

/// The Kneedle elbow of a decreasing curve: the `k` farthest below the
/// chord once both axes are scaled to [0, 1].
pub(crate) fn elbow(scores: &[KScore]) -> Option<usize> {
    let scores: Vec<KScore> = scores
        .iter()
        .filter(|s| s.inertia.is_finite())
        .copied()
        .collect();
    if scores.len() < 3 {
        return None;
    }
    let (k0, k1) = (scores[0].k as f64, scores[scores.len() - 1].k as f64);
    let lo = scores
        .iter()
        .map(|s| s.inertia)
        .fold(f64::INFINITY, f64::min);
    let hi = scores
        .iter()
        .map(|s| s.inertia)
        .fold(f64::NEG_INFINITY, f64::max);
    if hi <= lo || !lo.is_finite() || !hi.is_finite() {
        return None;
    }
    let mut best: Option<(usize, f64)> = None;
    for s in &scores {
        let gap = 1.0 - (s.k as f64 - k0) / (k1 - k0) - (s.inertia - lo) / (hi - lo);
        if best.is_none_or(|(_, b)| gap > b + 1e-12) {
            best = Some((s.k, gap));
        }
    }
    best.filter(|&(_, g)| g > 0.0).map(|(k, _)| k)
}

/// The `k` of the largest finite value of `f` (the smallest among equals).
fn argmax(scores: &[KScore], f: impl Fn(&KScore) -> f64) -> Option<(usize, f64)> {
    scores.iter().filter(|s| f(s).is_finite()).fold(
        None,
        |best: Option<(usize, f64)>, s| match best {
            Some((_, b)) if f(s) <= b => best,
            _ => Some((s.k, f(s))),
        },
    )
}

/// Applies the documented rule to the measures of every candidate.
pub(crate) fn choose(fits: Vec<(KScore, usize, bool)>) -> ClusterCountChoice {
    let (rows, sampled) = fits
        .iter()
        .find(|f| f.1 > 0)
        .map_or((0, false), |f| (f.1, f.2));
    let scores: Vec<KScore> = fits.into_iter().map(|f| f.0).collect();
    let elbow = elbow(&scores);
    let by_ch = argmax(&scores, |s| s.calinski_harabasz);
    let (recommended, reason) = match argmax(&scores, |s| s.silhouette) {
        None => (
            scores[0].k,
            "no candidate gave 2 or more distinct clusters: the smallest k".to_string(),
        ),
        Some((ks, sil)) => match (elbow, by_ch) {
            (Some(ke), Some((kc, _))) if ke == kc && ke != ks => (
                ke,
                format!(
                    "the elbow of the inertia and the largest Calinski–Harabasz index agree on \
                     k = {ke}, against the highest silhouette at k = {ks} ({sil:.3})"
                ),
            ),
            _ => (
                ks,
                format!(
                    "highest silhouette ({sil:.3}) at k = {ks}; elbow {}, largest \
                     Calinski–Harabasz {}",
                    elbow.map_or("none".to_string(), |k| format!("at k = {k}")),
                    by_ch.map_or("none".to_string(), |(k, _)| format!("at k = {k}")),
                ),
            ),
        },
    };
    ClusterCountChoice {
        scores,
        recommended,
        reason,
        elbow,
        silhouette_rows: rows,
        silhouette_sampled: sampled,
    }
}

#[cfg(test)]
#[path = "choose_k_tests.rs"]
mod tests;
