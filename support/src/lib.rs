//! Scaffolding for the *Async Techniques in Rust* notebooks.
//!
//! The notebooks keep the code they teach in their cells; this crate holds what surrounds it:
//! recorders that note what ran where and when, workloads of known cost, charts drawn from the
//! measurements, tables, and checks that the prose's claims hold on the reader's machine.
//!
//! A notebook loads it in its first cell with `:dep support = { path = "../support" }`.
//!
//! # Layout
//!
//! - [`record`]: [`Recorder`](record::Recorder) and [`Span`](record::Span), thread- and
//!   task-safe timelines (every chapter).
//! - [`work`]: busy work of a known length, repeated timing, Amdahl's law.
//! - [`cpu`]: per-core utilisation and this process's CPU time while work runs (chapter 01).
//! - [`rt`]: running a future to completion from a cell without leaking the runtime (02 on).
//! - [`internet`]: a local "fake internet" web server with the course's latencies (02 on).
//! - [`chart`]: timelines, grouped bars, speed-up with Amdahl bounds, CPU utilisation, trends
//!   on a log axis; each returns a [`Figure`](chart::Figure) that evcxr shows as SVG.
//! - [`table`], [`claims`]: HTML tables, and claims checked against this run's numbers.
//! - [`bench`]: runs timed against each other and against this machine's ceiling (how much
//!   faster it runs plain arithmetic on 2, 3, … threads at that moment), for speed-up claims.
//! - [`share`]: whether other programs competed with a measurement (independent evidence only),
//!   so that a timing claim on a busy machine is shown as *not judged*, never ✔ or ✘.
//! - [`os`]: the operating system's counters in one place (CPU time, `/proc/stat`, cgroups).
//! - [`trend`]: fifty years of microprocessor data (Karl Rupp, CC BY 4.0) (chapter 01).
//! - [`python`]: running the course's Python programs beside the Rust ones (02).
//! - [`pool`]: a process pool of long-lived workers, and the task handles it shares with thread
//!   pools (Python's `Future` and `AsyncResult`) (chapters 05 and 06).
//! - [`wrk`]: runs the course's load-testing tool, when installed, to cross-check [`load`] (08).
//! - [`process`]: worker programs run as separate processes, and a check that none is left (05).
//! - [`titles`]: the course's `get_title` with the standard library only, shared with a worker (06).
//! - [`city`], [`load`]: the city API's services and server, and a load generator (08).
//! - [`machine`]: what the numbers were measured on, and [`Count`](machine::Count)s of this
//!   process's threads and children that say "not available" where the system cannot tell.
//! - [`exercises`], [`solutions`]: checkers for the end-of-chapter exercises, and tested
//!   reference answers.
//!
//! # Rules this crate keeps
//!
//! - **No global state.** evcxr compiles every cell into its own library with its own copy of
//!   each `static`; anything that must live across cells is a value the notebook holds.
//! - **Nothing left running.** Every function that starts a thread, runtime or pool joins or
//!   shuts it down before it returns.
//! - **Errors, not panics.** Every public function that takes a reader's argument returns
//!   [`Result`] with a message that says what to change.

pub mod bench;
pub mod chart;
#[cfg(feature = "web")]
pub mod city;
#[cfg(feature = "web")]
pub mod city_data;
pub mod claims;
pub mod cpu;
pub mod error;
pub mod exercises;
#[cfg(feature = "web")]
pub mod internet;
#[cfg(feature = "web")]
pub mod load;
pub mod machine;
pub mod pool;
pub mod process;
pub mod python;
pub mod record;
pub mod rt;
#[cfg(feature = "web")]
pub mod server;
pub mod share;
pub mod solutions;
pub mod table;
pub mod titles;
pub mod trend;
pub mod work;
#[cfg(feature = "web")]
pub mod wrk;

pub use error::{Error, Result};

/// The operating system's counters and limits (the `course_os` crate, shared with the load
/// generator): CPU time, `/proc/stat`, cgroups v1 and v2, open-file limits, threads, memory.
pub use course_os as os;

