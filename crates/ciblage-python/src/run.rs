//! How native calls run: the one place that releases the GIL, stops long
//! work on Ctrl-C and turns panics into `ciblage.exceptions.InternalError`.
//!
//! [`run`] is for work that takes time: the work runs as a rayon task
//! without the GIL while the calling thread checks Python's signals every
//! [`POLL`]. On a signal (Ctrl-C: `KeyboardInterrupt`) it sets the work's
//! [`Interrupt`] token, waits for the work to return (the core checks its
//! token per node or chunk, so it returns within a fraction of a second)
//! and raises the signal's exception: nothing the work built is kept. The
//! token is made for the call: concurrent calls never stop each other.
//!
//! [`guard`] is for the short methods that keep the GIL: it only turns a
//! panic into `InternalError` (a panic would otherwise reach Python as
//! `PanicException`, which `except Exception` does not catch).

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::Duration;

use ciblage::Interrupt;
use pyo3::prelude::*;

use crate::error::InternalError;

/// How often the calling thread checks Python's signals while work runs.
pub const POLL: Duration = Duration::from_millis(20);

/// Result of the work, or the payload of its panic.
type Outcome<T, E> = std::thread::Result<Result<T, E>>;

/// The `InternalError` of a panic payload.
fn internal_error(payload: &(dyn Any + Send)) -> PyErr {
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)");
    InternalError::new_err(format!(
        "internal error in ciblage (this is a bug, please report it): panic: {message}"
    ))
}

/// Runs `work` without the GIL, stopping it on Ctrl-C (see the module
/// documentation). The work gets the call's token, to hand to the core's
/// `.interrupt(token)` setters and `…_interruptible` functions, and may
/// check it itself between its steps.
///
/// # Errors
/// The work's error; the exception of a signal received while it ran
/// (`KeyboardInterrupt`); `InternalError` if it panicked.
pub fn run<T, E>(
    py: Python<'_>,
    work: impl FnOnce(&Interrupt) -> Result<T, E> + Send,
) -> PyResult<T>
where
    T: Send,
    E: Send + Into<PyErr>,
{
    let token = Interrupt::new();
    let done: (Mutex<Option<Outcome<T, E>>>, Condvar) = (Mutex::new(None), Condvar::new());
    let mut signal: Option<PyErr> = None;
    let outcome = rayon::in_place_scope(|scope| {
        let (token, done) = (&token, &done);
        scope.spawn(move |_| {
            let outcome = catch_unwind(AssertUnwindSafe(|| work(token)));
            *done.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(outcome);
            done.1.notify_all();
        });
        loop {
            let finished = py.detach(|| {
                let slot = done.0.lock().unwrap_or_else(PoisonError::into_inner);
                let (mut slot, _) = done
                    .1
                    .wait_timeout_while(slot, POLL, |o| o.is_none())
                    .unwrap_or_else(PoisonError::into_inner);
                slot.take()
            });
            if let Some(outcome) = finished {
                break outcome;
            }
            if signal.is_none() {
                if let Err(e) = py.check_signals() {
                    token.set();
                    signal = Some(e);
                }
            }
        }
    });
    if let Some(e) = signal {
        return Err(e);
    }
    match outcome {
        Ok(result) => result.map_err(Into::into),
        Err(payload) => Err(internal_error(payload.as_ref())),
    }
}

/// Runs the short `work` of a method that keeps the GIL, a panic becoming
/// `InternalError`.
///
/// # Errors
/// The work's error; `InternalError` if it panicked.
pub fn guard<T, E: Into<PyErr>>(work: impl FnOnce() -> Result<T, E>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(work)) {
        Ok(result) => result.map_err(Into::into),
        Err(payload) => Err(internal_error(payload.as_ref())),
    }
}

/// Test hook (not public API): panics, on the calling thread (`where_ =
/// "guard"`), in a long call's work (`"run"`) or in a rayon task of that
/// work (`"rayon"`), so that tests see the panic arrive as `InternalError`.
#[pyfunction]
#[pyo3(name = "_panic_for_test", signature = (where_ = "run"))]
pub fn panic_for_test(py: Python<'_>, where_: &str) -> PyResult<()> {
    match where_ {
        "guard" => guard(|| -> PyResult<()> { panic!("test panic on the calling thread") }),
        "rayon" => run(py, |_| -> PyResult<()> {
            use rayon::prelude::*;
            let n: usize = (0..64usize)
                .into_par_iter()
                .map(|i| {
                    assert!(i != 37, "test panic in a rayon task");
                    i
                })
                .sum();
            Ok(std::hint::black_box(n)).map(|_| ())
        }),
        _ => run(py, |_| -> PyResult<()> { panic!("test panic in the work") }),
    }
}

/// Test hook (not public API): works for `seconds` without the GIL, checking
/// its token every millisecond, as the core's long loops do; returns the
/// seconds waited. Tests time Ctrl-C on it, and run it on two threads at once.
#[pyfunction]
#[pyo3(name = "_wait_for_test")]
pub fn wait_for_test(py: Python<'_>, seconds: f64) -> PyResult<f64> {
    let start = std::time::Instant::now();
    run(py, |token| -> Result<f64, crate::error::BindError> {
        while start.elapsed().as_secs_f64() < seconds {
            token.check()?;
            std::thread::sleep(Duration::from_millis(1));
        }
        Ok(start.elapsed().as_secs_f64())
    })
}
