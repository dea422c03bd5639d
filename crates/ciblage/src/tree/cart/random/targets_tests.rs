//! Tests of the node-ordered targets: the f32 threshold, the left sums
//! against sums counted one by one, the partition.

use super::super::partition::Isa;
use super::*;

#[test]
fn the_f32_threshold_compares_as_the_f64_one() {
    // Thresholds just above, at and below f32 values, and between.
    let vals = [0.1f32, 0.2, 1.0, -3.5, 1e-30, 3.0e38];
    for &v in &vals {
        let d = f64::from(v);
        for t in [
            d,
            d + d.abs() * 1e-12,
            d - d.abs() * 1e-12,
            d * 0.5,
            d * 1.5,
        ] {
            for &w in &vals {
                let expected = f64::from(w) <= t;
                assert_eq!(w <= threshold_f32(t), expected, "{w} <= {t}");
                assert_eq!(w.next_up() <= threshold_f32(t), f64::from(w.next_up()) <= t);
                assert_eq!(
                    w.next_down() <= threshold_f32(t),
                    f64::from(w.next_down()) <= t
                );
            }
        }
    }
}

#[test]
fn a_threshold_just_below_zero_is_the_least_negative_f32() {
    let t = threshold_f32(-1e-50);
    assert_eq!(t, -f32::from_bits(1));
    assert!(f64::from(t) <= -1e-50 && t < 0.0);
}

fn targets(codes: Vec<u32>, y: Vec<f64>, w: Vec<f64>, n_classes: usize) -> NodeTargets {
    let wy = if w.is_empty() || y.is_empty() {
        Vec::new()
    } else {
        w.iter().zip(&y).map(|(w, y)| w * y).collect()
    };
    NodeTargets {
        codes: Codes::new(codes, n_classes),
        y,
        w,
        wy,
        n_classes,
        isa: Isa::detect(),
        scratch_u8: Vec::new(),
        scratch_u32: Vec::new(),
        scratch_f64: Vec::new(),
    }
}

/// Targets of `n_classes` classes (more than 256) whose codes are held as
/// u32.
fn wide(codes: Vec<u32>, w: Vec<f64>, n_classes: usize) -> NodeTargets {
    assert!(n_classes > 256);
    let t = targets(codes, Vec::new(), w, n_classes);
    assert!(matches!(t.codes, Codes::Wide(_)));
    t
}

/// The left sums counted one sample at a time.
fn naive(t: &NodeTargets, start: usize, vals: &[f32], th: f32, ml: bool) -> (usize, f64, Vec<f64>) {
    let width = t.n_classes.max(1);
    let (mut n, mut w, mut left) = (0, 0.0, vec![0.0; width]);
    for (q, &v) in vals.iter().enumerate() {
        let i = start + q;
        if (v.is_nan() && ml) || v <= th {
            let ws = if t.unit() { 1.0 } else { t.w[i] };
            n += 1;
            w += ws;
            if t.n_classes == 0 {
                left[0] += ws * t.y[i];
            } else {
                left[t.codes.at(i)] += ws;
            }
        }
    }
    (n, w, left)
}

