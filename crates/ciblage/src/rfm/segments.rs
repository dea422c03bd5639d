//! Named segments over R, F and M scores: ordered rules, first match wins.

use serde::{Deserialize, Serialize};

use crate::error::{CiblageError, Result};

/// An inclusive range of scores, written `[low, high]` in JSON and TOML.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "[u8; 2]", into = "[u8; 2]")]
pub struct ScoreRange {
    low: u8,
    high: u8,
}

impl ScoreRange {
    /// The range `low..=high`.
    ///
    /// # Errors
    /// Scores outside `1..=9`, or `low > high`.
    pub fn new(low: u8, high: u8) -> Result<Self> {
        Self::try_from([low, high]).map_err(CiblageError::InvalidSegmentTable)
    }

    /// Lowest score in the range.
    pub fn low(&self) -> u8 {
        self.low
    }

    /// Highest score in the range.
    pub fn high(&self) -> u8 {
        self.high
    }

    /// True when `score` lies in the range.
    #[inline]
    pub fn contains(&self, score: u8) -> bool {
        (self.low..=self.high).contains(&score)
    }
}

impl TryFrom<[u8; 2]> for ScoreRange {
    type Error = String;
    fn try_from([low, high]: [u8; 2]) -> Result<Self, String> {
        if low == 0 || high > 9 || low > high {
            return Err(format!(
                "score range [{low}, {high}] must satisfy 1 <= low <= high <= 9"
            ));
        }
        Ok(Self { low, high })
    }
}

impl From<ScoreRange> for [u8; 2] {
    fn from(r: ScoreRange) -> Self {
        [r.low, r.high]
    }
}

/// One named segment: customers whose three scores all lie in its ranges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentRule {
    /// Segment name, unique in its table.
    pub name: String,
    /// Recency scores (5 = most recent on the default scale).
    pub recency: ScoreRange,
    /// Frequency scores.
    pub frequency: ScoreRange,
    /// Monetary (or average amount, for RFA) scores.
    pub monetary: ScoreRange,
}

impl SegmentRule {
    /// A rule from `[low, high]` pairs.
    ///
    /// # Errors
    /// Invalid ranges.
    pub fn new(name: &str, r: [u8; 2], f: [u8; 2], m: [u8; 2]) -> Result<Self> {
        Ok(Self {
            name: name.to_owned(),
            recency: ScoreRange::new(r[0], r[1])?,
            frequency: ScoreRange::new(f[0], f[1])?,
            monetary: ScoreRange::new(m[0], m[1])?,
        })
    }

    /// True when the scores fall in this segment's ranges.
    #[inline]
    pub fn matches(&self, r: u8, f: u8, m: u8) -> bool {
        self.recency.contains(r) && self.frequency.contains(f) && self.monetary.contains(m)
    }
}

/// An ordered list of segment rules; the first rule that matches names the
/// customer, and customers no rule matches get the `fallback` name.
///
/// ```
/// use ciblage::SegmentTable;
/// let table = SegmentTable::from_toml(r#"
///     fallback = "Others"
///     [[segment]]
///     name = "Best"
///     recency = [4, 5]
///     frequency = [4, 5]
///     monetary = [4, 5]
/// "#)?;
/// assert_eq!(table.name_of(5, 4, 4), "Best");
/// assert_eq!(table.name_of(1, 4, 4), "Others");
/// # Ok::<(), ciblage::CiblageError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "SegmentTableFile", into = "SegmentTableFile")]
pub struct SegmentTable {
    rules: Vec<SegmentRule>,
    fallback: String,
    /// `lookup[(r * 10 + f) * 10 + m]` = index of the segment (fallback = rules.len()).
    lookup: Vec<u16>,
}

/// The serialized form of a [`SegmentTable`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SegmentTableFile {
    #[serde(default = "default_fallback")]
    fallback: String,
    #[serde(rename = "segment")]
    segments: Vec<SegmentRule>,
}

fn default_fallback() -> String {
    "Others".to_owned()
}

impl TryFrom<SegmentTableFile> for SegmentTable {
    type Error = CiblageError;
    fn try_from(file: SegmentTableFile) -> Result<Self> {
        Self::new(file.segments, &file.fallback)
    }
}

impl From<SegmentTable> for SegmentTableFile {
    fn from(t: SegmentTable) -> Self {
        Self {
            fallback: t.fallback,
            segments: t.rules,
        }
    }
}

/// Where a segment table leaves gaps or dead rules on a `k`-class scale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentCoverage {
    /// Score cells `(r, f, m)` that no rule matches (they get the fallback).
    pub uncovered: Vec<(u8, u8, u8)>,
    /// Rules that never win: every cell they match is taken by an earlier rule
    /// (or lies outside the scale).
    pub unreachable: Vec<String>,
}

