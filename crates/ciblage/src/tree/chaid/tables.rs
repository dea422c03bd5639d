//! Contingency tables of a node: for each predictor, the target counts (or
//! sums) of every category present in the node.

use rayon::prelude::*;

use crate::tree::chaid::data::{Predictor, MISSING};

/// One predictor's table in a node: the present category codes ascending
/// (missing last), each with its target counts or sums.
pub(crate) type PredictorTable = Vec<(u32, Vec<f64>)>;

/// A node waiting to be grown.
pub(crate) struct PendingNode {
    /// Its rows (empty for the root of the fast path, and for nodes whose
    /// rows are never read).
    pub rows: Vec<u32>,
    /// Parent id.
    pub parent: Option<usize>,
    /// Depth.
    pub depth: usize,
    /// Category codes of the parent's split leading here.
    pub branch: Vec<u32>,
    /// Class counts, when the parent's table gave them.
    pub counts: Option<Vec<f64>>,
    /// Every predictor's table, when already known.
    pub tables: Option<Vec<PredictorTable>>,
}

/// The split chosen for a node, as its children need it.
pub(crate) struct ChosenSplit<'a> {
    /// Index of the predictor.
    pub predictor: usize,
    /// Category codes of each child.
    pub groups: &'a [Vec<u32>],
    /// Group of each slot (code, or the label count for missing).
    pub group_of: &'a [usize],
    /// Depth of the split node.
    pub depth: usize,
    /// Id of the split node.
    pub parent: usize,
}

/// Every predictor's table over `rows` (every row when `None`), predictors
/// in parallel.
pub(crate) fn cell_tables(
    predictors: &[Predictor],
    cells: &[CellColumn],
    classes: usize,
    rows: Option<&[u32]>,
) -> Vec<PredictorTable> {
    predictors
        .par_iter()
        .zip(cells)
        .map(|(p, c)| c.table(p, classes, rows))
        .collect()
}

/// The children of a split in the unweighted fast path. Their class counts
/// come from the chosen predictor's table. Below the depth limit, every
/// child but the largest gets its tables from its rows, and the largest
/// gets the parent's tables minus theirs (exact: integer counts), so its
/// rows are listed only if its own children will need them.
pub(crate) fn fast_children(
    predictors: &[Predictor],
    cells: &[CellColumn],
    classes: usize,
    tables: &[PredictorTable],
    rows: Option<&[u32]>,
    split: &ChosenSplit<'_>,
    max_depth: usize,
) -> Vec<PendingNode> {
    let k = predictors[split.predictor].labels.len();
    let slot = |c: u32| if c == MISSING { k } else { c as usize };
    let mut counts = vec![vec![0.0; classes]; split.groups.len()];
    for (c, row) in &tables[split.predictor] {
        if let Some(sum) = counts.get_mut(split.group_of[slot(*c)]) {
            sum.iter_mut().zip(row).for_each(|(s, x)| *s += x);
        }
    }
    let depth = split.depth + 1;
    let mut children: Vec<PendingNode> = counts
        .iter()
        .zip(split.groups)
        .map(|(c, branch)| PendingNode {
            rows: Vec::new(),
            parent: Some(split.parent),
            depth,
            branch: branch.clone(),
            counts: Some(c.clone()),
            tables: None,
        })
        .collect();
    // Children at the depth limit become leaves: their rows are never read.
    if depth >= max_depth {
        return children;
    }
    let sizes: Vec<usize> = counts
        .iter()
        .map(|c| c.iter().sum::<f64>() as usize)
        .collect();
    let node_rows = rows.map_or(cells[0].len(), <[u32]>::len);
    // Subtraction needs every row of the node in some child.
    let largest = (sizes.iter().sum::<usize>() == node_rows)
        .then(|| (0..sizes.len()).rev().max_by_key(|&g| sizes[g]))
        .flatten();
    let mut group_of = split.group_of.to_vec();
    if let Some(l) = largest.filter(|_| depth + 1 >= max_depth) {
        group_of
            .iter_mut()
            .filter(|g| **g == l)
            .for_each(|g| *g = usize::MAX);
    }
    let mut parts: Vec<Vec<u32>> = sizes.iter().map(|&s| Vec::with_capacity(s)).collect();
    cells[split.predictor].partition(rows, &group_of, classes, &mut parts);
    for (g, child) in children.iter_mut().enumerate() {
        if Some(g) != largest {
            child.tables = Some(cell_tables(predictors, cells, classes, Some(&parts[g])));
        }
    }
    if let Some(l) = largest {
        let others: Vec<&[PredictorTable]> = children
            .iter()
            .filter_map(|c| c.tables.as_deref())
            .collect();
        children[l].tables = Some(subtract_tables(tables, &others));
    }
    for (child, part) in children.iter_mut().zip(parts) {
        child.rows = part;
    }
    children
}

