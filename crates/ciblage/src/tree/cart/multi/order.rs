//! scikit-learn's in-place orders of a node's samples: its introsort of a
//! feature's values (`simultaneous_sort` with the three-way partition:
//! median-of-three pivot, heapsort past depth `2·log2(n)`, insertion sort
//! below 16 values) and its swap partitions. The node's sums are
//! added in the order of its samples, so keeping scikit-learn's order keeps
//! its rounding: candidates equal in exact arithmetic compare as there.

/// Swaps positions `i` and `j` of both arrays.
#[inline]
fn swap(values: &mut [f32], samples: &mut [u32], i: usize, j: usize) {
    values.swap(i, j);
    samples.swap(i, j);
}

/// A value and its sample, moved together by the sort (one 8-byte swap).
type Pair = (f32, u32);

/// Median of the first, middle and last values (Bentley and McIlroy).
fn median3(v: &[Pair]) -> f32 {
    let n = v.len();
    let (a, b, c) = (v[0].0, v[n / 2].0, v[n - 1].0);
    if a < b {
        if b < c {
            b
        } else if a < c {
            c
        } else {
            a
        }
    } else if b < c {
        if a < c {
            a
        } else {
            c
        }
    } else {
        b
    }
}

/// Sorts `values` ascending, moving `samples` alongside, exactly as
/// scikit-learn's `sort` (so that ties end in its order); `scratch` holds
/// the pairs while they are sorted.
pub(crate) fn sort(values: &mut [f32], samples: &mut [u32], scratch: &mut Vec<Pair>) {
    let n = values.len();
    if n == 0 {
        return;
    }
    scratch.clear();
    scratch.extend(values.iter().copied().zip(samples.iter().copied()));
    let maxd = 2 * ((n as f64).log2() as usize);
    introsort(scratch, maxd);
    for ((v, s), &(pv, ps)) in values
        .iter_mut()
        .zip(samples.iter_mut())
        .zip(scratch.iter())
    {
        *v = pv;
        *s = ps;
    }
}

fn introsort(mut pairs: &mut [Pair], mut maxd: usize) {
    while pairs.len() > 15 {
        if maxd == 0 {
            heapsort(pairs);
            return;
        }
        maxd -= 1;
        let pivot = median3(pairs);
        let (mut i, mut l, mut r) = (0, 0, pairs.len());
        while i < r {
            let v = pairs[i].0;
            if v < pivot {
                pairs.swap(i, l);
                i += 1;
                l += 1;
            } else if v > pivot {
                r -= 1;
                pairs.swap(i, r);
            } else {
                i += 1;
            }
        }
        introsort(&mut pairs[..l], maxd);
        pairs = &mut pairs[r..];
    }
    insertion_sort(pairs);
}

/// Insertion sort (stable).
fn insertion_sort(pairs: &mut [Pair]) {
    for i in 1..pairs.len() {
        let p = pairs[i];
        let mut j = i;
        while j > 0 && pairs[j - 1].0 > p.0 {
            pairs[j] = pairs[j - 1];
            j -= 1;
        }
        pairs[j] = p;
    }
}

/// Restores heap order in `start..end` by moving the largest down.
fn sift_down(pairs: &mut [Pair], start: usize, end: usize) {
    let mut root = start;
    loop {
        let child = root * 2 + 1;
        let mut maxind = root;
        if child < end && pairs[maxind].0 < pairs[child].0 {
            maxind = child;
        }
        if child + 1 < end && pairs[maxind].0 < pairs[child + 1].0 {
            maxind = child + 1;
        }
        if maxind == root {
            break;
        }
        pairs.swap(root, maxind);
        root = maxind;
    }
}

fn heapsort(pairs: &mut [Pair]) {
    let n = pairs.len();
    let mut start = (n - 2) / 2;
    loop {
        sift_down(pairs, start, n);
        if start == 0 {
            break;
        }
        start -= 1;
    }
    let mut end = n - 1;
    while end > 0 {
        pairs.swap(0, end);
        sift_down(pairs, 0, end);
        end -= 1;
    }
}

/// scikit-learn's `partition_samples` (and `partition_samples_final`,
/// which reads the same values): the samples whose value goes left by
/// `goes_left` moved first by swaps with the end (values moved alongside);
/// returns how many.
pub(crate) fn partition_by(
    values: &mut [f32],
    samples: &mut [u32],
    goes_left: impl Fn(f32) -> bool,
) -> usize {
    let (mut p, mut end) = (0, values.len());
    while p < end {
        if goes_left(values[p]) {
            p += 1;
        } else {
            end -= 1;
            swap(values, samples, p, end);
        }
    }
    end
}

/// scikit-learn's move of the samples missing a feature (NaN) to the end
/// before its sort (`sort_samples_and_feature_values` of a feature missing
/// some value): the last present sample swapped in for each missing one
/// met from the front; returns how many are missing.
pub(crate) fn move_missing_last(values: &mut [f32], samples: &mut [u32]) -> usize {
    let mut n_missing = 0;
    let (mut i, mut last) = (0usize, values.len());
    // `last` is one past scikit-learn's `current_end`.
    while i < last {
        if values[last - 1].is_nan() {
            n_missing += 1;
            last -= 1;
            continue;
        }
        if values[i].is_nan() {
            swap(values, samples, i, last - 1);
            n_missing += 1;
            last -= 1;
        }
        i += 1;
    }
    n_missing
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_with_samples_alongside_and_partitions_by_swaps() {
        // Long enough (and repetitive) for the three-way partition and the
        // heapsort fallback to take part.
        let mut values: Vec<f32> = (0..200).map(|i| ((i * 37) % 23) as f32).collect();
        let mut samples: Vec<u32> = (0..200).collect();
        let orig = values.clone();
        sort(&mut values, &mut samples, &mut Vec::new());
        assert!(values.windows(2).all(|w| w[0] <= w[1]));
        assert!(samples
            .iter()
            .zip(&values)
            .all(|(&s, &v)| orig[s as usize] == v));
        // Swap partition: [3, 1, 4, 1, 5] at 2: p=0: 3 > 2, swapped with
        // the last (5): [5,1,4,1,3]; 5 > 2, swapped with 1: [1,1,4,5,3];
        // p=0,1 go left; p=2: 4 > 2, end 2: stop.
        let mut v = vec![3.0, 1.0, 4.0, 1.0, 5.0];
        let mut s = vec![0, 1, 2, 3, 4];
        assert_eq!(partition_by(&mut v, &mut s, |x| f64::from(x) <= 2.0), 2);
        assert_eq!(s, [3, 1, 2, 4, 0]);
        // Missing values moved last: [NaN, 1, NaN, 2, NaN]: the last is
        // missing (end 4), the first swapped with position 3 (2):
        // [2, 1, NaN, NaN, NaN], then i=1 present, i=2 ... end 2: stop.
        let nan = f32::NAN;
        let mut v = vec![nan, 1.0, nan, 2.0, nan];
        let mut s = vec![0, 1, 2, 3, 4];
        assert_eq!(move_missing_last(&mut v, &mut s), 3);
        assert_eq!(&s[..2], &[3, 1]);
        assert!(v[2..].iter().all(|x| x.is_nan()));
    }
}