impl SegmentTable {
    /// A table from rules in priority order and a fallback name.
    ///
    /// # Errors
    /// No rule, an empty or duplicate name, more than 1000 rules.
    pub fn new(rules: Vec<SegmentRule>, fallback: &str) -> Result<Self> {
        if rules.is_empty() {
            return Err(CiblageError::InvalidSegmentTable("no segment given".into()));
        }
        if rules.len() > 1000 {
            return Err(CiblageError::InvalidSegmentTable(format!(
                "{} segments; at most 1000",
                rules.len()
            )));
        }
        let mut names: Vec<&str> = vec![fallback];
        for rule in &rules {
            if rule.name.trim().is_empty() {
                return Err(CiblageError::InvalidSegmentTable(
                    "a segment has an empty name".into(),
                ));
            }
            if names.contains(&rule.name.as_str()) {
                return Err(CiblageError::InvalidSegmentTable(format!(
                    "segment name {:?} is used twice (or equals the fallback)",
                    rule.name
                )));
            }
            names.push(&rule.name);
        }
        if fallback.trim().is_empty() {
            return Err(CiblageError::InvalidSegmentTable(
                "the fallback name is empty".into(),
            ));
        }
        let mut lookup = vec![rules.len() as u16; 1000];
        for r in 1..=9u8 {
            for f in 1..=9u8 {
                for m in 1..=9u8 {
                    if let Some(i) = rules.iter().position(|s| s.matches(r, f, m)) {
                        lookup[cell(r, f, m)] = i as u16;
                    }
                }
            }
        }
        Ok(Self {
            rules,
            fallback: fallback.to_owned(),
            lookup,
        })
    }

    /// The classic 11-segment table of R `rfm` (for 5 classes):
    ///
    /// | # | segment | R | F | M |
    /// |---|---|---|---|---|
    /// | 1 | Champions | 4–5 | 4–5 | 4–5 |
    /// | 2 | Loyal Customers | 2–5 | 3–5 | 3–5 |
    /// | 3 | Potential Loyalist | 3–5 | 1–3 | 1–3 |
    /// | 4 | New Customers | 4–5 | 1–1 | 1–1 |
    /// | 5 | Promising | 3–4 | 1–1 | 1–1 |
    /// | 6 | Need Attention | 2–3 | 2–3 | 2–3 |
    /// | 7 | About To Sleep | 2–3 | 1–2 | 1–2 |
    /// | 8 | At Risk | 1–2 | 2–5 | 2–5 |
    /// | 9 | Can't Lose Them | 1–1 | 4–5 | 4–5 |
    /// | 10 | Hibernating | 1–2 | 1–2 | 1–2 |
    /// | 11 | Lost | 1–2 | 1–2 | 1–2 |
    ///
    /// Leftovers are `"Others"`. With first-match-wins, rules 4, 5, 9 and 11
    /// are shadowed by earlier ones, exactly as in R; [`SegmentTable::coverage`]
    /// reports it.
    pub fn classic() -> Self {
        type Row = (&'static str, [u8; 2], [u8; 2], [u8; 2]);
        let rows: [Row; 11] = [
            ("Champions", [4, 5], [4, 5], [4, 5]),
            ("Loyal Customers", [2, 5], [3, 5], [3, 5]),
            ("Potential Loyalist", [3, 5], [1, 3], [1, 3]),
            ("New Customers", [4, 5], [1, 1], [1, 1]),
            ("Promising", [3, 4], [1, 1], [1, 1]),
            ("Need Attention", [2, 3], [2, 3], [2, 3]),
            ("About To Sleep", [2, 3], [1, 2], [1, 2]),
            ("At Risk", [1, 2], [2, 5], [2, 5]),
            ("Can't Lose Them", [1, 1], [4, 5], [4, 5]),
            ("Hibernating", [1, 2], [1, 2], [1, 2]),
            ("Lost", [1, 2], [1, 2], [1, 2]),
        ];
        let rules = rows
            .iter()
            .map(|&(name, r, f, m)| SegmentRule::new(name, r, f, m))
            .collect::<Result<Vec<_>>>()
            .expect("the classic table is valid");
        Self::new(rules, "Others").expect("the classic table is valid")
    }

    /// Reads a table from JSON: `{"fallback": "Others", "segment": [{"name":
    /// …, "recency": [4, 5], "frequency": [4, 5], "monetary": [4, 5]}, …]}`.
    ///
    /// # Errors
    /// [`CiblageError::InvalidSegmentTable`] naming the line, column and field.
    pub fn from_json(text: &str) -> Result<Self> {
        serde_json::from_str(text).map_err(|e| CiblageError::InvalidSegmentTable(e.to_string()))
    }

    /// Reads a table from TOML (`fallback = "…"` and `[[segment]]` tables).
    ///
    /// # Errors
    /// [`CiblageError::InvalidSegmentTable`] naming the line, column and field.
    pub fn from_toml(text: &str) -> Result<Self> {
        toml::from_str(text).map_err(|e| CiblageError::InvalidSegmentTable(e.to_string()))
    }

    /// The table as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a segment table always serializes")
    }

