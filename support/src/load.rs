//! A load generator for chapter 08, in the manner of `wrk` (closed loop) and `wrk2` (open
//! loop), on loopback only.
//!
//! The generator is a program of its own, `loadgen` (the workspace's `loadgen/` crate), which
//! [`LoadTest::run`] builds once ([`generator`]) and runs as a child process. So the app under
//! test, which runs in this process, and the generator, which runs in that one, each have
//! their own CPU time: [`LoadReport::app_cores`] and [`LoadReport::generator_cores`] say which
//! of the two kept its cores busy, that is, which one was the limit. The generator runs on one
//! thread, so it can never use more than one core.
//!
//! # What a test does
//!
//! 1. **Ramp-up.** It opens its connections in batches (500, then a 20 ms pause, by default;
//!    see [`LoadTest::ramp`]), so thousands of connections do not overflow the server's
//!    listen queue at once. Every connection is kept alive from one request to the next.
//! 2. **Settling.** The measuring window opens when every connection has had its first
//!    answer, or at the settle limit (5 s after the start by default), whichever comes first
//!    ([`LoadReport::settle_secs`], [`LoadReport::waiting_at_open`]). There is no warm-up to
//!    guess.
//! 3. **The window** ([`LoadTest::new`]'s `window`). Answers that arrive inside it are the
//!    throughput ([`LoadReport::requests`], [`LoadReport::per_second`]).
//! 4. **The drain.** When the window closes no new request is sent; requests in flight get
//!    up to the drain time (default: the timeout) to finish. Then every connection is closed
//!    and the generator exits.
//!
//! Two ways to send:
//!
//! - **Closed loop** (the default, like `wrk`): each connection sends its next request as soon
//!   as the previous answer has arrived. The latency of a request runs from the moment it was
//!   sent. When the server slows down, the generator slows down with it.
//! - **Open loop** ([`LoadTest::open_loop`], like `wrk2`): requests are due on a fixed
//!   schedule, `rate` per second spread over the connections, whatever the server does. A
//!   request is sent at its due time or, if its connection is still waiting for the previous
//!   answer, as soon as that arrives; its latency runs from its **due** time. A server that
//!   falls behind therefore shows the queue that builds up, instead of hiding it by slowing
//!   the generator down ("coordinated omission").
//!
//! # What is counted
//!
//! The latency sample is every request sent (closed loop) or due (open loop) inside the
//! window. Those answered by the end of the drain give [`LoadReport::latencies`]; those still
//! unanswered are **not** dropped: the time they had waited when the drain ended is a lower
//! bound of their latency ([`LoadReport::unfinished_lower_bounds`]), and the percentiles take
//! them into account ([`LoadReport::percentile`], [`LoadReport::is_lower_bound`],
//! [`LoadReport::show`]). As in `wrk`, a request slower than the timeout (2 s by default) is
//! counted as a timeout but still waited for.
//!
//! The settings, their limits, the check of the URL and the report are the `loadgen` crate's
//! own ([`LoadReport`] is its `Report`, read back from the JSON the program prints), so the two
//! processes cannot disagree about them.
//!
//! ```
//! use support::axum::{Router, routing::get};
//! use support::load::LoadTest;
//! use std::time::Duration;
//! let app = Router::new().route("/", get(|| async {
//!     support::tokio::time::sleep(Duration::from_millis(50)).await;
//!     "hello"
//! }));
//! let server = support::server::AppServer::start(app, 1)?;
//! let report = LoadTest::new(4, Duration::from_millis(800))?.run(&server.url("/"))?;
//! assert!(report.requests > 20);                  // about 4 / 0.05 s × 0.8 s = 64
//! assert_eq!(report.timeouts + report.errors + report.unfinished(), 0);
//! assert!(report.p50() >= 0.05);
//! println!("{:.0} requests/s, p99 {}", report.per_second, report.show(0.99));
//! # Ok::<(), support::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::table::Table;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

pub use loadgen::{MAX_CONNECTIONS, MAX_DURATION, MAX_RAMP_PAUSE, MAX_RATE};

