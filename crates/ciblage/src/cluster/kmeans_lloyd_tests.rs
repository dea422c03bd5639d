//! Tests of Lloyd's pass: labels and sums against direct computations, ties,
//! the same bits at every group width and instruction set.

use super::*;

/// Labels and sums against a direct computation, for widths with and
/// without a fixed-width path, with weights, several chunks.
#[test]
fn pass_matches_direct_distances() {
    for d in [1usize, 3, 8, 17] {
        let n = CHUNK + 123;
        let k = 6;
        // Values of a small linear congruential sequence in [-5, 5).
        let mut s = 12345u64;
        let mut next = || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64 * 10.0 - 5.0
        };
        let x: Vec<f64> = (0..n * d).map(|_| next()).collect();
        let w: Vec<f64> = (0..n).map(|i| 1.0 + (i % 3) as f64).collect();
        let centers: Vec<f64> = (0..k * d).map(|_| next()).collect();
        let data = Data {
            x: &x,
            n,
            d,
            w: Some(&w),
        };
        let mut labels = vec![u32::MAX; n];
        let out = Lloyd::new(&data, k).pass(&data, &centers, &mut labels, Tally::Sums);
        assert_eq!(out.changed, n);
        let mut sums = vec![0.0; k * d];
        let mut weights = vec![0.0; k];
        for i in 0..n {
            let row = &x[i * d..(i + 1) * d];
            let dist = |j: usize| -> f64 {
                row.iter()
                    .zip(&centers[j * d..(j + 1) * d])
                    .map(|(a, b)| (a - b) * (a - b))
                    .sum()
            };
            let j = labels[i] as usize;
            let dj = dist(j);
            for other in 0..k {
                assert!(dj <= dist(other) + 1e-9, "d={d} row {i}");
            }
            weights[j] += w[i];
            for f in 0..d {
                sums[j * d + f] += w[i] * row[f];
            }
        }
        for (a, b) in out.weights.iter().zip(&weights) {
            assert!((a - b).abs() < 1e-9);
        }
        for (a, b) in out.sums.iter().zip(&sums) {
            assert!((a - b).abs() < 1e-7 * (1.0 + b.abs()));
        }
        let again = Lloyd::new(&data, k).pass(&data, &centers, &mut labels, Tally::Inertia);
        assert_eq!(again.changed, 0);
    }
}

/// The labels and sums are the same bits as a plain row-by-row loop of
/// the same arithmetic (`‖c‖²` then `+ x_f × (−2 c_f)` over the
/// features in order, the first of the least; sums added in row
/// order), for a fixed-width and a wide row, with a last partial group
/// in the last chunk, with and without weights.
#[test]
fn groups_match_a_row_by_row_loop_bit_for_bit() {
    let mut s = 424242u64;
    let mut next = || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 11) as f64 / (1u64 << 53) as f64 * 8.0 - 4.0
    };
    for d in [8usize, 17] {
        for weighted in [false, true] {
            let (n, k) = (2 * CHUNK + 13, 7);
            let x: Vec<f64> = (0..n * d).map(|_| next()).collect();
            let w: Vec<f64> = (0..n).map(|i| 0.25 + (i % 5) as f64).collect();
            let centers: Vec<f64> = (0..k * d).map(|_| next()).collect();
            let data = Data {
                x: &x,
                n,
                d,
                w: weighted.then_some(&w[..]),
            };
            let mut labels = vec![u32::MAX; n];
            let out = Lloyd::new(&data, k).pass(&data, &centers, &mut labels, Tally::Sums);
            let mut sums = vec![0.0; k * d];
            let mut weights = vec![0.0; k];
            let mut chunk_sums = vec![0.0; k * d + k];
            for i in 0..n {
                let row = &x[i * d..(i + 1) * d];
                let mut best = (0usize, f64::INFINITY);
                for j in 0..k {
                    let c = &centers[j * d..(j + 1) * d];
                    let mut dist = 0.0;
                    for v in c {
                        dist += v * v;
                    }
                    for f in 0..d {
                        dist += row[f] * (-2.0 * c[f]);
                    }
                    if dist < best.1 {
                        best = (j, dist);
                    }
                }
                let j = best.0;
                assert_eq!(labels[i], j as u32, "d={d} row {i}");
                let wi = if weighted { w[i] } else { 1.0 };
                for f in 0..d {
                    chunk_sums[j * d + f] += wi * row[f];
                }
                chunk_sums[k * d + j] += wi;
                if (i + 1) % CHUNK == 0 || i + 1 == n {
                    for (t, v) in sums.iter_mut().zip(&chunk_sums[..k * d]) {
                        *t += v;
                    }
                    for (t, v) in weights.iter_mut().zip(&chunk_sums[k * d..]) {
                        *t += v;
                    }
                    chunk_sums.fill(0.0);
                }
            }
            assert!(out.sums == sums, "d={d} weighted={weighted}");
            assert!(out.weights == weights, "d={d} weighted={weighted}");
        }
    }
}

