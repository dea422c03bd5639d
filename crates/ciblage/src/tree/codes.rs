//! Coding integer columns into dense category codes.

use rayon::prelude::*;

/// Rows per parallel task when coding.
const CHUNK: usize = 1 << 16;

/// The sorted distinct values of `values` and each value's position among
/// them, found by counting over the value range instead of sorting. `None`
/// for empty input or a range wider than `max(65,536, values.len())`, where
/// sorting is the better method.
///
/// ```
/// use ciblage::tree::small_int_codes;
/// let (distinct, codes) = small_int_codes(&[30, 10, 30, 20]).unwrap();
/// assert_eq!(distinct, [10, 20, 30]);
/// assert_eq!(codes, [2, 0, 2, 1]);
/// ```
pub fn small_int_codes(values: &[i64]) -> Option<(Vec<i64>, Vec<u32>)> {
    let (lo, hi) = values
        .par_chunks(CHUNK)
        .map(|c| {
            c.iter()
                .fold((i64::MAX, i64::MIN), |(l, h), &v| (l.min(v), h.max(v)))
        })
        .reduce(|| (i64::MAX, i64::MIN), |a, b| (a.0.min(b.0), a.1.max(b.1)));
    if values.is_empty() || i128::from(hi) - i128::from(lo) > (1 << 16).max(values.len()) as i128 {
        return None;
    }
    let width = (hi - lo) as usize + 1;
    // Offsets from the minimum, marking the values present (per task for
    // narrow ranges, afterwards otherwise).
    let mut codes = vec![0u32; values.len()];
    let local_marks = width <= 4096;
    let marks: Vec<Vec<bool>> = codes
        .par_chunks_mut(CHUNK)
        .zip(values.par_chunks(CHUNK))
        .map(|(out, v)| {
            let mut present = vec![false; if local_marks { width } else { 0 }];
            for (o, &x) in out.iter_mut().zip(v) {
                *o = (x - lo) as u32;
            }
            if local_marks {
                out.iter().for_each(|&o| present[o as usize] = true);
            }
            present
        })
        .collect();
    let mut present = vec![false; width];
    if local_marks {
        for m in &marks {
            present.iter_mut().zip(m).for_each(|(p, &q)| *p |= q);
        }
    } else {
        codes.iter().for_each(|&o| present[o as usize] = true);
    }
    let distinct: Vec<i64> = (0..width)
        .filter(|&o| present[o])
        .map(|o| lo + o as i64)
        .collect();
    if distinct.len() < width {
        // Gaps in the range: offsets become ranks among the present values.
        let mut rank = vec![0u32; width];
        let mut next = 0;
        for (r, &p) in rank.iter_mut().zip(&present) {
            *r = next;
            next += u32::from(p);
        }
        codes
            .par_chunks_mut(CHUNK)
            .for_each(|c| c.iter_mut().for_each(|o| *o = rank[*o as usize]));
    }
    Some((distinct, codes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn codes_index_the_sorted_distinct_values(
            values in prop_oneof![
                prop::collection::vec(-50i64..50, 1..300),
                prop::collection::vec(-30_000i64..30_000, 1..300),
            ]
        ) {
            let (distinct, codes) = small_int_codes(&values).unwrap();
            let mut want = values.clone();
            want.sort_unstable();
            want.dedup();
            prop_assert_eq!(&distinct, &want);
            for (v, c) in values.iter().zip(&codes) {
                prop_assert_eq!(distinct[*c as usize], *v);
            }
        }
    }

    #[test]
    fn several_tasks_with_gaps_in_the_range() {
        // 200,000 rows (four tasks) of the values 3, 7 and 10, range 3..=10.
        let values: Vec<i64> = (0..200_000).map(|i| [3, 7, 10][i % 3]).collect();
        let (distinct, codes) = small_int_codes(&values).unwrap();
        assert_eq!(distinct, [3, 7, 10]);
        assert!(codes.iter().enumerate().all(|(i, &c)| c as usize == i % 3));
    }

    #[test]
    fn wide_ranges_and_empty_input_are_left_to_sorting() {
        assert!(small_int_codes(&[]).is_none());
        assert!(small_int_codes(&[0, 1 << 20]).is_none());
        assert!(small_int_codes(&[i64::MIN, i64::MAX]).is_none());
        assert_eq!(small_int_codes(&[7]).unwrap(), (vec![7], vec![0]));
    }
}