/// What a load test measured: the `loadgen` crate's [`Report`](loadgen::Report), read back from
/// the generator's JSON, with this process's own CPU and wall time filled in
/// ([`LoadReport::app_cores`]).
pub use loadgen::Report as LoadReport;

/// How a load test runs; make one with [`LoadTest::new`], change it with the methods that
/// follow, and run it with [`LoadTest::run`]. (The settings and their checks are the `loadgen`
/// crate's [`Settings`](loadgen::Settings): these methods hand their values to it.)
#[derive(Debug, Clone, PartialEq)]
pub struct LoadTest(loadgen::Settings);

/// A setting or URL the generator refuses, as this crate's error.
fn invalid(e: loadgen::Invalid) -> Error {
    Error::InvalidInput(e.0)
}

/// How much longer than its settings allow a generator may take to start, ramp up and report
/// before it is stopped.
const SLACK: Duration = Duration::from_secs(30);

impl LoadTest {
    /// `connections` keep-alive connections (1 to [`MAX_CONNECTIONS`]) and a measuring window
    /// of `window` (more than 0, at most [`MAX_DURATION`]); closed loop, wrk's 2 s timeout, a
    /// drain as long as the timeout, a settle limit of 5 s, ramp-up in batches of 500 with
    /// 20 ms between them.
    pub fn new(connections: usize, window: Duration) -> Result<Self> {
        Ok(LoadTest(
            loadgen::Settings::new(connections, window).map_err(invalid)?,
        ))
    }

    /// A request slower than this is counted as a timeout, though still waited for (default
    /// 2 s, as in wrk; more than 0, at most [`MAX_DURATION`]). Unless [`LoadTest::drain`] was
    /// set, the drain is as long as the timeout.
    pub fn timeout(self, timeout: Duration) -> Result<Self> {
        Ok(LoadTest(self.0.timeout(timeout).map_err(invalid)?))
    }

    /// How long requests still in flight when the window closes may take to finish before the
    /// generator gives up on them (default: the timeout; 0 to [`MAX_DURATION`]). Those still
    /// unanswered then are reported as unfinished, with lower bounds.
    pub fn drain(self, drain: Duration) -> Result<Self> {
        Ok(LoadTest(self.0.drain(drain).map_err(invalid)?))
    }

    /// The latest the window may open, counted from the generator's start, if some connections
    /// are still waiting for their first answer (default 5 s; 0 to [`MAX_DURATION`]).
    pub fn settle_limit(self, limit: Duration) -> Result<Self> {
        Ok(LoadTest(self.0.settle_limit(limit).map_err(invalid)?))
    }

    /// Opens the connections `batch` at a time (at least 1) with `pause` between batches (at
    /// most [`MAX_RAMP_PAUSE`]); default 500 and 20 ms, which keeps within a listen backlog of
    /// 4,096 and a SYN backlog of 2,048.
    pub fn ramp(self, batch: usize, pause: Duration) -> Result<Self> {
        Ok(LoadTest(self.0.ramp(batch, pause).map_err(invalid)?))
    }

    /// Sends on a fixed schedule of `rate_per_second` requests per second over all the
    /// connections (more than 0, at most [`MAX_RATE`]), wrk2 style, and measures each latency
    /// from the request's due time: see the module's documentation.
    pub fn open_loop(self, rate_per_second: f64) -> Result<Self> {
        Ok(LoadTest(
            self.0.open_loop(rate_per_second).map_err(invalid)?,
        ))
    }