/// For a test that cannot run here (no Python, no `.venv`): under CI (`CI=true`, where the
/// test command provides them) it panics; elsewhere it says SKIPPED on stderr and adds the
/// line to the test command's SKIPPED summary (`$COURSE_SKIPPED_FILE`), since `cargo test`
/// hides a passing test's stderr.
#[cfg(test)]
pub(crate) fn skip_test(test: &str, why: &str) {
    assert_ne!(
        std::env::var("CI").as_deref(),
        Ok("true"),
        "{test} cannot run here, and under CI nothing may be skipped: {why}"
    );
    eprintln!("SKIPPED {test}: {why}");
    if let Some(file) = std::env::var_os("COURSE_SKIPPED_FILE") {
        use std::io::Write;
        let line = format!("cargo test: {test}: {why}\n");
        let _ = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(file)
            .and_then(|mut f| f.write_all(line.as_bytes()));
    }
}

/// Tests that start child processes hold this lock, so a test that counts this process's
/// children (exercise 05.1's checker) never sees another test's workers or interpreters.
#[cfg(test)]
pub(crate) fn process_test_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Re-exported for the same reason as [`rayon`]: the web framework of chapter 08.
#[cfg(feature = "web")]
pub use axum;
/// Re-exported for the same reason as [`rayon`]: futures' and streams' combinators
/// (`join_all`, `buffer_unordered`), the part of the `futures` crate that holds them.
pub use futures_util;
/// Re-exported for the same reason as [`rayon`]: seeded random numbers.
pub use rand;
/// Re-exported so a cell can `use support::rayon;` and get the same copy `support` uses,
/// without a second `:dep` line to keep in step.
pub use rayon;
/// Re-exported for the same reason as [`rayon`]: the HTTP client (no TLS: loopback only).
#[cfg(feature = "web")]
pub use reqwest;
/// Re-exported for the same reason as [`rayon`]: HTML parsing with CSS selectors.
#[cfg(feature = "web")]
pub use scraper;
/// Re-exported for the same reason as [`rayon`]: deriving JSON (chapter 08's city API).
#[cfg(feature = "web")]
pub use serde;
/// Re-exported for the same reason as [`rayon`]: JSON values (chapter 08).
#[cfg(feature = "web")]
pub use serde_json;
/// Re-exported for the same reason as [`rayon`].
pub use tokio;
/// Re-exported for the same reason as [`rayon`] (chapter 11, the `at-work` feature): a task
/// monitor that times each poll.
#[cfg(feature = "at-work")]
pub use tokio_metrics;
/// Re-exported for the same reason as [`rayon`]: `CancellationToken` (chapter 07), and
/// `TaskTracker` with the `at-work` feature (chapter 11).
pub use tokio_util;
/// Re-exported for the same reason as [`rayon`] (chapter 11, the `at-work` feature): spans and
/// events across `.await`.
#[cfg(feature = "at-work")]
pub use tracing;
/// Re-exported for the same reason as [`rayon`] (chapter 11, the `at-work` feature): the
/// subscriber that records them.
#[cfg(feature = "at-work")]
pub use tracing_subscriber;

/// The names most cells use: `use support::prelude::*;`.
pub mod prelude {
    pub use crate::Error;
    pub use crate::bench::Bench;
    pub use crate::chart::{
        Figure, Series, bar_chart, bar_chart_with_note, cpu_chart, line_chart, log_bar_chart,
        scaling_chart, speedup_chart, timeline_chart, trend_chart,
    };
    pub use crate::claims::Claims;
    pub use crate::claims::Verdict;
    pub use crate::cpu::{CpuTrace, sample_cpu};
    pub use crate::error::BoxError;
    #[cfg(feature = "web")]
    pub use crate::internet::FakeInternet;
    pub use crate::machine::{Count, Counts, Machine, threads_in_process};
    pub use crate::record::{Recorder, Span, lane_extents};
    pub use crate::rt::{block_on, block_on_workers, run, run_on};
    pub use crate::table::{Table, what_we_saw};
    pub use crate::work::{Timing, amdahl, measure, measure_interleaved, spin_for, steps_lasting};
    pub use crate::{futures_util, rand, rayon, tokio};
    #[cfg(feature = "web")]
    pub use crate::{reqwest, scraper};
}
