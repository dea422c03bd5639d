//! Tests of CHAID: shared helpers; conformance cases, properties and use of a tree in submodules.

use super::*;

fn labels(v: &[u32]) -> Vec<Option<String>> {
    v.iter().map(|x| Some(x.to_string())).collect()
}

fn classes(k: usize) -> Vec<String> {
    (0..k).map(|c| c.to_string()).collect()
}

fn group_labels(m: &ChaidModel, node: usize) -> Vec<Vec<String>> {
    let s = m.nodes()[node].split.as_ref().unwrap();
    let p = &m.predictors()[s.predictor];
    s.groups
        .iter()
        .map(|g| {
            g.iter()
                .map(|&c| {
                    if c == MISSING {
                        "<missing>".into()
                    } else {
                        p.labels[c as usize].clone()
                    }
                })
                .collect()
        })
        .collect()
}

/// Rows from (class a, class b) counts per category; `None` = missing.
fn blocks(b: &[(Option<u32>, usize, usize)]) -> (Vec<Option<u32>>, Vec<u32>) {
    let mut x = Vec::new();
    let mut y = Vec::new();
    for &(cat, a, bb) in b {
        for k in 0..a + bb {
            x.push(cat);
            y.push(u32::from(k >= a));
        }
    }
    (x, y)
}

mod conformance;
mod invariants;
mod usage;
