//! `loadgen`: a load generator in the manner of `wrk` (closed loop) and `wrk2` (open loop), for
//! loopback only, as a library and a thin program (`src/main.rs`). `support::load` builds the
//! program and runs it as a process of its own, so the generator's work is not counted against
//! the app under test, and each process's CPU time says which of the two was the limit.
//!
//! The library is the contract between the two processes, in one place: the limits, the check
//! of the URL ([`check_url`]), the settings and the arguments that carry them
//! ([`Settings::to_args`], [`Settings::from_args`]), and the [`Report`] the program prints as
//! JSON and `support` reads back. With its default feature `engine` it also holds the generator
//! itself ([`run`]); `support` leaves that feature off and builds only the contract.
//!
//! ```text
//! loadgen --url http://127.0.0.1:PORT/path --connections N --window-ms W
//!         [--timeout-ms T] [--drain-ms D] [--settle-limit-ms S]
//!         [--ramp-batch B] [--ramp-pause-ms P] [--rate R]
//! ```
//!
//! It raises its own open-file limit to the hard limit, connects `N` keep-alive connections in
//! batches of `B` with a pause of `P` ms between batches, and sends `GET` requests on a
//! single-threaded runtime (one core at most):
//!
//! - **closed loop** (no `--rate`): each connection sends its next request as soon as the
//!   previous answer has arrived; latency is measured from the moment a request is sent;
//! - **open loop** (`--rate R`): from the moment every connection is connected (t0),
//!   connection `c`'s `k`-th request is due at `t0 + (c + k·N) / R` seconds; it is sent at the
//!   later of its due time and the previous answer, and its latency is measured from the due
//!   time, so a slow answer cannot hide the requests queued behind it.
//!
//! The measuring window opens when every connection has had its first answer, or `S` ms after
//! the start, whichever comes first, and lasts `W` ms. When it closes, no new request is sent;
//! requests in flight get up to `D` ms (default: the timeout) to finish; then every
//! connection is closed. The sample is every request sent (closed loop) or due (open loop)
//! inside the window: answered ones give latencies, unanswered ones a lower bound (the time
//! they had waited when the drain ended).
//!
//! The program prints one JSON [`Report`] on stdout. Bad arguments: a message on stderr and
//! exit code 2. A failure (no runtime, too few file descriptors): a message on stderr and exit
//! code 1.

use std::time::Duration;

#[cfg(feature = "engine")]
mod engine;
mod report;
mod settings;
mod target;

#[cfg(feature = "engine")]
pub use engine::run;
pub use report::Report;
pub use settings::{Settings, USAGE};
pub use target::{Target, check_url};

/// The most connections one test may open (the server side of each costs the app's process a
/// file descriptor too).
pub const MAX_CONNECTIONS: usize = 20_000;

/// The longest a window, timeout, drain or settle limit may be.
pub const MAX_DURATION: Duration = Duration::from_secs(60);

/// The highest open-loop rate, in requests per second.
pub const MAX_RATE: f64 = 100_000.0;

/// The longest pause between two ramp-up batches.
pub const MAX_RAMP_PAUSE: Duration = Duration::from_secs(10);

/// Settings or a URL the generator refuses, with a message that says what to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub String);

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Invalid {}
