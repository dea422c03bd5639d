//! Row buffers kept between calls. The customer code and the instant of
//! every row (and the amounts of a table of several batches) are written into buffers reused from one call to the next: a
//! repeated analysis of a large table then writes into memory it already
//! holds instead of asking the system for fresh pages, which the system
//! must clear first (at 10M rows that clearing costs as much as the
//! analysis). One buffer of each kind is kept, the largest;
//! [`release_buffers`] frees them (`ciblage.release_buffers()` in Python).

use std::sync::{Mutex, PoisonError};

static CODES: Mutex<Vec<u32>> = Mutex::new(Vec::new());
static INSTANTS: Mutex<Vec<i64>> = Mutex::new(Vec::new());
static AMOUNTS: Mutex<Vec<f64>> = Mutex::new(Vec::new());

fn take<T>(kept: &Mutex<Vec<T>>, capacity: usize) -> Vec<T> {
    let mut v = std::mem::take(&mut *kept.lock().unwrap_or_else(PoisonError::into_inner));
    if v.capacity() < capacity {
        v = Vec::with_capacity(capacity);
    }
    v.clear();
    v
}

fn give<T>(kept: &Mutex<Vec<T>>, v: Vec<T>) {
    let mut kept = kept.lock().unwrap_or_else(PoisonError::into_inner);
    if v.capacity() > kept.capacity() {
        *kept = v;
    }
}

/// An empty buffer for `capacity` customer codes.
pub fn take_codes(capacity: usize) -> Vec<u32> {
    take(&CODES, capacity)
}

/// Keeps a code buffer for the next call (if it is the largest).
pub fn give_codes(v: Vec<u32>) {
    give(&CODES, v);
}

/// An empty buffer for `capacity` instants.
pub fn take_instants(capacity: usize) -> Vec<i64> {
    take(&INSTANTS, capacity)
}

/// Keeps an instant buffer for the next call (if it is the largest).
pub fn give_instants(v: Vec<i64>) {
    give(&INSTANTS, v);
}

/// An empty buffer for `capacity` amounts (the batches of one column put
/// end to end).
pub fn take_amounts(capacity: usize) -> Vec<f64> {
    take(&AMOUNTS, capacity)
}

/// Keeps an amount buffer for the next call (if it is the largest).
pub fn give_amounts(v: Vec<f64>) {
    give(&AMOUNTS, v);
}

/// Frees the row buffers kept between calls; returns the bytes freed.
///
/// ```
/// ciblage::arrow::release_buffers();
/// assert_eq!(ciblage::arrow::release_buffers(), 0);
/// ```
pub fn release_buffers() -> usize {
    let codes = std::mem::take(&mut *CODES.lock().unwrap_or_else(PoisonError::into_inner));
    let instants = std::mem::take(&mut *INSTANTS.lock().unwrap_or_else(PoisonError::into_inner));
    let amounts = std::mem::take(&mut *AMOUNTS.lock().unwrap_or_else(PoisonError::into_inner));
    codes.capacity() * std::mem::size_of::<u32>()
        + instants.capacity() * std::mem::size_of::<i64>()
        + amounts.capacity() * std::mem::size_of::<f64>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_buffer_is_kept_and_released() {
        release_buffers();
        let mut v = take_codes(1000);
        assert!(v.is_empty() && v.capacity() >= 1000);
        v.extend(0..1000);
        give_codes(v);
        give_codes(Vec::with_capacity(10));
        let again = take_codes(500);
        assert!(again.is_empty() && again.capacity() >= 1000);
        give_codes(again);
        let mut a = take_amounts(300);
        a.extend([1.5; 300]);
        give_amounts(a);
        let again = take_amounts(200);
        assert!(again.is_empty() && again.capacity() >= 300);
        give_amounts(again);
        assert!(release_buffers() >= 4000 + 2400);
        assert_eq!(release_buffers(), 0);
    }
}
