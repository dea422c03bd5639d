//! The leaf tables of both tree kinds (`segments`, `gains`) as Arrow
//! tables, from the core's one leaf table type.

use ciblage::tree::{LeafOrder, LeafRow, Outcome};
use ciblage::Result;
use pyo3::prelude::*;
use pyo3_arrow::PyTable;

use crate::arrow_out::{self as out, TableBuilder};
use crate::error::BindError;

/// The segments table: one row per leaf in node order — node, rule, n,
/// share, then per class `p_<class>` and `lift_<class>` (`class_names`),
/// or `<value_name>` and `ratio_to_<value_name>` for a regression tree.
/// `leaf_table` gives the table of one outcome; `whole_sizes` writes n as
/// integers (CART's training rows).
pub(crate) fn segments_table(
    class_names: &[String],
    value_name: &str,
    whole_sizes: bool,
    leaf_table: impl Fn(Outcome, LeafOrder) -> Result<Vec<LeafRow>>,
) -> PyResult<PyTable> {
    let outcomes: Vec<(Outcome, String, String)> = if class_names.is_empty() {
        vec![(
            Outcome::Value,
            value_name.to_owned(),
            format!("ratio_to_{value_name}"),
        )]
    } else {
        class_names
            .iter()
            .enumerate()
            .map(|(k, c)| (Outcome::Class(k), format!("p_{c}"), format!("lift_{c}")))
            .collect()
    };
    let mut t = TableBuilder::default();
    for (i, (outcome, response, lift)) in outcomes.iter().enumerate() {
        let rows = leaf_table(*outcome, LeafOrder::Node).map_err(BindError::from)?;
        if i == 0 {
            t.push("node", out::i64_array(rows.iter().map(|r| r.node as i64)));
            t.push(
                "rule",
                out::strings_from(rows.iter().map(|r| r.rule.as_str())),
            );
            let sizes: Vec<f64> = rows.iter().map(|r| r.size).collect();
            if whole_sizes {
                t.push("n", out::i64_array(sizes.iter().map(|&s| s as i64)));
            } else {
                t.push("n", out::f64_array(&sizes));
            }
            t.push("share", column(&rows, |r| r.share));
        }
        t.push(response, column(&rows, |r| r.response));
        t.push(lift, column(&rows, |r| r.lift));
    }
    t.into_py_table()
}

/// The gains table: leaves by decreasing response — node, n, share,
/// responses, response_rate, gain, index, the cumulative share, gain and
/// index, and the rule.
pub(crate) fn gains_table(rows: &[LeafRow]) -> PyResult<PyTable> {
    let mut t = TableBuilder::default();
    t.push("node", out::i64_array(rows.iter().map(|r| r.node as i64)));
    t.push("n", column(rows, |r| r.weight));
    t.push("share", column(rows, |r| r.share));
    t.push("responses", column(rows, |r| r.responses));
    t.push("response_rate", column(rows, |r| r.response));
    t.push("gain", column(rows, |r| r.gain));
    t.push("index", column(rows, |r| r.index));
    t.push("cumulative_share", column(rows, |r| r.cumulative_share));
    t.push("cumulative_gain", column(rows, |r| r.cumulative_gain));
    t.push("cumulative_index", column(rows, |r| r.cumulative_index));
    t.push(
        "rule",
        out::strings_from(rows.iter().map(|r| r.rule.as_str())),
    );
    t.into_py_table()
}

/// The digits of an indented-text export, as the Python estimators allow
/// them (0 to 100).
///
/// # Errors
/// `InvalidParameterError` naming `decimals` above 100.
pub(crate) fn text_decimals(decimals: usize) -> PyResult<usize> {
    if decimals > 100 {
        return Err(BindError::from(ciblage::CiblageError::param(
            "decimals",
            format!("expected an integer from 0 to 100, got {decimals}"),
        ))
        .into());
    }
    Ok(decimals)
}

/// One number per row.
fn column(rows: &[LeafRow], f: impl Fn(&LeafRow) -> f64) -> arrow_array::ArrayRef {
    out::f64_array(&rows.iter().map(f).collect::<Vec<_>>())
}

/// One node of a drawing as Python reads it: id, parent, depth, size,
/// class weights, label lines, and the label of the edge from its parent.
pub type DrawRow = (
    usize,
    Option<usize>,
    usize,
    f64,
    Vec<f64>,
    Vec<String>,
    Option<String>,
);

/// The nodes of a drawing, each with the label of the edge leading to it.
pub fn drawing_rows(d: ciblage::tree::Drawing) -> Vec<DrawRow> {
    use ciblage::tree::EdgeLabel;
    let mut label: std::collections::HashMap<usize, String> = d
        .edges
        .into_iter()
        .filter_map(|e| {
            e.label.map(|l| match l {
                EdgeLabel::Head(t) | EdgeLabel::Middle(t) => (e.to, t),
            })
        })
        .collect();
    d.nodes
        .into_iter()
        .map(|n| {
            let edge = label.remove(&n.id);
            (n.id, n.parent, n.depth, n.size, n.counts, n.lines, edge)
        })
        .collect()
}
