//! Order statistics (the values of given ranks) without a full sort: small
//! integer ranges are counted; other values are bucketed by the leading
//! bits of their order-preserving integer keys and only the buckets holding
//! a wanted rank are selected in.

/// Widest integer range counted with a histogram instead of selection.
const HISTOGRAM_SPAN: f64 = 65_536.0;
/// log2 of the buckets of the selection path.
const BUCKET_BITS: u32 = 12;

/// The values of the given 0-based ranks (sorted, distinct, below
/// `values.len()`) in ascending order.
pub(super) fn order_statistics(values: &[f64], ranks: &[usize]) -> Vec<f64> {
    // Integral: the value survives a round trip through i64 (a conversion
    // instruction each way; `fract` calls the C library's `trunc` where
    // the target has no rounding instruction). Integers beyond the i64
    // range fail the test and go to selection, as their span would.
    let (min, max, integral) = values.iter().fold(
        (f64::INFINITY, f64::NEG_INFINITY, true),
        |(lo, hi, int), &v| (lo.min(v), hi.max(v), int && (v as i64) as f64 == v),
    );
    if integral && max - min < HISTOGRAM_SPAN {
        return by_counting(values, ranks, min, (max - min) as usize + 1);
    }
    by_selection(values, ranks)
}

fn by_counting(values: &[f64], ranks: &[usize], min: f64, span: usize) -> Vec<f64> {
    let mut counts = vec![0usize; span];
    for &v in values {
        counts[(v - min) as usize] += 1;
    }
    let mut out = Vec::with_capacity(ranks.len());
    let (mut seen, mut bucket) = (0usize, 0usize);
    for &r in ranks {
        // Smallest bucket whose cumulative count exceeds rank r.
        while seen + counts[bucket] <= r {
            seen += counts[bucket];
            bucket += 1;
        }
        out.push(min + bucket as f64);
    }
    out
}

/// An integer whose order is `f64::total_cmp`'s.
#[inline]
fn order_key(v: f64) -> u64 {
    let bits = v.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

/// Buckets the values by the leading bits of `order_key(v) - lowest key`
/// (at most 2^[`BUCKET_BITS`] buckets, in value order), counts them, then
/// copies out the values of the buckets that hold a wanted rank and selects
/// within those alone: three passes over the data instead of one
/// selection per rank.
fn by_selection(values: &[f64], ranks: &[usize]) -> Vec<f64> {
    let (lo, hi) = values.iter().fold((u64::MAX, 0u64), |(lo, hi), &v| {
        let k = order_key(v);
        (lo.min(k), hi.max(k))
    });
    let span_bits = 64 - (hi - lo).leading_zeros();
    let shift = span_bits.saturating_sub(BUCKET_BITS);
    let bucket = |v: f64| ((order_key(v) - lo) >> shift) as usize;
    let mut counts = vec![0usize; ((hi - lo) >> shift) as usize + 1];
    for &v in values {
        counts[bucket(v)] += 1;
    }
    // The bucket of each rank, and the rank within it.
    let mut wanted: Vec<(usize, usize)> = Vec::with_capacity(ranks.len());
    let (mut seen, mut b) = (0usize, 0usize);
    for &r in ranks {
        while seen + counts[b] <= r {
            seen += counts[b];
            b += 1;
        }
        wanted.push((b, r - seen));
    }
    // Each wanted bucket's values, in one pass.
    let mut slot = vec![usize::MAX; counts.len()];
    let mut held: Vec<Vec<f64>> = Vec::new();
    for &(b, _) in &wanted {
        if slot[b] == usize::MAX {
            slot[b] = held.len();
            held.push(Vec::with_capacity(counts[b]));
        }
    }
    for &v in values {
        let s = slot[bucket(v)];
        if s != usize::MAX {
            held[s].push(v);
        }
    }
    // Ranks ascend, so within a bucket each selection leaves the next
    // rank's value to the right of the last one selected.
    let mut from = vec![0usize; held.len()];
    wanted
        .iter()
        .map(|&(b, r)| {
            let s = slot[b];
            let part = &mut held[s][from[s]..];
            let (_, v, _) = part.select_nth_unstable_by(r - from[s], f64::total_cmp);
            let v = *v;
            from[s] = r + 1;
            v
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn by_sort(values: &[f64], ranks: &[usize]) -> Vec<f64> {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        ranks.iter().map(|&r| sorted[r]).collect()
    }

    #[test]
    fn integers_beyond_i64_and_signed_zeros_are_ordered() {
        // 1e19 and -1e19 are integral but outside i64: the selection path.
        let values = [1e19, 3.0, -1e19, 2.0, -0.0, 0.0, 2.5e18];
        let ranks: Vec<usize> = (0..values.len()).collect();
        assert_eq!(order_statistics(&values, &ranks), by_sort(&values, &ranks));
        // Small integers with both zeros: the counting path (zeros equal).
        let values = [2.0, -0.0, 1.0, 0.0, -3.0];
        let got = order_statistics(&values, &[0, 1, 2, 3, 4]);
        assert_eq!(got, [-3.0, 0.0, 0.0, 1.0, 2.0]);
    }

    #[test]
    fn counting_and_selection_agree() {
        // Small integers are counted, large or fractional ones selected.
        let ints: Vec<f64> = (0..1000).map(|i| f64::from((i * 37) % 101)).collect();
        let ranks = [0, 1, 499, 500, 998, 999];
        assert_eq!(order_statistics(&ints, &ranks), by_selection(&ints, &ranks));
        assert_eq!(order_statistics(&ints, &ranks), by_sort(&ints, &ranks));
    }

    #[test]
    fn keys_order_as_total_cmp() {
        let values = [
            f64::NEG_INFINITY,
            -1e300,
            -1.0,
            -0.0,
            0.0,
            1e-300,
            1.0,
            2.5,
            f64::INFINITY,
        ];
        for w in values.windows(2) {
            assert!(order_key(w[0]) < order_key(w[1]), "{} {}", w[0], w[1]);
        }
    }

    proptest! {
        /// Selection gives the sorted values' ranks: skewed, negative,
        /// tied and single-valued data, a few ranks or many.
        #[test]
        fn selection_equals_a_full_sort(
            values in proptest::collection::vec(
                prop_oneof![
                    -1e6f64..1e6,
                    (0.0f64..12.0).prop_map(f64::exp),
                    Just(3.25),
                    (0i32..5).prop_map(|i| f64::from(i) * 0.5),
                ],
                1..400,
            ),
            picks in proptest::collection::vec(0.0f64..1.0, 1..12),
        ) {
            let n = values.len();
            let mut ranks: Vec<usize> = picks.iter().map(|p| (p * n as f64) as usize % n).collect();
            ranks.sort_unstable();
            ranks.dedup();
            prop_assert_eq!(by_selection(&values, &ranks), by_sort(&values, &ranks));
        }
    }
}