    /// Runs the test against `url` (`http://127.0.0.1:{port}{path}` or
    /// `http://[::1]:{port}{path}`: this machine only) and returns what it measured.
    ///
    /// The URL is checked before anything starts. Then the generator is built if need be
    /// ([`generator`]: the first time takes a while), started, and waited for, at most as long
    /// as its settings allow plus half a minute; this process's CPU and wall time are measured
    /// from just before it starts until it has exited. The generator never outlives this call:
    /// at the deadline it is killed and reaped.
    pub fn run(&self, url: &str) -> Result<LoadReport> {
        loadgen::check_url(url).map_err(invalid)?;
        let program = generator()?;
        let mut command = Command::new(&program);
        command.args(self.0.to_args(url));
        let cpu_before = own_cpu_seconds()?;
        let began = Instant::now();
        let out = run_child(
            &mut command,
            self.0.longest_run(SLACK),
            "the load generator",
        )?;
        let app_wall_secs = began.elapsed().as_secs_f64();
        let app_cpu_secs = (own_cpu_seconds()? - cpu_before).max(0.0);
        let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
        match out.status.code() {
            Some(0) => {}
            Some(2) => {
                return Err(Error::InvalidInput(format!(
                    "the load generator refused its arguments: {stderr}"
                )));
            }
            _ => {
                return Err(Error::System(format!(
                    "the load generator failed ({}): {stderr}",
                    out.status
                )));
            }
        }
        let mut report: LoadReport = serde_json::from_slice(&out.stdout).map_err(|e| {
            Error::System(format!(
                "the load generator's report could not be read ({e}); it said: {stderr}"
            ))
        })?;
        report.app_cpu_secs = app_cpu_secs;
        report.app_wall_secs = app_wall_secs;
        Ok(report)
    }
}

/// The load tests' table: one row per `(name, report)`, with connections, req/s, the sample
/// and how much of it was late or unfinished, mean, p50 and p99 (`≥` where unfinished requests
/// make them lower bounds), errors, and the cores each process kept busy.
///
/// ```
/// let report = support::load::LoadReport { connections: 20, per_second: 21.0, ..Default::default() };
/// let table = support::load::report_table(&[("async", &report)]);
/// assert!(table.to_text().contains("21.00"));
/// ```
pub fn report_table(rows: &[(&str, &LoadReport)]) -> Table {
    let timeouts: Vec<f64> = rows.iter().map(|(_, r)| r.timeout_secs).collect();
    let late = match timeouts.first() {
        Some(&t) if timeouts.iter().all(|&u| u == t) => format!("late (> {t} s)"),
        _ => "late (> timeout)".to_string(),
    };
    let mut table = Table::new([
        "app",
        "connections",
        "req/s",
        "sampled",
        late.as_str(),
        "unfinished",
        "mean",
        "p50",
        "p99",
        "errors",
        "cores: app / generator",
    ]);
    for (name, r) in rows {
        // As many cells as columns: cannot fail.
        let _ = table.push_row([
            name.to_string(),
            r.connections.to_string(),
            format!("{:.2}", r.per_second),
            r.sampled().to_string(),
            r.timeouts.to_string(),
            r.unfinished().to_string(),
            r.show_mean(),
            r.show(0.5),
            r.show(0.99),
            r.errors.to_string(),
            format!("{:.2} / {:.2}", r.app_cores(), r.generator_cores()),
        ]);
    }
    table
}

/// Runs `command` to its end with its output captured, at most `limit`
/// ([`crate::os::run_with_deadline`]: a child still running then is killed and reaped). `who`
/// names it in the errors: [`Error::Unavailable`] when it cannot be started, [`Error::System`]
/// ("… did not finish within …") when it was stopped.
pub(crate) fn run_child(
    command: &mut Command,
    limit: Duration,
    who: &str,
) -> Result<std::process::Output> {
    crate::os::run_with_deadline(command, limit).map_err(|e| match e.kind() {
        std::io::ErrorKind::TimedOut => Error::System(format!(
            "{who} did not finish within {:.1} s and was stopped",
            limit.as_secs_f64()
        )),
        std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied => {
            Error::Unavailable(format!("cannot start {who}: {e}"))
        }
        _ => Error::System(format!("running {who}: {e}")),
    })
}

/// CPU time (user + system) this process has used, in seconds.
fn own_cpu_seconds() -> Result<f64> {
    Ok(crate::os::process_cpu()?.as_secs_f64())
}