/// `parent`'s tables minus each of `others`, per predictor; categories
/// left without cases are dropped.
fn subtract_tables(parent: &[PredictorTable], others: &[&[PredictorTable]]) -> Vec<PredictorTable> {
    parent
        .iter()
        .enumerate()
        .map(|(q, table)| {
            let mut rest = table.clone();
            for other in others {
                for (code, row) in &other[q] {
                    if let Ok(i) = rest.binary_search_by_key(code, |e| e.0) {
                        rest[i].1.iter_mut().zip(row).for_each(|(a, b)| *a -= b);
                    }
                }
            }
            rest.retain(|(_, row)| row.iter().any(|&x| x > 0.0));
            rest
        })
        .collect()
}

/// One predictor's table cell of every row for an unweighted class target:
/// `slot × classes + class`, where the slot is the category code (the label
/// count for a missing value). Built once per fit, so that a node's table is
/// a plain count of small integers over its rows.
pub(crate) enum CellColumn {
    /// At most 256 cells: one byte per row.
    Narrow(Vec<u8>),
    /// At most 65,536 cells.
    Wide(Vec<u16>),
}

impl CellColumn {
    /// The cells of `p` against class codes `y` (`classes` classes);
    /// `None` when the table would have more than 65,536 cells.
    pub(crate) fn new(p: &Predictor, y: &[u32], classes: usize) -> Option<Self> {
        // Training codes are below k or MISSING: the slot is min(code, k).
        let k = p.labels.len() as u32;
        let j = classes as u32;
        let cell = |(&c, &t): (&u32, &u32)| c.min(k) * j + t;
        match (k as usize + 1) * classes {
            0..=256 => Some(Self::Narrow(
                p.codes.iter().zip(y).map(|ct| cell(ct) as u8).collect(),
            )),
            257..=65_536 => Some(Self::Wide(
                p.codes.iter().zip(y).map(|ct| cell(ct) as u16).collect(),
            )),
            _ => None,
        }
    }

    /// The node's table of `p` (as [`node_table`]) over `rows`, or over
    /// every row when `rows` is `None`.
    pub(crate) fn table(
        &self,
        p: &Predictor,
        classes: usize,
        rows: Option<&[u32]>,
    ) -> Vec<(u32, Vec<f64>)> {
        let k = p.labels.len();
        let counts = match self {
            Self::Narrow(cells) => count_narrow(cells, rows),
            Self::Wide(cells) => count_wide(cells, rows, (k + 1) * classes),
        };
        (0..=k)
            .filter_map(|s| {
                let row = &counts[s * classes..(s + 1) * classes];
                row.iter().any(|&c| c > 0).then(|| {
                    let code = if s == k { MISSING } else { s as u32 };
                    (code, row.iter().map(|&c| f64::from(c)).collect())
                })
            })
            .collect()
    }
}

impl CellColumn {
    /// Rows in the column.
    pub(crate) fn len(&self) -> usize {
        match self {
            Self::Narrow(c) => c.len(),
            Self::Wide(c) => c.len(),
        }
    }

    /// Appends each of `rows` (every row when `None`) to `parts[g]`, `g`
    /// the group of its slot (`group_of[slot]`, `usize::MAX` for none).
    pub(crate) fn partition(
        &self,
        rows: Option<&[u32]>,
        group_of: &[usize],
        classes: usize,
        parts: &mut [Vec<u32>],
    ) {
        // Group of every cell, so that a row's group is one lookup.
        let cell_group = |cells: usize| -> Vec<usize> {
            (0..cells)
                .map(|c| group_of.get(c / classes).copied().unwrap_or(usize::MAX))
                .collect()
        };
        match self {
            Self::Narrow(cells) => {
                let by_cell = cell_group(256);
                route(rows, cells.len(), |r| by_cell[usize::from(cells[r])], parts);
            }
            Self::Wide(cells) => {
                let by_cell = cell_group(group_of.len() * classes);
                route(rows, cells.len(), |r| by_cell[usize::from(cells[r])], parts);
            }
        }
    }
}

/// Appends each row to the part `group(row)` names (none for `usize::MAX`),
/// in row order; blocks of rows are routed in parallel, then joined.
fn route(
    rows: Option<&[u32]>,
    n: usize,
    group: impl Fn(usize) -> usize + Sync,
    parts: &mut [Vec<u32>],
) {
    const BLOCK: usize = 1 << 17;
    let route_block = |block: &mut dyn Iterator<Item = u32>| {
        let mut local: Vec<Vec<u32>> = vec![Vec::new(); parts.len()];
        for r in block {
            if let Some(part) = local.get_mut(group(r as usize)) {
                part.push(r);
            }
        }
        local
    };
    let blocks: Vec<Vec<Vec<u32>>> = match rows {
        Some(rows) => rows
            .par_chunks(BLOCK)
            .map(|b| route_block(&mut b.iter().copied()))
            .collect(),
        None => (0..n.div_ceil(BLOCK))
            .into_par_iter()
            .map(|b| route_block(&mut ((b * BLOCK) as u32..(n.min((b + 1) * BLOCK)) as u32)))
            .collect(),
    };
    for block in blocks {
        for (part, local) in parts.iter_mut().zip(block) {
            part.extend_from_slice(&local);
        }
    }
}

