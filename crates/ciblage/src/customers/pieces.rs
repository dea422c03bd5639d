//! Rows of a column given in pieces (the chunks of an Arrow column), read
//! as one sequence.

/// Rows given in pieces (the chunks of a column): `get(p, i)` is row `i` of
/// piece `p`; rows are numbered across pieces, in piece order.
pub(super) struct PieceRows<F> {
    /// First row of each piece, then the number of rows.
    starts: Vec<usize>,
    /// Per block of 2^[`BLOCK_BITS`] rows, the piece holding its first row: a row
    /// is found from there in a step or two, not by a binary search (rows
    /// read at random, one by one, would pay its mispredicted branches).
    block_piece: Vec<u32>,
    get: F,
}

/// log2 of the rows per block of [`PieceRows::block_piece`].
const BLOCK_BITS: u32 = 12;

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
        let mut block_piece = Vec::with_capacity((at >> BLOCK_BITS) + 1);
        let mut p = 0;
        for block in 0..=(at >> BLOCK_BITS) {
            let first = block << BLOCK_BITS;
            while p + 1 < lens.len() && starts[p + 1] <= first {
                p += 1;
            }
            block_piece.push(p as u32);
        }
        Self {
            starts,
            block_piece,
            get,
        }
    }

    /// Rows in all pieces.
    pub fn len(&self) -> usize {
        self.starts[self.starts.len() - 1]
    }

    /// The piece holding row `i` (`i` below [`PieceRows::len`]): from its
    /// block's first piece, past the pieces that end before it.
    #[inline]
    pub fn piece_of(&self, i: usize) -> usize {
        let mut p = self.block_piece[(i >> BLOCK_BITS).min(self.block_piece.len() - 1)] as usize;
        // Never past the last piece (there is none past it to hold `i`).
        while p + 2 < self.starts.len() && self.starts[p + 1] <= i {
            p += 1;
        }
        p
    }

    /// Row `i`.
    #[inline]
    pub fn get(&self, i: usize) -> &'s str {
        let p = self.piece_of(i);
        (self.get)(p, i - self.starts[p])
    }

    /// Row `i`, its piece searched from piece `*p` on (rows asked in
    /// increasing order find it in a step or two), where `*p` is left;
    /// `i` must not be before piece `*p`.
    #[inline]
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Rows are found in their pieces whatever the pieces' sizes (empty
        /// ones and ones spanning many blocks included), one by one, in
        /// order and by range.
        #[test]
        fn rows_are_numbered_across_pieces(
            lens in proptest::collection::vec(
                prop_oneof![Just(0usize), 1usize..50, 4_000usize..9_000],
                0..12,
            ),
        ) {
            let rows: Vec<String> = (0..lens.iter().sum::<usize>()).map(|i| i.to_string()).collect();
            let starts: Vec<usize> = lens
                .iter()
                .scan(0, |at, &len| {
                    let s = *at;
                    *at += len;
                    Some(s)
                })
                .collect();
            let pieces = PieceRows::new(&lens, |p, i| {
                assert!(i < lens[p], "row {i} asked of piece {p}");
                rows[starts[p] + i].as_str()
            });
            prop_assert_eq!(pieces.len(), rows.len());
            for (i, row) in rows.iter().enumerate() {
                prop_assert_eq!(pieces.get(i), row.as_str());
            }
            let mut seen = Vec::new();
            pieces.each(0, rows.len(), |i, s| seen.push((i, s.to_string())));
            let want: Vec<(usize, String)> = rows.iter().cloned().enumerate().collect();
            prop_assert_eq!(seen, want);
            let mut p = pieces.piece_of(0);
            for (i, row) in rows.iter().enumerate().step_by(7) {
                prop_assert_eq!(pieces.get_after(&mut p, i), row.as_str());
            }
        }
    }
}
