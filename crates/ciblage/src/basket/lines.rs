//! Order lines in long form, grouped into transactions (baskets).

use crate::error::{CiblageError, Result};

/// Transactions (baskets) built from order lines: for every order that has
/// at least one line, the sorted set of its product codes.
///
/// Order and product ids are dense `u32` codes (the Python binding
/// factorises ids of any type into them). Several lines of one product in
/// one order count once, and the order of the lines does not matter.
///
/// ```
/// use ciblage::basket::OrderLines;
/// // Order 0 buys products 2, 1 and 2 again; order 1 buys product 1.
/// let lines = OrderLines::from_codes(&[0, 0, 1, 0], &[2, 1, 1, 2])?;
/// assert_eq!(lines.len(), 2);
/// assert_eq!(lines.basket(0), &[1, 2]);
/// assert_eq!(lines.basket(1), &[1]);
/// # Ok::<(), ciblage::CiblageError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLines {
    /// `offsets[t]..offsets[t + 1]` are basket `t`'s items in `items`.
    offsets: Vec<usize>,
    /// Every basket's product codes, sorted and without repeats.
    items: Vec<u32>,
    /// One more than the largest product code (0 when there is none).
    n_products: usize,
}

impl OrderLines {
    /// Groups order lines (`orders[i]` bought `products[i]`) into baskets,
    /// one per distinct order code, in order-code order.
    ///
    /// # Errors
    /// [`CiblageError::LengthMismatch`] when the two columns differ in
    /// length.
    pub fn from_codes(orders: &[u32], products: &[u32]) -> Result<Self> {
        if orders.len() != products.len() {
            return Err(CiblageError::LengthMismatch {
                argument: "product".into(),
                expected: orders.len(),
                got: products.len(),
            });
        }
        let n_orders = orders.iter().max().map_or(0, |&m| m as usize + 1);
        // Counting sort of the lines by order code.
        let mut starts = vec![0usize; n_orders + 1];
        for &o in orders {
            starts[o as usize + 1] += 1;
        }
        for i in 0..n_orders {
            starts[i + 1] += starts[i];
        }
        let mut fill = starts.clone();
        let mut grouped = vec![0u32; orders.len()];
        for (&o, &p) in orders.iter().zip(products) {
            let slot = &mut fill[o as usize];
            grouped[*slot] = p;
            *slot += 1;
        }
        Ok(Self::from_groups(&starts, grouped))
    }

    /// Baskets from lines already grouped by `starts` (sorted and
    /// deduplicated here, empty groups dropped).
    fn from_groups(starts: &[usize], mut grouped: Vec<u32>) -> Self {
        let mut offsets = Vec::with_capacity(starts.len());
        offsets.push(0);
        let mut write = 0;
        let mut n_products = 0;
        for w in starts.windows(2) {
            let basket = &mut grouped[w[0]..w[1]];
            if basket.is_empty() {
                continue;
            }
            basket.sort_unstable();
            let mut last = None;
            for k in w[0]..w[1] {
                let p = grouped[k];
                if last != Some(p) {
                    grouped[write] = p;
                    write += 1;
                    last = Some(p);
                    n_products = n_products.max(p as usize + 1);
                }
            }
            offsets.push(write);
        }
        grouped.truncate(write);
        grouped.shrink_to_fit();
        Self {
            offsets,
            items: grouped,
            n_products,
        }
    }

    /// The same baskets one level up a product hierarchy: product `p`
    /// becomes category `category_of[p]` (several products of one category
    /// in a basket count once).
    ///
    /// ```
    /// use ciblage::basket::OrderLines;
    /// let lines = OrderLines::from_codes(&[0, 0, 1], &[0, 1, 2])?;
    /// // Products 0 and 1 are in category 0, product 2 in category 1.
    /// let up = lines.to_level(&[0, 0, 1])?;
    /// assert_eq!(up.basket(0), &[0]);
    /// assert_eq!(up.basket(1), &[1]);
    /// # Ok::<(), ciblage::CiblageError>(())
    /// ```
    ///
    /// # Errors
    /// [`CiblageError::InvalidParameter`] (`hierarchy`) when a product code
    /// has no category.
    pub fn to_level(&self, category_of: &[u32]) -> Result<Self> {
        if self.n_products > category_of.len() {
            return Err(CiblageError::param(
                "hierarchy",
                format!(
                    "product code {} has no category (categories given for codes 0..{})",
                    self.n_products - 1,
                    category_of.len()
                ),
            ));
        }
        let grouped = self
            .items
            .iter()
            .map(|&p| category_of[p as usize])
            .collect();
        Ok(Self::from_groups(&self.offsets, grouped))
    }

    /// The number of baskets (orders with at least one line).
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Whether there is no basket.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// One more than the largest product code in any basket.
    pub fn n_products(&self) -> usize {
        self.n_products
    }

    /// Basket `t`'s product codes, sorted, without repeats.
    ///
    /// # Panics
    /// When `t >= self.len()`.
    pub fn basket(&self, t: usize) -> &[u32] {
        &self.items[self.offsets[t]..self.offsets[t + 1]]
    }

    /// Every basket in order.
    pub fn baskets(&self) -> impl Iterator<Item = &[u32]> + '_ {
        self.offsets.windows(2).map(|w| &self.items[w[0]..w[1]])
    }

    /// The number of baskets holding each product code.
    pub fn item_counts(&self) -> Vec<u64> {
        let mut counts = vec![0u64; self.n_products];
        for &p in &self.items {
            counts[p as usize] += 1;
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_count_once_and_row_order_does_not_matter() {
        let a = OrderLines::from_codes(&[3, 0, 3, 3, 0], &[5, 1, 2, 5, 1]).unwrap();
        let b = OrderLines::from_codes(&[0, 3, 3, 0, 3], &[1, 2, 5, 1, 5]).unwrap();
        assert_eq!(a, b);
        // Orders 1 and 2 have no line: two baskets only.
        assert_eq!(a.len(), 2);
        assert_eq!(a.basket(0), &[1]);
        assert_eq!(a.basket(1), &[2, 5]);
        assert_eq!(a.item_counts(), vec![0, 1, 1, 0, 0, 1]);
    }

    #[test]
    fn levels_merge_products_of_one_category() {
        let a = OrderLines::from_codes(&[0, 0, 0, 1], &[0, 1, 2, 1]).unwrap();
        let up = a.to_level(&[1, 1, 0]).unwrap();
        assert_eq!(up.basket(0), &[0, 1]);
        assert_eq!(up.basket(1), &[1]);
        assert!(matches!(
            a.to_level(&[0, 0]),
            Err(CiblageError::InvalidParameter {
                name: "hierarchy",
                ..
            })
        ));
    }

    #[test]
    fn mismatched_lengths_are_rejected() {
        assert!(matches!(
            OrderLines::from_codes(&[0, 1], &[0]),
            Err(CiblageError::LengthMismatch { .. })
        ));
        assert!(OrderLines::from_codes(&[], &[]).unwrap().is_empty());
    }
}
