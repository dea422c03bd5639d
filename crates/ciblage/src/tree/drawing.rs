//! The drawing data of both tree kinds (nodes with their parent, depth,
//! size and label lines; labelled edges) and its Graphviz DOT form.

/// One node of a drawing.
#[derive(Debug, Clone, PartialEq)]
pub struct DrawNode {
    /// Node id.
    pub id: usize,
    /// Parent id (`None` for the root).
    pub parent: Option<usize>,
    /// Depth (root 0).
    pub depth: usize,
    /// Training cases in the node.
    pub size: f64,
    /// Training weight of each class in the node (empty for a regression
    /// tree).
    pub counts: Vec<f64>,
    /// The lines of its label, top to bottom.
    pub lines: Vec<String>,
}

/// Where an edge's label stands.
#[derive(Debug, Clone, PartialEq)]
pub enum EdgeLabel {
    /// Near the child (`headlabel`: CART's True/False under the root).
    Head(String),
    /// Along the edge (`label`: CHAID's categories).
    Middle(String),
}

/// One edge of a drawing, parent to child.
#[derive(Debug, Clone, PartialEq)]
pub struct DrawEdge {
    /// Parent id.
    pub from: usize,
    /// Child id.
    pub to: usize,
    /// Its label, if any.
    pub label: Option<EdgeLabel>,
}

/// A tree as drawn: boxes and edges, in the order written.
#[derive(Debug, Clone, PartialEq)]
pub struct Drawing {
    /// The graph's name in DOT.
    pub name: String,
    /// The nodes.
    pub nodes: Vec<DrawNode>,
    /// The edges.
    pub edges: Vec<DrawEdge>,
}

impl Drawing {
    /// The drawing in Graphviz DOT: one box per node, its lines joined by
    /// line breaks, then the edges.
    ///
    /// ```
    /// use ciblage::tree::{DrawEdge, DrawNode, Drawing, EdgeLabel};
    /// let node = |id, parent, line: &str| DrawNode {
    ///     id,
    ///     parent,
    ///     depth: usize::from(parent.is_some()),
    ///     size: 1.0,
    ///     counts: vec![1.0, 0.0],
    ///     lines: vec![line.into()],
    /// };
    /// let d = Drawing {
    ///     name: "T".into(),
    ///     nodes: vec![node(0, None, "x <= 1"), node(1, Some(0), "leaf")],
    ///     edges: vec![DrawEdge { from: 0, to: 1, label: Some(EdgeLabel::Head("True".into())) }],
    /// };
    /// assert_eq!(
    ///     d.to_dot(),
    ///     "digraph T {\nnode [shape=box, fontname=\"helvetica\"] ;\n\
    ///      0 [label=\"x <= 1\"] ;\n1 [label=\"leaf\"] ;\n\
    ///      0 -> 1 [headlabel=\"True\"] ;\n}\n"
    /// );
    /// ```
    pub fn to_dot(&self) -> String {
        let mut out = format!(
            "digraph {} {{\nnode [shape=box, fontname=\"helvetica\"] ;\n",
            self.name
        );
        for node in &self.nodes {
            let text = node
                .lines
                .iter()
                .map(|l| dot_text(l))
                .collect::<Vec<_>>()
                .join("\\n");
            out.push_str(&format!("{} [label=\"{text}\"] ;\n", node.id));
        }
        for e in &self.edges {
            match &e.label {
                None => out.push_str(&format!("{} -> {} ;\n", e.from, e.to)),
                Some(EdgeLabel::Head(t)) => out.push_str(&format!(
                    "{} -> {} [headlabel=\"{}\"] ;\n",
                    e.from,
                    e.to,
                    dot_text(t)
                )),
                Some(EdgeLabel::Middle(t)) => out.push_str(&format!(
                    "{} -> {} [label=\"{}\"] ;\n",
                    e.from,
                    e.to,
                    dot_text(t)
                )),
            }
        }
        out.push_str("}\n");
        out
    }
}

/// Below this p-value a p-value is shown by its natural logarithm (its
/// `f64` value would be subnormal or zero).
pub const SMALLEST_SHOWN_P: f64 = 1e-300;

/// A p-value given by its natural logarithm, as drawings and text show it:
/// `p = 1.234e-5`, or `ln p = -1771.8` when it is below
/// [`SMALLEST_SHOWN_P`] (where `exp` would print `0.000e0`).
///
/// ```
/// use ciblage::tree::p_value_text;
/// assert_eq!(p_value_text(0.01_f64.ln()), "p = 1.000e-2");
/// assert_eq!(p_value_text(-1771.84), "ln p = -1771.8");
/// assert_eq!(p_value_text(f64::NAN), "p = NaN");
/// ```
pub fn p_value_text(ln_p: f64) -> String {
    if ln_p < SMALLEST_SHOWN_P.ln() {
        format!("ln p = {ln_p:.1}")
    } else {
        format!("p = {:.3e}", ln_p.exp())
    }
}

/// Text as it may stand inside a quoted Graphviz DOT string: backslashes
/// and quotes escaped, line breaks as `\n` (in DOT only `\"` is an escape:
/// a name ending in a backslash escaped the closing quote).
fn dot_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' | '\r' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p_values_underflowing_are_shown_by_their_logarithm() {
        assert_eq!(p_value_text(0.0), "p = 1.000e0");
        assert_eq!(p_value_text(1e-300_f64.ln() + 1e-9), "p = 1.000e-300");
        assert_eq!(p_value_text(-700.0), "ln p = -700.0");
        assert_eq!(p_value_text(f64::NEG_INFINITY), "ln p = -inf");
    }

    #[test]
    fn dot_text_escapes_what_would_end_the_string() {
        assert_eq!(dot_text(r#"a"b\"#), r#"a\"b\\"#);
        assert_eq!(dot_text("x\ny"), r"x\ny");
        assert_eq!(dot_text("plain é"), "plain é");
    }

    #[test]
    fn edge_labels_are_escaped_too() {
        let d = Drawing {
            name: "G".into(),
            nodes: Vec::new(),
            edges: vec![DrawEdge {
                from: 0,
                to: 2,
                label: Some(EdgeLabel::Middle("a\"b".into())),
            }],
        };
        assert!(d.to_dot().contains("0 -> 2 [label=\"a\\\"b\"] ;\n"));
    }
}
