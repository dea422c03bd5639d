//! Tests of the segment profile against hand computations.

use ndarray::{array, Array2};

use super::*;

#[test]
fn numbers_and_names_by_hand() {
    // Segment 3: rows 0..3, segment 7: rows 3..6.
    let num = array![[1.0], [2.0], [6.0], [10.0], [20.0], [30.0]];
    let cat = array![[0u32], [0], [1], [1], [1], [1]];
    let labels = [3, 3, 3, 7, 7, 7];
    let revenue = [1.0, 1.0, 1.0, 2.0, 2.0, 3.0];
    let mut data = ProfileData::new(num.view(), cat.view(), &labels);
    data.revenue = Some(&revenue);
    let p = Profile::params()
        .top(2)
        .numeric_names(vec!["spend".into()])
        .categorical_names(vec!["channel".into()])
        .category_names(vec![vec!["web".into(), "shop".into()]])
        .score(&data)
        .unwrap();
    assert_eq!(p.segments, [3, 7]);
    assert_eq!(p.sizes, [3, 3]);
    assert_eq!(p.shares, [0.5, 0.5]);
    // Revenue 3 and 7 of 10.
    assert_eq!(p.revenue_shares, Some(vec![0.3, 0.7]));
    assert_eq!(p.margin_shares, None);
    // Means 3 and 20, overall 69 / 6 = 11.5; medians 2 and 20.
    let f = &p.numeric[0];
    assert_eq!(f.mean, [3.0, 20.0]);
    assert_eq!(f.median, [2.0, 20.0]);
    assert!((f.lift[0] - 3.0 / 11.5).abs() < 1e-15);
    // Segment 3: web 2/3 (overall 2/6: lift 2), shop 1/3 (overall 4/6: lift 0.5).
    let top = &p.categorical[0].top[0];
    assert_eq!(top.len(), 2);
    assert_eq!((top[0].code, top[1].code), (0, 1));
    assert!((top[0].lift - 2.0).abs() < 1e-15 && (top[1].lift - 0.5).abs() < 1e-15);
    // Segment 7: all shop, lift 1.5.
    assert_eq!(p.categorical[0].top[1].len(), 1);
    assert_eq!(
        p.names,
        [
            "low spend, mostly channel=web",
            "high spend, mostly channel=shop"
        ]
    );
}

#[test]
fn ties_constant_features_and_zero_totals() {
    let num = array![[5.0], [5.0], [5.0], [5.0]];
    let cat = array![[1u32], [0], [0], [1]];
    let margin = [1.0, -1.0, 0.0, 0.0];
    let mut data = ProfileData::new(num.view(), cat.view(), &[0, 0, 1, 1]);
    data.margin = Some(&margin);
    let p = Profile::params().score(&data).unwrap();
    // Equal counts: the smallest code first.
    assert_eq!(p.categorical[0].top[0][0].code, 0);
    assert_eq!(p.numeric[0].z, [0.0, 0.0]);
    assert!(p.margin_shares.unwrap().iter().all(|v| v.is_nan()));
    assert_eq!(p.names, ["close to the average", "close to the average"]);
    assert_eq!(p.numeric[0].name, "x0");
    assert_eq!(p.categorical[0].name, "x1");
}

#[test]
fn bad_input_is_named() {
    let num = array![[1.0], [f64::NAN]];
    let cat = Array2::<u32>::zeros((2, 0));
    let err = Profile::params()
        .score(&ProfileData::new(num.view(), cat.view(), &[0, 1]))
        .unwrap_err();
    assert!(
        matches!(err, CiblageError::NonFinite { row: 1, .. }),
        "{err}"
    );
    let num = array![[1.0], [2.0]];
    let err = Profile::params()
        .score(&ProfileData::new(num.view(), cat.view(), &[0]))
        .unwrap_err();
    assert!(err.to_string().contains("numeric"), "{err}");
    assert!(Profile::params().top(0).check().is_err());
    let mut data = ProfileData::new(num.view(), cat.view(), &[0, 1]);
    let short = [1.0];
    data.revenue = Some(&short);
    assert!(Profile::params()
        .score(&data)
        .unwrap_err()
        .to_string()
        .contains("revenue"));
    let err = Profile::params()
        .numeric_names(vec![])
        .score(&ProfileData::new(num.view(), cat.view(), &[0, 1]))
        .unwrap_err();
    assert!(err.to_string().contains("numeric_names"), "{err}");
}