/// Equal distances go to the first centre, whatever its lane or block;
/// a single centre takes every row.
#[test]
fn ties_go_to_the_first_centre() {
    let x = [0.0, 0.0, 4.0, 0.0, 2.0, 0.0, 9.0, 9.0];
    let data = Data {
        x: &x,
        n: 4,
        d: 2,
        w: None,
    };
    // Centres 1 and 4 equal, 2 and 3 equal; row (2, 0) is as far from
    // centres 0 and 1 as from 4 (distance 2): centre 0.
    let centers = [0.0, 0.0, 4.0, 0.0, 9.0, 9.0, 9.0, 9.0, 4.0, 0.0];
    let mut labels = vec![u32::MAX; 4];
    let out = Lloyd::new(&data, 5).pass(&data, &centers, &mut labels, Tally::Sums);
    assert_eq!(labels, vec![0, 1, 0, 2]);
    assert_eq!(out.weights, vec![2.0, 1.0, 1.0, 0.0, 0.0]);
    assert_eq!(&out.sums[..4], &[2.0, 0.0, 4.0, 0.0]);
    let out = Lloyd::new(&data, 1).pass(&data, &centers[..2], &mut labels, Tally::Sums);
    assert_eq!(labels, vec![0; 4]);
    assert_eq!(out.sums, vec![15.0, 9.0]);
    assert_eq!(out.changed, 2);
}

/// The labels and sums are the same bits whatever the width and the
/// instructions: on a grid of small integers (exact distances, many
/// ties) and on random values, for widths with and without a
/// fixed-width path, k below, at and above a block.
#[test]
fn every_width_gives_the_same_bits() {
    let mut s = 987654321u64;
    let mut next = || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    for grid in [true, false] {
        for d in [1usize, 2, 8, 19] {
            for k in [1usize, 3, 4, 5, 10, 13] {
                let n = CHUNK + 777;
                let mut value = || {
                    let v = next() * 6.0 - 3.0;
                    if grid {
                        v.round()
                    } else {
                        v
                    }
                };
                let x: Vec<f64> = (0..n * d).map(|_| value()).collect();
                let centers: Vec<f64> = (0..k * d).map(|_| value()).collect();
                let w: Vec<f64> = (0..n).map(|i| 0.5 + (i % 4) as f64).collect();
                let data = Data {
                    x: &x,
                    n,
                    d,
                    w: Some(&w),
                };
                let run = |isa: Isa, rows: usize| {
                    let mut labels = vec![u32::MAX; n];
                    let out = Lloyd::with(&data, k, isa, rows).pass(
                        &data,
                        &centers,
                        &mut labels,
                        Tally::Sums,
                    );
                    (labels, out.sums, out.weights, out.changed)
                };
                let base = run(Isa::Base, 2);
                let mut others = vec![run(Isa::Base, 4), run(Isa::Base, 8), run(Isa::Base, 16)];
                #[cfg(target_arch = "x86_64")]
                if let Some(simd) = pulp::x86::V3::try_new() {
                    others.push(run(Isa::V3(simd), ROWS));
                }
                #[cfg(target_arch = "x86_64")]
                if let Some(simd) = pulp::x86::V4::try_new() {
                    others.push(run(Isa::V4(simd), ROWS_V4));
                }
                for other in &others {
                    assert!(base == *other, "grid={grid} d={d} k={k}");
                }
            }
        }
    }
}

/// The labelling pass that adds up the inertia gives the same bits as the
/// separate inertia of its labels (`kmeans_iter::inertia`), at every width
/// and instruction set, with and without weights (one of them a negative
/// zero), and agrees with a plain row-by-row sum; its labels are those of
/// a summing pass, and it leaves the sums at zero.
#[test]
fn inertia_pass_matches_the_separate_inertia_bit_for_bit() {
    use crate::cluster::kmeans_iter::inertia;
    let mut s = 20261207u64;
    let mut next = || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 11) as f64 / (1u64 << 53) as f64 * 12.0 - 6.0
    };
    for d in [3usize, 8, 18] {
        for weighted in [false, true] {
            let (n, k) = (2 * CHUNK + 37, 9);
            let x: Vec<f64> = (0..n * d).map(|_| next()).collect();
            let mut w: Vec<f64> = (0..n).map(|i| 0.5 + (i % 7) as f64).collect();
            w[5] = -0.0;
            let centers: Vec<f64> = (0..k * d).map(|_| next()).collect();
            let data = Data {
                x: &x,
                n,
                d,
                w: weighted.then_some(&w[..]),
            };
            let mut isas = vec![(Isa::Base, 2), (Isa::Base, 8), (Isa::Base, 16)];
            #[cfg(target_arch = "x86_64")]
            if let Some(simd) = pulp::x86::V3::try_new() {
                isas.push((Isa::V3(simd), ROWS));
            }
            #[cfg(target_arch = "x86_64")]
            if let Some(simd) = pulp::x86::V4::try_new() {
                isas.push((Isa::V4(simd), ROWS_V4));
            }
            let mut summed = vec![u32::MAX; n];
            Lloyd::new(&data, k).pass(&data, &centers, &mut summed, Tally::Sums);
            for (isa, rows) in isas {
                let mut labels = vec![u32::MAX; n];
                let out = Lloyd::with(&data, k, isa, rows).pass(
                    &data,
                    &centers,
                    &mut labels,
                    Tally::Inertia,
                );
                assert_eq!(labels, summed, "d={d} weighted={weighted}");
                assert_eq!(out.changed, n);
                assert!(out.sums.iter().chain(&out.weights).all(|&v| v == 0.0));
                let separate = inertia(&data, &centers, &labels);
                assert_eq!(
                    out.inertia.to_bits(),
                    separate.to_bits(),
                    "d={d} weighted={weighted}"
                );
                // A plain sum over the rows (another order of additions).
                let mut plain = 0.0;
                for i in 0..n {
                    let j = labels[i] as usize;
                    let mut dist = 0.0;
                    for f in 0..d {
                        let t = x[i * d + f] - centers[j * d + f];
                        dist += t * t;
                    }
                    plain += if weighted { w[i] } else { 1.0 } * dist;
                }
                assert!(
                    (out.inertia - plain).abs() <= 1e-9 * plain,
                    "d={d} weighted={weighted}"
                );
            }
        }
    }
}
