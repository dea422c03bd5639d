//! The original customer ids, integer or string, kept for output.

use std::fmt;

use rayon::prelude::*;

use super::PARALLEL_ROWS;

/// One original customer id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CustomerId<'a> {
    /// An integer id.
    Int(i64),
    /// A string id.
    Str(&'a str),
}

impl fmt::Display for CustomerId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Int(v) => write!(f, "{v}"),
            Self::Str(s) => f.write_str(s),
        }
    }
}

/// String ids stored back to back in one buffer (no allocation per id).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StringIds {
    bytes: String,
    offsets: Vec<usize>,
}

impl StringIds {
    /// An empty list.
    pub fn new() -> Self {
        Self {
            bytes: String::new(),
            offsets: vec![0],
        }
    }

    /// Number of ids.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// True when there is no id.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The id at `i`.
    ///
    /// # Panics
    /// If `i >= self.len()`.
    #[inline]
    pub fn get(&self, i: usize) -> &str {
        &self.bytes[self.offsets[i]..self.offsets[i + 1]]
    }

    /// Asks for the position of id `i` ahead of [`StringIds::get`]
    /// (nothing if `i` is out of range).
    #[inline]
    pub(crate) fn prefetch_position(&self, i: usize) {
        if let Some(at) = self.offsets.get(i) {
            crate::prefetch::prefetch(at);
        }
    }

    /// Asks for the bytes of id `i` ahead of [`StringIds::get`], its
    /// position being at hand (nothing if `i` is out of range).
    #[inline]
    pub(crate) fn prefetch_bytes(&self, i: usize) {
        if let (Some(&from), Some(&to)) = (self.offsets.get(i), self.offsets.get(i + 1)) {
            // Bytes, not `str`: slicing a `str` would read them to check
            // character boundaries.
            if let Some(b) = self.bytes.as_bytes().get(from..to) {
                crate::prefetch::prefetch_lines(b);
            }
        }
    }

    /// Appends one id.
    pub fn push(&mut self, s: &str) {
        self.bytes.push_str(s);
        self.offsets.push(self.bytes.len());
    }

    /// Iterates the ids in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// The concatenated bytes and the `len + 1` offsets (Arrow string layout).
    pub fn as_parts(&self) -> (&str, &[usize]) {
        (&self.bytes, &self.offsets)
    }

    /// The concatenated bytes and the `len + 1` offsets, moved out (to hand
    /// the bytes to another table format without a copy).
    ///
    /// ```
    /// let mut ids = ciblage::StringIds::new();
    /// ids.push("ab");
    /// ids.push("c");
    /// assert_eq!(ids.into_parts(), ("abc".to_owned(), vec![0, 2, 3]));
    /// ```
    pub fn into_parts(self) -> (String, Vec<usize>) {
        (self.bytes, self.offsets)
    }
}

/// The original ids of the customers, indexed by code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerIds {
    /// Integer ids.
    Int(Vec<i64>),
    /// String ids.
    Str(StringIds),
}

impl CustomerIds {
    /// Number of customers.
    pub fn len(&self) -> usize {
        match self {
            Self::Int(v) => v.len(),
            Self::Str(s) => s.len(),
        }
    }

    /// True when there is no customer.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The id of code `code`.
    ///
    /// # Panics
    /// If `code` is not below [`CustomerIds::len`].
    pub fn get(&self, code: u32) -> CustomerId<'_> {
        match self {
            Self::Int(v) => CustomerId::Int(v[code as usize]),
            Self::Str(s) => CustomerId::Str(s.get(code as usize)),
        }
    }

    /// The ids of `codes`, in that order.
    ///
    /// # Panics
    /// If a code is not below [`CustomerIds::len`].
    pub fn gather(&self, codes: &[u32]) -> CustomerIds {
        match self {
            Self::Int(v) => Self::Int(codes.par_iter().map(|&c| v[c as usize]).collect()),
            Self::Str(s) => {
                // Pieces gathered on all threads, then joined.
                let pieces: Vec<StringIds> = codes
                    .par_chunks(PARALLEL_ROWS)
                    .map(|part| {
                        let mut piece = StringIds::new();
                        for &c in part {
                            piece.push(s.get(c as usize));
                        }
                        piece
                    })
                    .collect();
                let mut out = StringIds::new();
                out.bytes
                    .reserve(pieces.iter().map(|p| p.bytes.len()).sum());
                out.offsets.reserve(codes.len());
                for piece in &pieces {
                    let base = out.bytes.len();
                    out.bytes.push_str(&piece.bytes);
                    out.offsets
                        .extend(piece.offsets[1..].iter().map(|&o| base + o));
                }
                Self::Str(out)
            }
        }
    }
}
