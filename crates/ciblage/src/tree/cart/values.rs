//! Node values of a CART tree, stored flat: one row of `width` numbers per
//! node (class proportions, or the mean), read as `values.node(i)`.
//! Serialized as a list of rows, the format of earlier versions.

use serde::de::{Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

/// Per node, its value: the class proportions (classification) or the
/// mean target (regression), `width` numbers per node.
///
/// ```
/// use ciblage::tree::cart::NodeValues;
///
/// let mut v = NodeValues::new(2);
/// v.push(&[0.25, 0.75]);
/// v.push(&[1.0, 0.0]);
/// assert_eq!((v.len(), v.width()), (2, 2));
/// assert_eq!(v.node(1), &[1.0, 0.0]);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NodeValues {
    width: usize,
    data: Vec<f64>,
}

impl NodeValues {
    /// No nodes yet, `width` numbers per node.
    pub fn new(width: usize) -> Self {
        Self {
            width,
            data: Vec::new(),
        }
    }

    /// Appends one node's value (of `width` numbers).
    ///
    /// # Panics
    /// If `value` does not hold `width` numbers.
    pub fn push(&mut self, value: &[f64]) {
        assert_eq!(value.len(), self.width, "a node value holds width numbers");
        self.data.extend_from_slice(value);
    }

    /// Value of node `i`.
    pub fn node(&self, i: usize) -> &[f64] {
        &self.data[i * self.width..(i + 1) * self.width]
    }

    /// Numbers per node.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.data.len().checked_div(self.width).unwrap_or(0)
    }

    /// Whether there is no node.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Room for `n` more nodes.
    pub(crate) fn reserve(&mut self, n: usize) {
        self.data.reserve(n * self.width);
    }

    /// Appends the values of whole nodes, given node after node.
    pub(crate) fn extend_flat(&mut self, values: &[f64]) {
        debug_assert_eq!(values.len() % self.width.max(1), 0);
        self.data.extend_from_slice(values);
    }

    /// All values, node after node (`len() × width()` numbers).
    pub fn as_flat(&self) -> &[f64] {
        &self.data
    }
}

impl Serialize for NodeValues {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.len()))?;
        for i in 0..self.len() {
            seq.serialize_element(self.node(i))?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for NodeValues {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Rows;
        impl<'de> Visitor<'de> for Rows {
            type Value = NodeValues;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list of node values, each a list of numbers of one length")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<NodeValues, A::Error> {
                let mut out: Option<NodeValues> = None;
                while let Some(row) = seq.next_element::<Vec<f64>>()? {
                    let values = out.get_or_insert_with(|| NodeValues::new(row.len()));
                    if row.len() != values.width || row.is_empty() {
                        return Err(serde::de::Error::custom(format!(
                            "node value of {} numbers where {} were expected",
                            row.len(),
                            values.width.max(1)
                        )));
                    }
                    values.data.extend_from_slice(&row);
                }
                Ok(out.unwrap_or_default())
            }
        }
        deserializer.deserialize_seq(Rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialized_as_rows_and_read_back() {
        let mut v = NodeValues::new(3);
        v.push(&[0.5, 0.25, 0.25]);
        v.push(&[0.0, 1.0, 0.0]);
        let json = serde_json::to_string(&v).expect("serialize");
        assert_eq!(json, "[[0.5,0.25,0.25],[0.0,1.0,0.0]]");
        let back: NodeValues = serde_json::from_str(&json).expect("deserialize");
        assert_eq!(back, v);
    }

    #[test]
    fn rows_of_unequal_length_are_rejected() {
        let err = serde_json::from_str::<NodeValues>("[[0.5,0.5],[1.0]]").unwrap_err();
        assert!(err.to_string().contains("node value of 1 numbers"), "{err}");
        let err = serde_json::from_str::<NodeValues>("[[]]").unwrap_err();
        assert!(err.to_string().contains("node value of 0 numbers"), "{err}");
    }
}
