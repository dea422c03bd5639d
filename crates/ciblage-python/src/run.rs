//! How native calls run: the one place that releases the GIL, stops long
//! work on Ctrl-C and turns panics into `ciblage.exceptions.InternalError`.
//!
//! [`run`] is for work that takes time: the work runs on the calling thread
//! without the GIL (so that it allocates from the caller's heap and a
//! one-thread fit runs on the caller's thread alone), while a watcher thread
//! waits on Python's signal wake-up descriptor (`signal.set_wakeup_fd`),
//! where Python's own C-level handler writes the number of every signal it
//! catches. On SIGINT the watcher sets the work's [`Interrupt`] token; the
//! core checks it per node or chunk, so the work returns within a fraction
//! of a second, and the calling thread then runs the Python handlers, which
//! raise `KeyboardInterrupt` (or whatever the SIGINT handler raises):
//! nothing the work built is kept. The token is made for the call:
//! concurrent calls never stop each other. Signals reach calls made from the
//! main thread only, as everywhere in Python; calls from other threads run
//! to the end. A wake-up descriptor set by someone else (an event loop) is
//! put back after the call, and the signal numbers read meanwhile are
//! passed on to it.
//!
//! In a process forked after the import, the work runs in a pool of the
//! process's own instead (see [`note_import`]): the threads of the pools
//! the parent had started are not in the child.
//!
//! [`guard`] is for the short methods that keep the GIL: it only turns a
//! panic into `InternalError` (a panic would otherwise reach Python as
//! `PanicException`, which `except Exception` does not catch).

use std::any::Any;
use std::io::Read;
use std::net::Shutdown;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::thread::JoinHandle;

use ciblage::Interrupt;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::error::InternalError;

/// The signal number of Ctrl-C on every Unix.
const SIGINT: u8 = 2;

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

/// A thread reading Python's signal wake-up descriptor during one call.
struct SignalWatch {
    /// Our end of the socket pair, shut down to end the watcher.
    reader: UnixStream,
    /// The end Python writes to (kept open while it is installed).
    _writer: UnixStream,
    /// The wake-up descriptor installed before the call (-1: none).
    previous: i64,
    /// The watcher, returning the signal numbers it read.
    thread: JoinHandle<Vec<u8>>,
}

impl SignalWatch {
    /// Installs a fresh wake-up descriptor and starts its watcher; `None`
    /// off the main thread (Python refuses the descriptor there) or if the
    /// socket pair cannot be made.
    fn start(py: Python<'_>, token: &Interrupt) -> Option<Self> {
        let (reader, writer) = UnixStream::pair().ok()?;
        writer.set_nonblocking(true).ok()?;
        let watched = reader.try_clone().ok()?;
        let signal = py.import("signal").ok()?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("warn_on_full_buffer", false).ok()?;
        let previous: i64 = signal
            .call_method("set_wakeup_fd", (writer.as_raw_fd(),), Some(&kwargs))
            .and_then(|old| old.extract())
            .ok()?;
        let token = token.clone();
        let thread = std::thread::spawn(move || {
            let mut watched = watched;
            let mut seen = Vec::new();
            let mut buf = [0u8; 64];
            loop {
                match watched.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        if buf[..n].contains(&SIGINT) {
                            token.set();
                        }
                        seen.extend_from_slice(&buf[..n]);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
            seen
        });
        Some(Self {
            reader,
            _writer: writer,
            previous,
            thread,
        })
    }

    /// Ends the watcher, puts the previous descriptor back (passing on the
    /// signal numbers read), and tells whether any signal arrived.
    fn stop(self, py: Python<'_>) -> bool {
        let _ = self.reader.shutdown(Shutdown::Both);
        let seen = py.detach(|| self.thread.join().unwrap_or_default());
        if let Ok(signal) = py.import("signal") {
            let _ = signal.call_method1("set_wakeup_fd", (self.previous,));
        }
        if self.previous >= 0 && !seen.is_empty() {
            if let Ok(os) = py.import("os") {
                let _ = os.call_method1("write", (self.previous, PyBytes::new(py, &seen)));
            }
        }
        !seen.is_empty()
    }
}

/// The process that imported the module (set by the module's init).
static IMPORTED_BY: OnceLock<u32> = OnceLock::new();

/// Notes the process importing the module: a call from another process is
/// a call from a child forked after the import.
pub fn note_import() {
    IMPORTED_BY.get_or_init(std::process::id);
}

/// Runs `work` in rayon's global pool, or, in a process forked after the
/// import, in a pool of this process's own. The threads of a pool are not
/// forked with the process: a child forked after a parallel call inherits
/// the global pool without its threads, and work sent there would wait
/// forever. The child's pool has as many threads as the global one and is
/// kept for the child's later calls (one pool per process).
fn in_process_pool<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    let pid = std::process::id();
    if IMPORTED_BY.get().is_none_or(|&first| first == pid) {
        return work();
    }
    static OWN: Mutex<Option<(u32, Arc<rayon::ThreadPool>)>> = Mutex::new(None);
    let pool = {
        let mut own = OWN.lock().unwrap_or_else(PoisonError::into_inner);
        match own.as_ref().filter(|(p, _)| *p == pid) {
            Some((_, pool)) => Some(Arc::clone(pool)),
            None => {
                // A pool inherited from the parent is forgotten, not
                // dropped: its threads are not in this process.
                std::mem::forget(own.take());
                let built = rayon::ThreadPoolBuilder::new().build().ok().map(Arc::new);
                *own = built.as_ref().map(|pool| (pid, Arc::clone(pool)));
                built
            }
        }
    };
    match pool {
        Some(pool) => pool.install(work),
        None => work(),
    }
}

