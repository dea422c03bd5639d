//! scikit-learn's random feature draw, shared by both splitters: at each
//! node, features are drawn without replacement from its xorshift
//! generator until `max_features` non-constant ones were searched (or every
//! feature was), skipping those known constant in the parent; the features
//! found constant are remembered for the node's children.

use crate::interrupt::Interrupt;

/// The draw's state, carried from node to node: the features in their
/// current order, the constant ones found so far, the generator.
#[derive(Debug, Default)]
pub(crate) struct FeatureDraw {
    features: Vec<usize>,
    constant_features: Vec<usize>,
    rand: u32,
    /// Features to search at each node, at most the number of features.
    max_features: usize,
}

impl FeatureDraw {
    /// The draw over `d` features, `max_features` searched per node, the
    /// generator in state `seed`.
    pub(crate) fn new(d: usize, max_features: usize, seed: u32) -> Self {
        Self {
            features: (0..d).collect(),
            constant_features: vec![0; d],
            rand: seed,
            max_features,
        }
    }

    /// The same draw (features in the same order, the same known
    /// constants) with its generator in state `seed`.
    pub(crate) fn fork(&self, seed: u32) -> Self {
        Self {
            features: self.features.clone(),
            constant_features: self.constant_features.clone(),
            rand: seed,
            max_features: self.max_features,
        }
    }

    /// Draws the features of one node in scikit-learn's order and calls
    /// `search(feature)` on each, which returns false when the feature is
    /// constant in the node. `n_constant` is the number of features known
    /// constant in the parent, updated in place. Stops between features
    /// once `interrupt` is set (the fit then returns an error).
    #[inline]
    pub(crate) fn draw(
        &mut self,
        n_constant: &mut usize,
        interrupt: &Interrupt,
        mut search: impl FnMut(usize) -> bool,
    ) {
        self.draw_with(n_constant, interrupt, |feature, _| search(feature));
    }

    /// The features known constant in the node whose draw set `n_constant`
    /// to `n` (its ancestors' and those it found).
    pub(crate) fn constants(&self, n: usize) -> &[usize] {
        &self.constant_features[..n]
    }

    /// [`FeatureDraw::draw`], `search` also given the generator's state:
    /// the random splitter draws its thresholds from the same stream, as
    /// scikit-learn's does.
    #[inline]
    pub(crate) fn draw_with(
        &mut self,
        n_constant: &mut usize,
        interrupt: &Interrupt,
        mut search: impl FnMut(usize, &mut u32) -> bool,
    ) {
        let mut f_i = self.features.len();
        let (mut n_visited, mut n_found, mut n_drawn) = (0usize, 0usize, 0usize);
        let n_known = *n_constant;
        let mut n_total = n_known;
        while f_i > n_total && (n_visited < self.max_features || n_visited <= n_found + n_drawn) {
            if interrupt.is_set() {
                // The fit returns `Interrupted`: this node's split is moot.
                break;
            }
            n_visited += 1;
            let mut f_j = rand_int(&mut self.rand, n_drawn, f_i - n_found);
            if f_j < n_known {
                self.features.swap(n_drawn, f_j);
                n_drawn += 1;
                continue;
            }
            f_j += n_found;
            let feature = self.features[f_j];
            if !search(feature, &mut self.rand) {
                self.features.swap(f_j, n_total);
                n_found += 1;
                n_total += 1;
                continue;
            }
            f_i -= 1;
            self.features.swap(f_i, f_j);
        }
        // Known constants keep their order for siblings and children; newly
        // found ones are recorded.
        self.features[..n_known].copy_from_slice(&self.constant_features[..n_known]);
        self.constant_features[n_known..n_known + n_found]
            .copy_from_slice(&self.features[n_known..n_known + n_found]);
        *n_constant = n_total;
    }
}

/// scikit-learn's `rand_uniform(low, high)`: a value in `[low, high)`
/// from its xorshift state.
pub(crate) fn rand_uniform(state: &mut u32, low: f64, high: f64) -> f64 {
    (high - low) * f64::from(next_u31(state)) / f64::from(i32::MAX as u32) + low
}

/// scikit-learn's `our_rand_r`: the next state, reduced to 0..=2^31 - 1.
fn next_u31(state: &mut u32) -> u32 {
    if *state == 0 {
        *state = 1;
    }
    *state ^= *state << 13;
    *state ^= *state >> 17;
    *state ^= *state << 5;
    *state % (i32::MAX as u32 + 1)
}

/// scikit-learn's `rand_int(low, high)` on its xorshift state.
pub(crate) fn rand_int(state: &mut u32, low: usize, high: usize) -> usize {
    let r = next_u31(state);
    // Features number fewer than 2^32: a 32-bit remainder.
    let span = u32::try_from(high - low).unwrap_or(u32::MAX);
    low + (r % span) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_is_scikit_learns_xorshift() {
        // State 1: 1 ^ 1 << 13 = 8193; ^ 8193 >> 17 = 8193;
        // ^ 8193 << 5 = 8193 ^ 262176 = 270369; 270369 % 10 = 9.
        let mut s = 1;
        assert_eq!(rand_int(&mut s, 0, 10), 9);
        assert_eq!(s, 270_369);
        // State 0 is read as 1.
        let mut z = 0;
        assert_eq!(rand_int(&mut z, 0, 10), 9);
    }

    #[test]
    fn every_feature_is_searched_once_and_constants_are_remembered() {
        let mut draw = FeatureDraw::new(5, 5, 7);
        let mut seen = Vec::new();
        let mut n_constant = 0;
        draw.draw(&mut n_constant, &Interrupt::default(), |f| {
            seen.push(f);
            f != 3
        });
        seen.sort_unstable();
        assert_eq!(seen, [0, 1, 2, 3, 4]);
        assert_eq!(n_constant, 1);
        // In a child, feature 3 is known constant: never searched again.
        let mut again = Vec::new();
        draw.draw(&mut n_constant, &Interrupt::default(), |f| {
            again.push(f);
            true
        });
        again.sort_unstable();
        assert_eq!(again, [0, 1, 2, 4]);
    }
}