    /// The table as TOML.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("a segment table always serializes")
    }

    /// The rules in priority order.
    pub fn rules(&self) -> &[SegmentRule] {
        &self.rules
    }

    /// The name given to customers no rule matches.
    pub fn fallback(&self) -> &str {
        &self.fallback
    }

    /// All names: the rules' in order, then the fallback.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.rules.iter().map(|r| r.name.as_str()).collect();
        names.push(&self.fallback);
        names
    }

    /// Index into [`SegmentTable::names`] of the segment of scores `(r, f, m)`.
    #[inline]
    pub fn index_of(&self, r: u8, f: u8, m: u8) -> usize {
        if r > 9 || f > 9 || m > 9 {
            return self.rules.len();
        }
        usize::from(self.lookup[cell(r, f, m)])
    }

    /// Name of the segment of scores `(r, f, m)`.
    pub fn name_of(&self, r: u8, f: u8, m: u8) -> &str {
        let i = self.index_of(r, f, m);
        self.rules.get(i).map_or(&self.fallback, |s| &s.name)
    }

    /// Gaps and dead rules of the table on a scale of `k` classes.
    ///
    /// # Errors
    /// [`CiblageError::InvalidParameter`] (`bins`) unless `k` is from 2 to 9,
    /// the scales scores are given on.
    pub fn coverage(&self, k: u8) -> Result<SegmentCoverage> {
        if !(2..=9).contains(&k) {
            return Err(CiblageError::param(
                "bins",
                format!("expected an integer from 2 to 9, got {k}"),
            ));
        }
        let mut wins = vec![false; self.rules.len()];
        let mut uncovered = Vec::new();
        for r in 1..=k {
            for f in 1..=k {
                for m in 1..=k {
                    match self.rules.get(self.index_of(r, f, m)) {
                        Some(_) => wins[self.index_of(r, f, m)] = true,
                        None => uncovered.push((r, f, m)),
                    }
                }
            }
        }
        let unreachable = self
            .rules
            .iter()
            .zip(wins)
            .filter(|(_, w)| !w)
            .map(|(s, _)| s.name.clone())
            .collect();
        Ok(SegmentCoverage {
            uncovered,
            unreachable,
        })
    }
}

fn cell(r: u8, f: u8, m: u8) -> usize {
    (usize::from(r) * 10 + usize::from(f)) * 10 + usize::from(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_match_wins() {
        let t = SegmentTable::classic();
        // (5,5,5) matches Champions and Loyal Customers: Champions is first.
        assert_eq!(t.name_of(5, 5, 5), "Champions");
        assert_eq!(t.name_of(3, 4, 4), "Loyal Customers");
        // (1,1,1) matches Hibernating and Lost: Hibernating is first.
        assert_eq!(t.name_of(1, 1, 1), "Hibernating");
        // (1,1,3): R 1 excludes Potential Loyalist; F 1 excludes At Risk.
        assert_eq!(t.name_of(1, 1, 3), "Others");
    }

    #[test]
    fn classic_coverage_reports_shadowed_rules() {
        let cov = SegmentTable::classic().coverage(5).unwrap();
        assert_eq!(
            cov.unreachable,
            ["New Customers", "Promising", "Can't Lose Them", "Lost"]
        );
        assert!(cov.uncovered.contains(&(1, 1, 3)));
        assert!(!cov.uncovered.contains(&(5, 5, 5)));
    }

    #[test]
    fn json_and_toml_round_trip() {
        let t = SegmentTable::classic();
        assert_eq!(SegmentTable::from_json(&t.to_json()).unwrap(), t);
        assert_eq!(SegmentTable::from_toml(&t.to_toml()).unwrap(), t);
    }

    #[test]
    fn unknown_fields_and_bad_ranges_are_rejected_with_their_place() {
        let err = SegmentTable::from_json(
            r#"{"segment": [{"name": "A", "recency": [1, 5], "frequency": [1, 5], "monetary": [1, 5], "colour": "red"}]}"#,
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with("segment table: unknown field `colour`"),
            "{msg}"
        );
        assert!(msg.contains("line 1"), "{msg}");
        let err = SegmentTable::from_toml(
            "[[segment]]\nname = \"A\"\nrecency = [5, 1]\nfrequency = [1, 5]\nmonetary = [1, 5]\n",
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("[5, 1] must satisfy"), "{msg}");
        assert!(msg.contains("line 3"), "{msg}");
    }

    #[test]
    fn duplicate_names_are_rejected() {
        let a = SegmentRule::new("A", [1, 5], [1, 5], [1, 5]).unwrap();
        let err = SegmentTable::new(vec![a.clone(), a], "Others").unwrap_err();
        assert!(err.to_string().contains("\"A\" is used twice"));
        assert!(SegmentTable::new(vec![], "Others").is_err());
    }

    #[test]
    fn coverage_is_refused_off_the_score_scales() {
        for k in [0, 1, 10, 255] {
            let e = SegmentTable::classic().coverage(k).unwrap_err().to_string();
            assert!(e.starts_with("invalid parameter bins:"), "{e}");
        }
        assert!(SegmentTable::classic().coverage(9).is_ok());
    }
}