/// Counts of byte cells. Four partial tables let consecutive rows of the
/// same cell increment different counters.
fn count_narrow(cells: &[u8], rows: Option<&[u32]>) -> Vec<u32> {
    let mut h = [[0u32; 256]; 4];
    match rows {
        None => {
            let mut chunks = cells.chunks_exact(4);
            for c in &mut chunks {
                h[0][usize::from(c[0])] += 1;
                h[1][usize::from(c[1])] += 1;
                h[2][usize::from(c[2])] += 1;
                h[3][usize::from(c[3])] += 1;
            }
            for &c in chunks.remainder() {
                h[0][usize::from(c)] += 1;
            }
        }
        Some(rows) => {
            let mut chunks = rows.chunks_exact(4);
            for r in &mut chunks {
                h[0][usize::from(cells[r[0] as usize])] += 1;
                h[1][usize::from(cells[r[1] as usize])] += 1;
                h[2][usize::from(cells[r[2] as usize])] += 1;
                h[3][usize::from(cells[r[3] as usize])] += 1;
            }
            for &r in chunks.remainder() {
                h[0][usize::from(cells[r as usize])] += 1;
            }
        }
    }
    (0..256)
        .map(|c| h[0][c] + h[1][c] + h[2][c] + h[3][c])
        .collect()
}

/// Counts of two-byte cells (`width` cells).
fn count_wide(cells: &[u16], rows: Option<&[u32]>, width: usize) -> Vec<u32> {
    let mut h = vec![0u32; width];
    match rows {
        None => cells.iter().for_each(|&c| h[usize::from(c)] += 1),
        Some(rows) => rows
            .iter()
            .for_each(|&r| h[usize::from(cells[r as usize])] += 1),
    }
    h
}

/// The node's table of one predictor: present codes ascending, missing last.
pub(crate) fn node_table(
    p: &Predictor,
    rows: &[u32],
    target: TargetRef<'_>,
    weights: Option<&[f64]>,
) -> Vec<(u32, Vec<f64>)> {
    let k = p.labels.len();
    let j = target.width();
    let mut dense = vec![0.0; (k + 1) * j];
    let mut seen = vec![false; k + 1];
    let slot_of = |r: u32| match p.codes[r as usize] {
        MISSING => k,
        c => c as usize,
    };
    match (target, weights) {
        // The common case without weights: one increment per row.
        (TargetRef::Classes(classes, _), None) => {
            for &r in rows {
                let slot = slot_of(r);
                dense[slot * j + classes[r as usize] as usize] += 1.0;
                seen[slot] = true;
            }
        }
        _ => {
            let w = |i: usize| weights.map_or(1.0, |w| w[i]);
            for &r in rows {
                let slot = slot_of(r);
                target.add(
                    r as usize,
                    w(r as usize),
                    &mut dense[slot * j..(slot + 1) * j],
                );
                seen[slot] = true;
            }
        }
    }
    (0..=k)
        .filter(|&s| seen[s])
        .map(|s| {
            (
                if s == k { MISSING } else { s as u32 },
                dense[s * j..(s + 1) * j].to_vec(),
            )
        })
        .collect()
}

/// The target of a fit: class codes (with the class count) or values.
#[derive(Clone, Copy)]
pub(crate) enum TargetRef<'a> {
    Classes(&'a [u32], usize),
    /// Classes with case weights: category tables hold the frequency counts
    /// then the sums of case weight × frequency per class.
    CaseWeighted(&'a [u32], usize, &'a [f64]),
    Values(&'a [f64]),
}

impl TargetRef<'_> {
    pub(crate) fn len(&self) -> usize {
        match self {
            Self::Classes(c, _) | Self::CaseWeighted(c, _, _) => c.len(),
            Self::Values(v) => v.len(),
        }
    }

    /// Entries per category table: class counts (then case-weighted sums),
    /// or (Σw, Σwy, Σwy²).
    pub(crate) fn width(&self) -> usize {
        match self {
            Self::Classes(_, j) => *j,
            Self::CaseWeighted(_, j, _) => 2 * j,
            Self::Values(_) => 3,
        }
    }

    /// The target as nodes count it: case weights left out.
    pub(crate) fn frequencies(self) -> Self {
        match self {
            Self::CaseWeighted(c, j, _) => Self::Classes(c, j),
            other => other,
        }
    }

    pub(crate) fn add(&self, row: usize, w: f64, out: &mut [f64]) {
        match self {
            Self::Classes(c, _) => out[c[row] as usize] += w,
            Self::CaseWeighted(c, j, case) => {
                out[c[row] as usize] += w;
                out[j + c[row] as usize] += w * case[row];
            }
            Self::Values(v) => {
                let y = v[row];
                out[0] += w;
                out[1] += w * y;
                out[2] += w * y * y;
            }
        }
    }
}