/// The load generator's program, built once and kept by content with
/// [`crate::process::cargo_programs`]: `target/tools/loadgen-{hash}/loadgen` under the
/// workspace, where the hash covers every crate it is built from (`loadgen` and, following its
/// `path` dependencies, `course_os`), the workspace's `Cargo.toml` and `Cargo.lock`, and
/// `rustc --version`. The first build takes a few minutes on 2 cores; later calls only hash.
///
/// Fails with [`Error::Unavailable`] (with cargo's messages) when it cannot be built.
///
/// ```
/// let program = support::load::generator()?;
/// assert!(program.exists());
/// assert_eq!(support::load::generator()?, program); // the same build, reused
/// # Ok::<(), support::Error>(())
/// ```
pub fn generator() -> Result<PathBuf> {
    let dir = crate::process::cargo_programs("loadgen", "loadgen", &["loadgen"])?;
    Ok(dir.join(format!("loadgen{}", std::env::consts::EXE_SUFFIX)))
}

/// This process's limit on open files (sockets count as files): (soft, hard). The soft limit
/// is the one in force; a process may raise it up to the hard limit.
pub fn fd_limits() -> Result<(u64, u64)> {
    Ok(crate::os::open_file_limits()?)
}

/// Raises this process's open-file limit as far as it is allowed (to the hard limit) and
/// returns the new limit.
///
/// ```
/// let (soft, hard) = support::load::fd_limits()?;
/// let raised = support::load::raise_fd_limit()?;
/// assert!(raised >= soft && raised <= hard);
/// # Ok::<(), support::Error>(())
/// ```
pub fn raise_fd_limit() -> Result<u64> {
    Ok(crate::os::raise_open_file_limit()?.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use std::path::Path;

    #[test]
    fn bad_settings_and_urls_are_refused_before_anything_runs() {
        assert!(LoadTest::new(0, Duration::from_secs(1)).is_err());
        assert!(LoadTest::new(MAX_CONNECTIONS + 1, Duration::from_secs(1)).is_err());
        let test = LoadTest::new(1, Duration::from_secs(1)).unwrap();
        let err = test.clone().open_loop(f64::NAN).unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)), "{err}");
        assert!(test.run("https://127.0.0.1:1/").is_err());
        assert!(test.run("http://example.com/").is_err());
        assert!(test.run("http://127.0.0.1:0/").is_err());
        assert!(test.run("http://127.0.0.1:80/a b").is_err());
        let err = test.run("http://10.1.2.3:80/").unwrap_err();
        assert!(err.to_string().contains("127.0.0.1"), "{err}");
        assert!(matches!(err, Error::InvalidInput(_)));
    }

    /// Every crate the generator is built from is hashed: loadgen and its path dependencies.
    #[test]
    fn the_generator_hash_covers_every_crate_it_is_built_from() {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let root = manifest.parent().unwrap();
        let crates = crate::process::crates_built_from(root, "loadgen").unwrap();
        assert_eq!(
            crates,
            [PathBuf::from("loadgen"), PathBuf::from("course_os")]
        );
        let inputs = crate::process::build_inputs(root, "loadgen").unwrap();
        for file in [
            "Cargo.lock",
            "loadgen/Cargo.toml",
            "loadgen/src/lib.rs",
            "loadgen/src/main.rs",
            "loadgen/src/engine.rs",
            "course_os/Cargo.toml",
            "course_os/src/lib.rs",
        ] {
            assert!(inputs.contains(&root.join(file)), "{file} is not hashed");
        }
        // Every path dependency cargo resolves for loadgen is among them. The lock keeps this
        // child apart from the tests that count or time this process's children.
        let metadata = {
            let _children = crate::process_test_lock();
            run_child(
                Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())).args([
                    "metadata",
                    "--offline",
                    "--format-version=1",
                    "--manifest-path",
                    &root.join("loadgen/Cargo.toml").to_string_lossy(),
                ]),
                Duration::from_secs(120),
                "cargo metadata",
            )
            .unwrap()
        };
        let metadata: serde_json::Value = serde_json::from_slice(&metadata.stdout).unwrap();
        let packages = metadata["packages"].as_array().unwrap();
        let loadgen = packages.iter().find(|p| p["name"] == "loadgen").unwrap();
        for dep in loadgen["dependencies"].as_array().unwrap() {
            if let Some(path) = dep["path"].as_str() {
                let path = std::fs::canonicalize(path).unwrap();
                let root = std::fs::canonicalize(root).unwrap();
                let relative = path.strip_prefix(&root).unwrap().to_path_buf();
                assert!(
                    crates.contains(&relative),
                    "{} is not hashed",
                    relative.display()
                );
            }
        }
    }

    /// The process running the tests has no children of ours left.
    fn no_generator_left() {
        if let Ok(children) = crate::process::child_processes() {
            assert_eq!(children, 0, "a child process was left behind");
        }
    }

    #[test]
    fn slow_answers_count_as_timeouts_and_statuses_are_kept() {
        let _processes = crate::process_test_lock();
        let app = axum::Router::new()
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    "late"
                }),
            )
            .fallback(|| async { (axum::http::StatusCode::NOT_FOUND, "no") });
        let server = crate::server::AppServer::start(app, 1).unwrap();
        let test = LoadTest::new(2, Duration::from_millis(1000))
            .unwrap()
            .timeout(Duration::from_millis(200))
            .unwrap()
            .drain(Duration::from_secs(2))
            .unwrap();
        let report = test.run(&server.url("/slow")).unwrap();
        assert!(report.requests >= 4, "{report:?}");
        assert!(report.answered_total >= report.requests, "{report:?}");
        assert_eq!(report.timeouts, report.sampled(), "{report:?}");
        assert!(report.p50() >= 0.3 && report.mean() >= 0.3, "{report:?}");
        assert_eq!(report.unfinished(), 0, "{report:?}");
        assert_eq!(report.waiting_at_open, 0, "{report:?}");
        assert!(report.fd_limit > 2, "{report:?}");
        assert!(report.generator_wall_secs > 0.0 && report.app_wall_secs > 0.0);
        let report = test.run(&server.url("/missing")).unwrap();
        assert!(report.requests > 0, "{report:?}");
        assert_eq!(report.non_2xx, report.requests);
        assert_eq!(report.errors, 0);
        no_generator_left();
    }

    #[test]
    fn a_closed_port_is_counted_as_errors() {
        let _processes = crate::process_test_lock();
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let test = LoadTest::new(1, Duration::from_millis(200))
            .unwrap()
            .settle_limit(Duration::from_millis(100))
            .unwrap();
        let report = test.run(&format!("http://127.0.0.1:{port}/")).unwrap();
        assert_eq!(report.requests, 0);
        assert_eq!(report.waiting_at_open, 1);
        assert!(report.errors >= 1);
        assert!(
            report
                .first_error
                .as_deref()
                .unwrap_or("")
                .contains("connect"),
            "{report:?}"
        );
        assert_eq!(report.percentile(0.5), 0.0);
        no_generator_left();
    }

    /// One worker thread that blocks for 200 ms per request: it serves 5 requests per second.
    fn blocking_app() -> crate::server::AppServer {
        let app = axum::Router::new().route(
            "/",
            get(|| async {
                std::thread::sleep(Duration::from_millis(200));
                "done"
            }),
        );
        crate::server::AppServer::start(app, 1).unwrap()
    }

    #[test]
    fn an_open_loop_counts_latency_from_the_due_time() {
        let _processes = crate::process_test_lock();
        let server = blocking_app();
        // Closed loop, one connection: every request takes the 200 ms of its handler.
        let closed = LoadTest::new(1, Duration::from_secs(2)).unwrap();
        let report = closed.run(&server.url("/")).unwrap();
        assert!(report.requests >= 5, "{report:?}");
        assert!(report.p50() >= 0.2 && report.p99() < 0.6, "{report:?}");
        assert_eq!(report.late_sends, 0);
        // Open loop at 10 requests/s, twice what the app serves: the queue grows by 5
        // requests a second, and the latencies measured from the due times show it.
        let open = LoadTest::new(2, Duration::from_secs(2))
            .unwrap()
            .open_loop(10.0)
            .unwrap();
        let report = open.run(&server.url("/")).unwrap();
        assert_eq!(report.open_loop_rate, Some(10.0));
        assert!(report.sampled() >= 15, "{report:?}");
        assert!(report.p50() > 0.4, "{report:?}");
        assert!(report.p99() > 0.8, "{report:?}");
        // Growing: each answer waited longer than the one before (about 0.1 s more).
        let (first, last) = (
            report.latencies[0],
            report.latencies[report.latencies.len() - 1],
        );
        assert!(last > first + 0.4, "{report:?}");
        assert!(report.late_sends > 0, "{report:?}");
        no_generator_left();
    }

    #[test]
    fn unfinished_requests_are_lower_bounds_not_dropped() {
        let _processes = crate::process_test_lock();
        let app = axum::Router::new().route(
            "/",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(3)).await;
                "finally"
            }),
        );
        let server = crate::server::AppServer::start(app, 1).unwrap();
        // The window opens at the first answers (3 s) and closes a second later; the
        // requests sent then are still waiting when the half-second drain ends.
        let test = LoadTest::new(3, Duration::from_secs(1))
            .unwrap()
            .drain(Duration::from_millis(500))
            .unwrap();
        let report = test.run(&server.url("/")).unwrap();
        assert_eq!(report.requests, 0, "{report:?}");
        assert_eq!(report.latencies.len(), 0, "{report:?}");
        assert!(report.unfinished() > 0, "{report:?}");
        assert_eq!(report.unfinished(), report.unfinished_lower_bounds.len());
        assert!(report.is_lower_bound(0.5), "{report:?}");
        assert!(report.show(0.5).starts_with('≥'), "{report:?}");
        assert!(report.percentile(0.5) >= 0.5, "{report:?}");
        assert_eq!(report.errors, 0, "{report:?}");
        no_generator_left();
    }

    #[test]
    fn the_generator_is_built_once() {
        let _processes = crate::process_test_lock();
        let a = generator().unwrap();
        let b = generator().unwrap();
        assert_eq!(a, b);
        assert!(
            a.parent()
                .and_then(Path::file_name)
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("loadgen-")),
            "{}",
            a.display()
        );
        let out = Command::new(&a).arg("--bogus").output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("usage"));
    }

    /// A benchmark, not a test (ignored; it takes about a minute and wants a quiet machine):
    /// chapter 08's async sun endpoint on the cached services, two worker threads, loaded with
    /// 20 to 10,000 connections, against the bound `n / 0.94488 s` (the mean location plus
    /// sun wait). Run it optimised, as the notebook's kernel builds its dependencies:
    ///
    /// `cargo test -p support --release --lib load::tests::benchmark_cached_city_app -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn benchmark_cached_city_app() {
        use crate::city::{Services, test_app};
        use crate::server::AppServer;
        let _processes = crate::process_test_lock();
        let limit = raise_fd_limit().unwrap();
        let started = Instant::now();
        generator().unwrap();
        println!(
            "generator ready in {:.1} s; fd limit {limit}",
            started.elapsed().as_secs_f64()
        );
        let server = AppServer::start(test_app(Services::cached()), 2).unwrap();
        let url = server.url("/api/sun/97227/us");
        println!(
            "{:>6} {:>8} {:>8} {:>6} {:>9} {:>9} {:>6} {:>6} {:>5} {:>5} {:>6} {:>6} {:>6}",
            "conns",
            "req/s",
            "bound",
            "ratio",
            "p50",
            "p99",
            "unfin",
            "errors",
            "gen",
            "app",
            "ramp",
            "settle",
            "wall"
        );
        for n in [20, 1000, 5000, 10_000] {
            let report = LoadTest::new(n, Duration::from_secs(4))
                .unwrap()
                .run(&url)
                .unwrap();
            let bound = n as f64 / 0.94488;
            println!(
                "{n:>6} {:>8.1} {bound:>8.1} {:>6.3} {:>9} {:>9} {:>6} {:>6} {:>5.2} {:>5.2} {:>6.2} {:>6.2} {:>6.2}",
                report.per_second,
                report.per_second / bound,
                report.show(0.5),
                report.show(0.99),
                report.unfinished(),
                report.errors,
                report.generator_cores(),
                report.app_cores(),
                report.ramp_secs,
                report.settle_secs,
                report.app_wall_secs,
            );
            if let Some(error) = &report.first_error {
                println!("       first error: {error}");
            }
        }
        server.stop().unwrap();
    }
}
