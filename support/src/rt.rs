//! Running async code from a notebook cell.
//!
//! evcxr compiles every cell into its own library with its own copy of tokio, so a runtime made
//! in one cell cannot safely drive tasks from the next (evcxr issue #245: a `tokio::spawn` awaited
//! at the top level of a second cell hangs). The notebooks therefore never use top-level
//! `.await`; each cell that runs async code builds a runtime, runs one future to completion and
//! drops the runtime, which also stops every task it spawned.

use crate::error::{Error, Result, workers};
use std::future::Future;

/// The most worker threads a runtime of this crate starts: a guard against a typo starting
/// thousands.
pub const MAX_WORKERS: usize = 256;

/// Runs `future` to completion on a fresh single-threaded tokio runtime (timers and I/O on),
/// then drops the runtime. Everything runs on the calling thread: this is the "event loop" of
/// the course.
///
/// ```
/// let answer = support::rt::block_on(async {
///     tokio::time::sleep(std::time::Duration::from_millis(1)).await;
///     42
/// })?;
/// assert_eq!(answer, 42);
/// # Ok::<(), support::Error>(())
/// ```
pub fn block_on<F: Future>(future: F) -> Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::System(format!("could not build a tokio runtime: {e}")))?;
    Ok(runtime.block_on(future))
}

/// Like [`block_on`], on a multi-threaded runtime with `worker_threads` workers. The runtime
/// and its worker threads are shut down before this returns (waiting at most 5 s for blocking
/// tasks to finish).
///
/// ```
/// let n = support::rt::block_on_workers(2, async {
///     let task = tokio::spawn(async { 6 * 7 });
///     task.await.unwrap()
/// })?;
/// assert_eq!(n, 42);
/// assert!(support::rt::block_on_workers(0, async {}).is_err());
/// // A typo's worker count is refused before any thread starts.
/// assert!(support::rt::block_on_workers(support::rt::MAX_WORKERS + 1, async {}).is_err());
/// # Ok::<(), support::Error>(())
/// ```
pub fn block_on_workers<F: Future>(worker_threads: usize, future: F) -> Result<F::Output> {
    if worker_threads > MAX_WORKERS {
        return Err(Error::InvalidInput(format!(
            "{worker_threads} worker threads: give 1 to {MAX_WORKERS}"
        )));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers(worker_threads)?)
        .enable_all()
        .build()
        .map_err(|e| Error::System(format!("could not build a tokio runtime: {e}")))?;
    let output = runtime.block_on(future);
    // Wait (briefly) for workers and any `spawn_blocking` threads, so none outlives the cell.
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    Ok(output)
}

/// Runs a future that can fail on a fresh single-threaded runtime, like [`block_on`], with one
/// error for both: the runtime's, or the future's own (its message kept). A cell then writes
/// `run(async { … })?` where it would write `block_on(async { … })??`.
///
/// ```
/// use support::rt::run;
/// let n: u32 = run(async { "42".parse::<u32>() })?;
/// assert_eq!(n, 42);
/// let err = run(async { "forty-two".parse::<u32>() }).unwrap_err();
/// assert!(err.to_string().contains("invalid digit"));
/// # Ok::<(), support::Error>(())
/// ```
pub fn run<T, E: std::fmt::Display>(
    future: impl Future<Output = std::result::Result<T, E>>,
) -> Result<T> {
    block_on(future)?.map_err(|e| Error::Failed(e.to_string()))
}

/// Like [`run`], on a multi-threaded runtime with `worker_threads` workers, shut down before it
/// returns (see [`block_on_workers`]).
///
/// ```
/// let n = support::rt::run_on(2, async { tokio::spawn(async { 6 * 7 }).await })?;
/// assert_eq!(n, 42);
/// # Ok::<(), support::Error>(())
/// ```
pub fn run_on<T, E: std::fmt::Display>(
    worker_threads: usize,
    future: impl Future<Output = std::result::Result<T, E>>,
) -> Result<T> {
    block_on_workers(worker_threads, future)?.map_err(|e| Error::Failed(e.to_string()))
}