/// Runs `work` without the GIL, stopping it on Ctrl-C (see the module
/// documentation). The work gets the call's token, to hand to the core's
/// `.interrupt(token)` setters, and may
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
    let watch = SignalWatch::start(py, &token);
    let outcome = py.detach(|| catch_unwind(AssertUnwindSafe(|| in_process_pool(|| work(&token)))));
    if watch.is_some_and(|w| w.stop(py)) {
        // The handlers run now, on this (main) thread: Ctrl-C raises here.
        py.check_signals()?;
    }
    match outcome {
        Ok(result) => result.map_err(Into::into),
        Err(payload) => Err(internal_error(payload.as_ref())),
    }
}

/// Least time between two calls of a progress callback.
const PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

/// [`run`], reporting progress to the Python callable `progress` (called
/// with `(done, total)`) when one is given. The work then runs on a thread
/// of its own, its token carrying a progress sink
/// ([`Interrupt::with_progress`]), while the calling thread, which holds
/// the GIL between its waits, reads the counters every 100 ms and calls
/// `progress` when they moved: the callable always runs on the thread that
/// called, with the GIL. Ctrl-C stops the work as in [`run`]; an exception
/// raised by the callable stops it too and is raised. Once the work
/// succeeded the callable gets `(total, total)` (`(1, 1)` when the work
/// counted nothing: the whole call is one unit).
///
/// # Errors
/// As [`run`]; the exception the callable raised.
pub fn run_reporting<T, E>(
    py: Python<'_>,
    progress: Option<&Bound<'_, PyAny>>,
    work: impl FnOnce(&Interrupt) -> Result<T, E> + Send,
) -> PyResult<T>
where
    T: Send,
    E: Send + Into<PyErr>,
{
    let Some(callback) = progress.filter(|p| !p.is_none()) else {
        return run(py, work);
    };
    let token = Interrupt::with_progress(|_, _| {});
    let watch = SignalWatch::start(py, &token);
    let mut shown = (0u64, 0u64);
    let mut raised: Option<PyErr> = None;
    let outcome = std::thread::scope(|scope| {
        let worker =
            scope.spawn(|| catch_unwind(AssertUnwindSafe(|| in_process_pool(|| work(&token)))));
        loop {
            let finished = py.detach(|| {
                let since = std::time::Instant::now();
                while !worker.is_finished() && since.elapsed() < PROGRESS_EVERY {
                    std::thread::sleep(std::time::Duration::from_millis(2));
                }
                worker.is_finished()
            });
            if finished {
                break;
            }
            let now = token.progress().unwrap_or_default();
            if raised.is_none() && now != shown && now.1 > 0 {
                shown = now;
                if let Err(e) = callback.call1(now) {
                    raised = Some(e);
                    token.set();
                }
            }
        }
        worker.join()
    });
    let signalled = watch.is_some_and(|w| w.stop(py));
    if let Some(e) = raised {
        return Err(e);
    }
    if signalled {
        py.check_signals()?;
    }
    // A panic is caught in the worker; `join` fails only if that failed.
    match outcome.unwrap_or_else(Err) {
        Ok(Ok(result)) => {
            let (_, total) = token.progress().unwrap_or_default();
            let total = total.max(1);
            callback.call1((total, total))?;
            Ok(result)
        }
        Ok(Err(e)) => Err(e.into()),
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
/// its token every millisecond, as the core's long loops do, and reporting
/// one unit of progress per millisecond to `progress` (see
/// [`run_reporting`]); returns the seconds waited. Tests time Ctrl-C on it,
/// and run it on two threads at once.
#[pyfunction]
#[pyo3(name = "_wait_for_test", signature = (seconds, progress = None))]
pub fn wait_for_test(
    py: Python<'_>,
    seconds: f64,
    progress: Option<Bound<'_, PyAny>>,
) -> PyResult<f64> {
    let start = std::time::Instant::now();
    run_reporting(
        py,
        progress.as_ref(),
        |token| -> Result<f64, crate::error::BindError> {
            token.add_total((seconds * 1000.0) as u64);
            while start.elapsed().as_secs_f64() < seconds {
                token.check()?;
                std::thread::sleep(std::time::Duration::from_millis(1));
                token.advance(1);
            }
            Ok(start.elapsed().as_secs_f64())
        },
    )
}
