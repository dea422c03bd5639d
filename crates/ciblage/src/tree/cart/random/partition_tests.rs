//! Tests of the partitions and passes: either instructions against the
//! scalar loops and against counts made one by one.

use super::*;

/// The instructions to test: the scalar loop, and AVX2 and AVX-512 when
/// here.
fn isas() -> Vec<Isa> {
    let mut v = vec![Isa::Base];
    #[cfg(target_arch = "x86_64")]
    if let Some(simd) = pulp::x86::V3::try_new() {
        v.push(Isa::V3(simd));
    }
    if matches!(Isa::detect(), Isa::V4(_)) {
        v.push(Isa::detect());
    }
    v
}

/// A mask of `k` positions from a simple generator (`seed`).
fn mask_of(k: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..k)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            u8::from(x % 3 == 0)
        })
        .collect()
}

/// The partition by filters: the left values in order, then the right.
fn expected<T: Copy>(a: &[T], mask: &[u8]) -> (Vec<T>, usize) {
    let left: Vec<T> = a
        .iter()
        .zip(mask)
        .filter(|p| *p.1 == 1)
        .map(|p| *p.0)
        .collect();
    let n = left.len();
    let right = a.iter().zip(mask).filter(|p| *p.1 == 0).map(|p| *p.0);
    (left.into_iter().chain(right).collect(), n)
}

#[test]
fn the_range_is_the_same_on_either_instructions() {
    // Lengths around the 16-value chunks, NaN here and there.
    for k in [0usize, 1, 15, 16, 17, 40, 100] {
        let mut v: Vec<f32> = (0..k).map(|i| ((i * 37) % 23) as f32 - 11.5).collect();
        for i in (3..k).step_by(7) {
            v[i] = f32::NAN;
        }
        let want = range_of(&v);
        for isa in isas() {
            assert_eq!(isa.range_of(&v), want, "{k} values");
        }
    }
    // Hand-checked: smallest −11.5 (i = 0), largest 10.5 (i = 22).
    let v: Vec<f32> = (0..23).map(|i| ((i * 37) % 23) as f32 - 11.5).collect();
    let r = Isa::detect().range_of(&v);
    assert_eq!((r.lo, r.hi, r.n_missing), (-11.5, 10.5, 0));
}

#[test]
fn left_counts_and_sums_are_the_same_on_either_instructions() {
    // Values with NaN, thresholds inside, both sides of missing values.
    for k in [0usize, 7, 16, 23, 40, 129] {
        let mut v: Vec<f32> = (0..k).map(|i| ((i * 29) % 17) as f32 - 8.0).collect();
        for i in (5..k).step_by(9) {
            v[i] = f32::NAN;
        }
        let y: Vec<f64> = (0..k).map(|i| (i as f64).sin() * 3.0).collect();
        let codes: Vec<u8> = (0..k).map(|i| u8::from(i % 3 == 1)).collect();
        for t in [-8.5f32, -0.5, 3.0, 9.0] {
            // Independent counts, one by one.
            let goes = |x: f32, ml: bool| x <= t || (ml && x.is_nan());
            for ml in [false, true] {
                let n = v.iter().filter(|&&x| goes(x, ml)).count();
                let n1 = v
                    .iter()
                    .zip(&codes)
                    .filter(|p| goes(*p.0, ml) && *p.1 == 1)
                    .count();
                for isa in isas() {
                    let got = if ml {
                        isa.two_class_counts::<true>(&v, &codes, t)
                    } else {
                        isa.two_class_counts::<false>(&v, &codes, t)
                    };
                    assert_eq!(got, (n, n1));
                    let (un, uw, us) = if ml {
                        isa.unit_values::<true>(&v, &y, t)
                    } else {
                        isa.unit_values::<false>(&v, &y, t)
                    };
                    assert_eq!((un, uw), (n, n as f64));
                    let base = if ml {
                        Isa::Base.unit_values::<true>(&v, &y, t)
                    } else {
                        Isa::Base.unit_values::<false>(&v, &y, t)
                    };
                    // The same lanes: the same sum to the bit.
                    assert_eq!(us.to_bits(), base.2.to_bits());
                    let plain: f64 = v
                        .iter()
                        .zip(&y)
                        .filter(|p| goes(*p.0, ml))
                        .map(|p| p.1)
                        .sum();
                    assert!((us - plain).abs() < 1e-9);
                }
            }
        }
    }
}

#[test]
fn every_width_moves_as_the_filters_on_either_instructions() {
    // Lengths around the 16-value chunks, masks of every density.
    for isa in isas() {
        for k in [0usize, 1, 15, 16, 17, 31, 32, 33, 100, 257] {
            for seed in 0..4 {
                let mut bytes = mask_of(k, seed);
                if seed == 2 {
                    bytes.fill(1);
                } else if seed == 3 {
                    bytes.fill(0);
                }
                let mask = Mask::of(isa, &bytes);
                let a: Vec<u32> = (0..k as u32).map(|i| i * 7 + 1).collect();
                let (want, n) = expected(&a, &bytes);
                let mut s32 = Vec::new();
                let mut b = a.clone();
                assert_eq!(mask.part_u32(&mut b, (true, true), &mut s32), n);
                assert_eq!(b, want);
                let mut b = a.clone();
                assert_eq!(mask.part_u32(&mut b, (true, false), &mut s32), n);
                assert_eq!(b[..n], want[..n]);
                let mut b = a.clone();
                assert_eq!(mask.part_u32(&mut b, (false, true), &mut s32), n);
                assert_eq!(b[n..], want[n..]);
                let mut f: Vec<f32> = a.iter().map(|&v| v as f32 - 0.5).collect();
                let (want_f, _) = expected(&f, &bytes);
                mask.part_f32(&mut f, (true, true), &mut s32);
                assert_eq!(f, want_f);
                let mut c: Vec<u8> = a.iter().map(|&v| (v % 251) as u8).collect();
                let (want_c, _) = expected(&c, &bytes);
                assert_eq!(mask.part_u8(&mut c, &mut Vec::new()), n);
                assert_eq!(c, want_c);
                let mut d: Vec<f64> = a.iter().map(|&v| f64::from(v) * 0.25).collect();
                let (want_d, _) = expected(&d, &bytes);
                assert_eq!(mask.part_f64(&mut d, &mut Vec::new()), n);
                assert_eq!(d, want_d);
            }
        }
    }
}
