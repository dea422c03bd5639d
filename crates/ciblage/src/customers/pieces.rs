//! Rows of a column given in pieces (the chunks of an Arrow column), read
//! as one sequence.

/// Rows given in pieces (the chunks of a column): `get(p, i)` is row `i` of
/// piece `p`; rows are numbered across pieces, in piece order.
pub(super) struct PieceRows<F> {
    /// First row of each piece, then the number of rows.
    starts: Vec<usize>,
    get: F,
}

impl<'s, F> PieceRows<F>
where
    F: Fn(usize, usize) -> &'s str + Sync,
{
    /// Pieces of `lens[p]` rows each.
    pub fn new(lens: &[usize], get: F) -> Self {
        let mut starts = Vec::with_capacity(lens.len() + 1);
        let mut at = 0;
        starts.push(at);
        for &len in lens {
            at += len;
            starts.push(at);
        }
        Self { starts, get }
    }

    /// Rows in all pieces.
    pub fn len(&self) -> usize {
        self.starts[self.starts.len() - 1]
    }

    /// The piece holding row `i` (`i` below [`PieceRows::len`]).
    pub fn piece_of(&self, i: usize) -> usize {
        self.starts.partition_point(|&s| s <= i) - 1
    }

    /// Row `i`.
    pub fn get(&self, i: usize) -> &'s str {
        let p = self.piece_of(i);
        (self.get)(p, i - self.starts[p])
    }

    /// Row `i`, its piece searched from piece `*p` on (rows asked in
    /// increasing order find it in a step or two), where `*p` is left;
    /// `i` must not be before piece `*p`.
    pub fn get_after(&self, p: &mut usize, i: usize) -> &'s str {
        while self.starts[*p + 1] <= i {
            *p += 1;
        }
        (self.get)(*p, i - self.starts[*p])
    }

    /// Calls `f(i, row i)` for rows `from..to` in order, locating a piece
    /// once rather than once per row.
    pub fn each(&self, from: usize, to: usize, mut f: impl FnMut(usize, &'s str)) {
        if from >= to {
            return;
        }
        let (mut p, mut i) = (self.piece_of(from), from);
        while i < to {
            let (start, end) = (self.starts[p], self.starts[p + 1].min(to));
            for j in i..end {
                f(j, (self.get)(p, j - start));
            }
            i = i.max(end);
            p += 1;
        }
    }
}