#[test]
fn left_sums_are_those_counted_one_by_one() {
    let n = 37;
    let vals: Vec<f32> = (0..n)
        .map(|i| {
            if i % 9 == 4 {
                f32::NAN
            } else {
                ((i * 7) % 11) as f32
            }
        })
        .collect();
    let codes2: Vec<u32> = (0..n + 3).map(|i| (i % 2) as u32).collect();
    let codes3: Vec<u32> = (0..n + 3).map(|i| ((i * 5) % 3) as u32).collect();
    let codes3b: Vec<u32> = codes3.iter().map(|&c| c * 100 + 7).collect();
    let y: Vec<f64> = (0..n + 3).map(|i| i as f64 * 0.25 - 3.0).collect();
    // Weights of few bits: every sum is exact in any order.
    let w: Vec<f64> = (0..n + 3).map(|i| ((i % 4) as f64) * 0.5).collect();
    let cases = [
        targets(codes2.clone(), Vec::new(), Vec::new(), 2),
        targets(codes2, Vec::new(), w.clone(), 2),
        targets(codes3.clone(), Vec::new(), Vec::new(), 3),
        targets(codes3, Vec::new(), w.clone(), 3),
        targets(Vec::new(), y.clone(), Vec::new(), 0),
        targets(Vec::new(), y, w.clone(), 0),
        // Codes of more than 256 classes are held as u32 (the same sums).
        wide(codes3b.clone(), Vec::new(), 300),
        wide(codes3b, w, 300),
    ];
    for t in &cases {
        for th in [-1.0f32, 0.0, 4.5, 5.0, 20.0] {
            for ml in [false, true] {
                let mut left = vec![0.0; t.n_classes.max(1)];
                let got = t.dense_left(3, &vals, (th, ml), &mut left);
                let (n, w, expected) = naive(t, 3, &vals, th, ml);
                assert_eq!((got.n, got.w, left.clone()), (n, w, expected.clone()));
                // The same values as sparse entries (every position
                // stored): the same left sums, and the stored sums are
                // the node's.
                let at: Vec<u32> = (0..vals.len() as u32).collect();
                let (mut l2, mut s2) = (vec![0.0; left.len()], vec![0.0; left.len()]);
                let (gl, gs) = t.entries_left(3, (&at, &vals), (th, ml), (&mut l2, &mut s2));
                assert_eq!((gl.n, gl.w, l2), (n, w, expected));
                assert_eq!(gs.n, vals.len());
                let (all_n, all_w, all) = naive(t, 3, &vals, f32::INFINITY, true);
                assert_eq!((gs.n, gs.w, s2), (all_n, all_w, all));
            }
        }
    }
}

#[test]
fn a_partition_keeps_each_sides_order_in_every_array() {
    let mut t = targets(
        Vec::new(),
        (0..10).map(f64::from).collect(),
        vec![2.0; 10],
        0,
    );
    let mut samples: Vec<u32> = (100..110).collect();
    // Positions 2..8; those of odd sample go left.
    let mask: Vec<u8> = samples[2..8].iter().map(|&s| (s % 2) as u8).collect();
    let pos = t.partition(&mut samples, 2, &Mask::of(Isa::detect(), &mask));
    assert_eq!(pos, 3);
    assert_eq!(samples, [100, 101, 103, 105, 107, 102, 104, 106, 108, 109]);
    assert_eq!(t.y, [0.0, 1.0, 3.0, 5.0, 7.0, 2.0, 4.0, 6.0, 8.0, 9.0]);
    assert_eq!(
        t.wy,
        [0.0, 2.0, 6.0, 10.0, 14.0, 4.0, 8.0, 12.0, 16.0, 18.0]
    );
    let (total, sq, w) = t.node_sums(2, 5);
    // Left child: y 3, 5, 7 of weight 2: Σwy = 30, Σwy² = 2·83, w = 6.
    assert_eq!((total[0], sq, w), (30.0, 166.0, 6.0));
}

#[test]
fn class_codes_are_partitioned_and_summed_in_either_width() {
    // Classes 0, 1, 2 (bytes) and 0, 100, 299 (u32): positions 1..6 of
    // seven, those of an even position go left.
    let small = vec![0u32, 1, 2, 1, 0, 2, 1];
    let big: Vec<u32> = small.iter().map(|&c| [0, 100, 299][c as usize]).collect();
    for (codes, n_classes) in [(small, 3), (big, 300)] {
        let mut t = targets(codes.clone(), Vec::new(), Vec::new(), n_classes);
        let mut samples: Vec<u32> = (0..7).collect();
        let mask: Vec<u8> = (1..6).map(|p| u8::from(p % 2 == 0)).collect();
        assert_eq!(
            t.partition(&mut samples, 1, &Mask::of(Isa::detect(), &mask)),
            2
        );
        assert_eq!(samples, [0, 2, 4, 1, 3, 5, 6]);
        let moved: Vec<usize> = (0..7).map(|i| t.codes.at(i)).collect();
        let expected: Vec<usize> = samples
            .iter()
            .map(|&s| codes[s as usize] as usize)
            .collect();
        assert_eq!(moved, expected);
        // Positions 1..3 hold samples 2 and 4: one of the class of
        // sample 2, one of sample 4's (0).
        let (total, _, w) = t.node_sums(1, 3);
        assert_eq!(w, 2.0);
        assert_eq!(total[codes[2] as usize], 1.0);
        assert_eq!(total[0], 1.0);
        assert_eq!(total.iter().sum::<f64>(), 2.0);
    }
}
