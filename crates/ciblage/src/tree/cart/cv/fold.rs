//! One fold of the cross-validation of CART's pruning level: the tree
//! grown on the other rows, and the losses of the held-out rows at every
//! representative alpha.

use crate::error::CiblageError;
use crate::error::Result;
use crate::tree::cart::cv::{
    running_max, CartCvValidParams, CvClassWeight, CvTarget, CvTree, FoldLoss,
};
use crate::tree::cart::sparse::{Features, OwnedFeatures};
use crate::tree::cart::tree::CartModel;

impl CartCvValidParams {
    /// A tree grown on `rows` (ascending), with the class weights.
    pub(super) fn fit(
        &self,
        params: CvTree,
        x: Features<'_>,
        y: CvTarget<'_>,
        sample_weight: Option<&[f64]>,
        rows: &[usize],
    ) -> Result<CartModel> {
        let all = rows.len() == x.nrows();
        let xs: OwnedFeatures;
        let xv = if all {
            x.reborrow()
        } else {
            xs = x.select_rows(rows);
            xs.view()
        };
        let w: Option<Vec<f64>> = sample_weight.map(|w| rows.iter().map(|&r| w[r]).collect());
        match (params, y) {
            (CvTree::Classifier(params), CvTarget::Classes { codes, n_classes }) => {
                let c: Vec<u32> = rows.iter().map(|&r| codes[r]).collect();
                let w = self.class_weighted(w, &c, n_classes);
                params.fit(xv, &c, n_classes, w.as_deref())
            }
            (CvTree::Regressor(params), CvTarget::Values(values)) => {
                let v: Vec<f64> = rows.iter().map(|&r| values[r]).collect();
                params.fit(xv, &v, w.as_deref())
            }
            (CvTree::Classifier(_), CvTarget::Values(_)) => Err(CiblageError::param(
                "y",
                "a classifier's cross-validation needs class codes, got values",
            )),
            (CvTree::Regressor(_), CvTarget::Classes { .. }) => Err(CiblageError::param(
                "y",
                "a regressor's cross-validation needs values, got class codes",
            )),
        }
    }

    /// The sample weights of a fit times its class weights.
    fn class_weighted(
        &self,
        w: Option<Vec<f64>>,
        codes: &[u32],
        n_classes: usize,
    ) -> Option<Vec<f64>> {
        let per_class = match &self.p.class_weight {
            CvClassWeight::None => return w,
            CvClassWeight::PerClass(cw) => cw.clone(),
            CvClassWeight::Balanced => {
                let mut counts = vec![0usize; n_classes];
                codes.iter().for_each(|&c| counts[c as usize] += 1);
                let present = counts.iter().filter(|&&c| c > 0).count() as f64;
                counts
                    .iter()
                    .map(|&c| {
                        if c > 0 {
                            codes.len() as f64 / (present * c as f64)
                        } else {
                            0.0
                        }
                    })
                    .collect()
            }
        };
        let class = |c: u32| per_class.get(c as usize).copied().unwrap_or(1.0);
        Some(match w {
            None => codes.iter().map(|&c| class(c)).collect(),
            Some(w) => w.iter().zip(codes).map(|(w, &c)| w * class(c)).collect(),
        })
    }

    /// Per representative alpha, the loss of the held-out rows (sum, and
    /// squared deviations from their mean). Alphas between the same two
    /// steps of the fold tree's pruning path prune it alike: their losses
    /// are computed once.
    pub(super) fn fold_losses(
        &self,
        model: &CartModel,
        x: Features<'_>,
        y: CvTarget<'_>,
        sample_weight: Option<&[f64]>,
        held: &[usize],
        reps: &[f64],
    ) -> Result<FoldLoss> {
        let xh = x.select_rows(held);
        let weight = |r: usize| sample_weight.map_or(1.0, |w| w[r]);
        let limits = running_max(&model.cost_complexity_pruning_path().0);
        let mut out = Vec::with_capacity(reps.len());
        let mut last: Option<(usize, (f64, f64))> = None;
        let mut losses = vec![0.0; held.len()];
        for &a in reps {
            self.p.interrupt.check()?;
            let key = limits.partition_point(|&m| m <= a);
            if let Some((k, loss)) = last {
                if k == key {
                    out.push(loss);
                    continue;
                }
            }
            let pruned = model.pruned(a);
            let leaves = pruned.apply(xh.view())?;
            for ((loss, &r), &leaf) in losses.iter_mut().zip(held).zip(&leaves) {
                let value = pruned.value.node(leaf);
                *loss = weight(r)
                    * match y {
                        CvTarget::Classes { codes, .. } => {
                            let best =
                                (0..value.len())
                                    .fold(0, |b, i| if value[i] > value[b] { i } else { b });
                            f64::from(u8::from(best != codes[r] as usize))
                        }
                        CvTarget::Values(v) => (v[r] - value[0]).powi(2),
                    };
            }
            let sum: f64 = losses.iter().sum();
            let mean = if held.is_empty() {
                0.0
            } else {
                sum / held.len() as f64
            };
            let m2: f64 = losses.iter().map(|l| (l - mean).powi(2)).sum();
            last = Some((key, (sum, m2)));
            out.push((sum, m2));
        }
        Ok(out)
    }
}
