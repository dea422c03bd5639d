//! The measures of an association rule, from its itemsets' supports.

use std::str::FromStr;

use crate::error::{CiblageError, Result};

/// Every measure of a rule A → C, from the supports (shares of baskets)
/// of A, C and A ∪ C; the definitions (and the values at their edges)
/// are those of mlxtend's `association_rules`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measures {
    /// supp(A).
    pub antecedent_support: f64,
    /// supp(C).
    pub consequent_support: f64,
    /// supp(A ∪ C).
    pub support: f64,
    /// supp(A ∪ C) / supp(A).
    pub confidence: f64,
    /// confidence / supp(C).
    pub lift: f64,
    /// supp(A ∪ C) − supp(A) supp(C).
    pub leverage: f64,
    /// (1 − supp(C)) / (1 − confidence); infinite when confidence = 1.
    pub conviction: f64,
    /// leverage / max(supp(A ∪ C)(1 − supp(A)), supp(A)(supp(C) − supp(A ∪ C)));
    /// 0 when that maximum is 0.
    pub zhangs_metric: f64,
    /// supp(A ∪ C) / (supp(A) + supp(C) − supp(A ∪ C)).
    pub jaccard: f64,
    /// (confidence − supp(C)) / (1 − supp(C)); 0 when supp(C) = 1.
    pub certainty: f64,
    /// (confidence + supp(A ∪ C) / supp(C)) / 2.
    pub kulczynski: f64,
}

impl Measures {
    /// The measures of a rule of supports `s_a` (antecedent), `s_c`
    /// (consequent) and `s_ac` (both), all positive.
    ///
    /// ```
    /// use ciblage::basket::Measures;
    /// let m = Measures::from_supports(0.5, 0.4, 0.3);
    /// assert!((m.confidence - 0.6).abs() < 1e-12);
    /// assert!((m.lift - 1.5).abs() < 1e-12);
    /// assert!((m.leverage - 0.1).abs() < 1e-12);
    /// ```
    pub fn from_supports(s_a: f64, s_c: f64, s_ac: f64) -> Self {
        let confidence = s_ac / s_a;
        let leverage = s_ac - s_a * s_c;
        let conviction = if confidence >= 1.0 {
            f64::INFINITY
        } else {
            (1.0 - s_c) / (1.0 - confidence)
        };
        let zhang_den = (s_ac * (1.0 - s_a)).max(s_a * (s_c - s_ac));
        let zhangs_metric = if zhang_den == 0.0 {
            0.0
        } else {
            leverage / zhang_den
        };
        let certainty = if s_c == 1.0 {
            0.0
        } else {
            (confidence - s_c) / (1.0 - s_c)
        };
        Self {
            antecedent_support: s_a,
            consequent_support: s_c,
            support: s_ac,
            confidence,
            lift: confidence / s_c,
            leverage,
            conviction,
            zhangs_metric,
            jaccard: s_ac / (s_a + s_c - s_ac),
            certainty,
            kulczynski: (confidence + s_ac / s_c) / 2.0,
        }
    }
}

/// The measure a rule filter compares with its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Metric {
    /// supp(A).
    AntecedentSupport,
    /// supp(C).
    ConsequentSupport,
    /// supp(A ∪ C).
    Support,
    /// The confidence (default).
    #[default]
    Confidence,
    /// The lift.
    Lift,
    /// The leverage.
    Leverage,
    /// The conviction.
    Conviction,
    /// Zhang's metric.
    ZhangsMetric,
    /// The Jaccard index.
    Jaccard,
    /// The certainty factor.
    Certainty,
    /// The Kulczynski measure.
    Kulczynski,
}

impl Metric {
    /// Every metric with its name, in the order of the rules table.
    pub const ALL: [(Metric, &'static str); 11] = [
        (Metric::AntecedentSupport, "antecedent_support"),
        (Metric::ConsequentSupport, "consequent_support"),
        (Metric::Support, "support"),
        (Metric::Confidence, "confidence"),
        (Metric::Lift, "lift"),
        (Metric::Leverage, "leverage"),
        (Metric::Conviction, "conviction"),
        (Metric::ZhangsMetric, "zhangs_metric"),
        (Metric::Jaccard, "jaccard"),
        (Metric::Certainty, "certainty"),
        (Metric::Kulczynski, "kulczynski"),
    ];

    /// This metric's value among `m`.
    pub fn of(self, m: &Measures) -> f64 {
        match self {
            Metric::AntecedentSupport => m.antecedent_support,
            Metric::ConsequentSupport => m.consequent_support,
            Metric::Support => m.support,
            Metric::Confidence => m.confidence,
            Metric::Lift => m.lift,
            Metric::Leverage => m.leverage,
            Metric::Conviction => m.conviction,
            Metric::ZhangsMetric => m.zhangs_metric,
            Metric::Jaccard => m.jaccard,
            Metric::Certainty => m.certainty,
            Metric::Kulczynski => m.kulczynski,
        }
    }
}

impl FromStr for Metric {
    type Err = CiblageError;

    /// Parses a measure's snake_case name (`"confidence"`, `"lift"`, …).
    fn from_str(name: &str) -> Result<Self> {
        Self::ALL
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(m, _)| *m)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|(_, n)| *n).collect();
                CiblageError::param("metric", format!("expected one of {names:?}, got {name:?}"))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_by_hand() {
        // 10 baskets: A in 5, C in 4, both in 3.
        let m = Measures::from_supports(0.5, 0.4, 0.3);
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        assert!(close(m.conviction, 0.6 / 0.4)); // (1 - 0.4) / (1 - 0.6)
                                                 // leverage 0.1 / max(0.3 * 0.5, 0.5 * 0.1) = 0.1 / 0.15
        assert!(close(m.zhangs_metric, 0.1 / 0.15));
        assert!(close(m.jaccard, 0.3 / 0.6));
        assert!(close(m.certainty, 0.2 / 0.6));
        assert!(close(m.kulczynski, (0.6 + 0.75) / 2.0));
        let sure = Measures::from_supports(0.2, 1.0, 0.2);
        assert_eq!(sure.conviction, f64::INFINITY);
        assert_eq!(sure.certainty, 0.0);
        assert_eq!(sure.zhangs_metric, 0.0);
    }

    #[test]
    fn metric_names_parse() {
        for (m, name) in Metric::ALL {
            assert_eq!(name.parse::<Metric>(), Ok(m));
        }
        let err = "lifts".parse::<Metric>().unwrap_err();
        assert!(err.to_string().contains("metric"));
    }
}
