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
//! ```
//! use support::axum::{Router, routing::get};
//! use support::load::LoadTest;
//! use std::time::Duration;
//! let app = Router::new().route("/", get(|| async {
//!     support::tokio::time::sleep(Duration::from_millis(50)).await;
//!     "hello"
//! }));
//! let server = support::city::AppServer::start(app, 1)?;
//! let report = LoadTest::new(4, Duration::from_millis(800))?.run(&server.url("/"))?;
//! assert!(report.requests > 20);                  // about 4 / 0.05 s × 0.8 s = 64
//! assert_eq!(report.timeouts + report.errors + report.unfinished, 0);
//! assert!(report.p50() >= 0.05);
//! println!("{:.0} requests/s, p99 {}", report.per_second, report.show(0.99));
//! # Ok::<(), support::Error>(())
//! ```

use crate::error::{Error, Result};
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The most connections one test may open (the server side of each costs this process a file
/// descriptor when the app runs in it).
pub const MAX_CONNECTIONS: usize = 20_000;

/// The longest a window, timeout, drain or settle limit may be.
pub const MAX_DURATION: Duration = Duration::from_secs(60);

/// The highest open-loop rate, in requests per second.
pub const MAX_RATE: f64 = 100_000.0;

/// The longest pause between two ramp-up batches.
pub const MAX_RAMP_PAUSE: Duration = Duration::from_secs(10);

/// How a load test runs; make one with [`LoadTest::new`], change it with the methods that
/// follow, and run it with [`LoadTest::run`].
#[derive(Debug, Clone, PartialEq)]
pub struct LoadTest {
    connections: usize,
    window: Duration,
    timeout: Duration,
    drain: Option<Duration>,
    settle_limit: Duration,
    ramp_batch: usize,
    ramp_pause: Duration,
    rate: Option<f64>,
}

/// What a load test measured. Times are in seconds; "the window" is the measuring window.
/// (`Default` is an empty report, for examples.)
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LoadReport {
    /// How many connections the generator opened.
    pub connections: usize,
    /// The open loop's rate (requests per second), or `None` for a closed loop.
    pub open_loop_rate: Option<f64>,
    /// From the generator's start until every connection's first connect attempt had
    /// finished (the end of the run if some never did).
    pub ramp_secs: f64,
    /// From the generator's start until the window opened.
    pub settle_secs: f64,
    /// Connections still waiting for their first answer when the window opened (it opened
    /// at the settle limit if this is not 0).
    pub waiting_at_open: usize,
    /// The window's length.
    pub window_secs: f64,
    /// Answers that arrived inside the window.
    pub requests: usize,
    /// Those answers divided by the window's length: the throughput.
    pub per_second: f64,
    /// Requests sent over the whole run.
    pub sent_total: usize,
    /// Answers received over the whole run.
    pub answered_total: usize,
    /// The latency of every sampled request that was answered by the end of the drain,
    /// sorted (closed loop: from when it was sent; open loop: from when it was due).
    pub latencies: Vec<f64>,
    /// Sampled requests still unanswered when the drain ended.
    pub unfinished: usize,
    /// How long each unfinished request had waited when the drain ended, sorted: lower
    /// bounds of their latencies.
    pub unfinished_lower_bounds: Vec<f64>,
    /// Sampled requests whose latency, or lower bound, is over the timeout.
    pub timeouts: usize,
    /// Answers inside the window whose status was not 2xx.
    pub non_2xx: usize,
    /// Failed connects and broken connections over the whole run. A request whose
    /// connection broke is counted here and not in the latency sample.
    pub errors: usize,
    /// The first error seen, to say what went wrong.
    pub first_error: Option<String>,
    /// Open loop: sampled requests sent more than 10 ms after they were due (their
    /// connection was still waiting for an earlier answer). Always 0 in a closed loop.
    pub late_sends: usize,
    /// CPU time (user + system) the generator's process used.
    pub generator_cpu_secs: f64,
    /// How long the generator's process ran.
    pub generator_wall_secs: f64,
    /// CPU time this process (where the app under test runs) used while the generator ran.
    pub app_cpu_secs: f64,
    /// Wall time from just before the generator started until it had exited.
    pub app_wall_secs: f64,
    /// The generator's open-file limit after it raised it (its soft limit, now its hard one).
    pub fd_limit: u64,
}

impl LoadReport {
    /// The whole latency sample, sorted, each value with whether it is a lower bound; on a
    /// tie the exact value comes first.
    fn merged(&self) -> Vec<(f64, bool)> {
        let mut all: Vec<(f64, bool)> = self
            .latencies
            .iter()
            .map(|&l| (l, false))
            .chain(self.unfinished_lower_bounds.iter().map(|&l| (l, true)))
            .collect();
        all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        all
    }

    /// The rank of quantile `q` in a sample of `n` (`n` > 0): `q` is clamped to 0–1, NaN
    /// counts as 0.5.
    fn rank(n: usize, q: f64) -> usize {
        let q = if q.is_nan() { 0.5 } else { q.clamp(0.0, 1.0) };
        ((n - 1) as f64 * q).round() as usize
    }

    /// How many requests are in the latency sample: answered plus unfinished.
    pub fn sampled(&self) -> usize {
        self.latencies.len() + self.unfinished_lower_bounds.len()
    }

    /// The latency below which a fraction `q` (0 to 1; clamped, NaN counts as 0.5) of the
    /// sampled requests were answered, in seconds; 0 if the sample is empty. Unfinished
    /// requests take part with their lower bounds, so the value is itself a lower bound when
    /// [`LoadReport::is_lower_bound`] says so.
    pub fn percentile(&self, q: f64) -> f64 {
        let all = self.merged();
        if all.is_empty() {
            return 0.0;
        }
        all[Self::rank(all.len(), q)].0
    }

    /// Whether [`LoadReport::percentile`]`(q)` is only a lower bound: true when an unfinished
    /// request sits at or below that rank of the sample. Its true latency is at least its
    /// bound, so it may belong higher up, and the true percentile is then *at least* the
    /// value shown. When every request up to that rank was answered, the value is exact:
    /// unfinished requests above it can only move further up.
    pub fn is_lower_bound(&self, q: f64) -> bool {
        let all = self.merged();
        if all.is_empty() {
            return false;
        }
        all[..=Self::rank(all.len(), q)].iter().any(|&(_, lb)| lb)
    }

    /// The median latency (s); see [`LoadReport::percentile`].
    pub fn p50(&self) -> f64 {
        self.percentile(0.5)
    }

    /// The 99th-percentile latency (s); see [`LoadReport::percentile`].
    pub fn p99(&self) -> f64 {
        self.percentile(0.99)
    }

    /// The mean latency of the whole sample (s), unfinished requests counted with their lower
    /// bounds, so it is a lower bound itself when [`LoadReport::unfinished`] is not 0; 0 if
    /// the sample is empty.
    pub fn mean(&self) -> f64 {
        let n = self.sampled();
        if n == 0 {
            return 0.0;
        }
        let sum: f64 = self
            .latencies
            .iter()
            .chain(&self.unfinished_lower_bounds)
            .sum();
        sum / n as f64
    }

    /// Percentile `q` for a table: `"0.874 s"`, or `"≥ 4.210 s"` when it is a lower bound.
    ///
    /// ```
    /// let mut report = support::load::LoadReport::default();
    /// report.latencies = vec![0.1, 0.2, 0.3];
    /// report.unfinished_lower_bounds = vec![4.21];
    /// report.unfinished = 1;
    /// assert_eq!(report.show(0.0), "0.100 s");
    /// assert_eq!(report.show(1.0), "≥ 4.210 s");
    /// ```
    pub fn show(&self, q: f64) -> String {
        let value = self.percentile(q);
        if self.is_lower_bound(q) {
            format!("≥ {value:.3} s")
        } else {
            format!("{value:.3} s")
        }
    }

    /// How many cores the generator kept busy on average: its CPU time over its wall time
    /// (at most about 1: it runs on one thread).
    pub fn generator_cores(&self) -> f64 {
        ratio(self.generator_cpu_secs, self.generator_wall_secs)
    }

    /// How many cores this process (the app under test) kept busy on average while the
    /// generator ran: its CPU time over that wall time.
    pub fn app_cores(&self) -> f64 {
        ratio(self.app_cpu_secs, self.app_wall_secs)
    }
}

fn ratio(cpu: f64, wall: f64) -> f64 {
    if wall > 0.0 { cpu / wall } else { 0.0 }
}

/// A duration in whole milliseconds for the generator's arguments, rounded up.
fn millis(d: Duration) -> u128 {
    d.as_nanos().div_ceil(1_000_000)
}

impl LoadTest {
    /// `connections` keep-alive connections (1 to [`MAX_CONNECTIONS`]) and a measuring window
    /// of `window` (more than 0, at most [`MAX_DURATION`]); closed loop, wrk's 2 s timeout,
    /// a drain as long as the timeout, a settle limit of 5 s, ramp-up in batches of 500 with
    /// 20 ms between them.
    pub fn new(connections: usize, window: Duration) -> Result<Self> {
        if connections == 0 || connections > MAX_CONNECTIONS {
            return Err(Error::InvalidInput(format!(
                "a load test opens 1 to {MAX_CONNECTIONS} connections, not {connections}"
            )));
        }
        if window.is_zero() || window > MAX_DURATION {
            return Err(Error::InvalidInput(format!(
                "a load test's window is more than 0 s and at most {} s, not {window:?}",
                MAX_DURATION.as_secs()
            )));
        }
        Ok(LoadTest {
            connections,
            window,
            timeout: Duration::from_secs(2),
            drain: None,
            settle_limit: Duration::from_secs(5),
            ramp_batch: 500,
            ramp_pause: Duration::from_millis(20),
            rate: None,
        })
    }

    /// A request slower than this is counted as a timeout, though still waited for
    /// (default 2 s, as in wrk; more than 0, at most [`MAX_DURATION`]). Unless
    /// [`LoadTest::drain`] was set, the drain is as long as the timeout.
    pub fn timeout(mut self, timeout: Duration) -> Result<Self> {
        if timeout.is_zero() || timeout > MAX_DURATION {
            return Err(Error::InvalidInput(format!(
                "the timeout must be more than 0 s and at most {} s, not {timeout:?}",
                MAX_DURATION.as_secs()
            )));
        }
        self.timeout = timeout;
        Ok(self)
    }

    /// How long requests still in flight when the window closes may take to finish before
    /// the generator gives up on them (default: the timeout; 0 to [`MAX_DURATION`]). Those
    /// still unanswered then are reported as unfinished, with lower bounds.
    pub fn drain(mut self, drain: Duration) -> Result<Self> {
        if drain > MAX_DURATION {
            return Err(Error::InvalidInput(format!(
                "the drain must be at most {} s, not {drain:?}",
                MAX_DURATION.as_secs()
            )));
        }
        self.drain = Some(drain);
        Ok(self)
    }

    /// The latest the window may open, counted from the generator's start, if some
    /// connections are still waiting for their first answer (default 5 s; 0 to
    /// [`MAX_DURATION`]).
    pub fn settle_limit(mut self, limit: Duration) -> Result<Self> {
        if limit > MAX_DURATION {
            return Err(Error::InvalidInput(format!(
                "the settle limit must be at most {} s, not {limit:?}",
                MAX_DURATION.as_secs()
            )));
        }
        self.settle_limit = limit;
        Ok(self)
    }

    /// Opens the connections `batch` at a time (at least 1) with `pause` between batches (at
    /// most [`MAX_RAMP_PAUSE`]); default 500 and 20 ms, which keeps within a listen backlog
    /// of 4,096 and a SYN backlog of 2,048.
    pub fn ramp(mut self, batch: usize, pause: Duration) -> Result<Self> {
        if batch == 0 {
            return Err(Error::InvalidInput(
                "a ramp-up batch holds at least 1 connection".into(),
            ));
        }
        if pause > MAX_RAMP_PAUSE {
            return Err(Error::InvalidInput(format!(
                "the pause between ramp-up batches must be at most {} s, not {pause:?}",
                MAX_RAMP_PAUSE.as_secs()
            )));
        }
        self.ramp_batch = batch.min(MAX_CONNECTIONS);
        self.ramp_pause = pause;
        Ok(self)
    }

    /// Sends on a fixed schedule of `rate_per_second` requests per second over all the
    /// connections (more than 0, at most [`MAX_RATE`]), wrk2 style, and measures each
    /// latency from the request's due time: see the module's documentation.
    pub fn open_loop(mut self, rate_per_second: f64) -> Result<Self> {
        if !rate_per_second.is_finite() || rate_per_second <= 0.0 || rate_per_second > MAX_RATE {
            return Err(Error::InvalidInput(format!(
                "an open loop's rate is more than 0 and at most {MAX_RATE} requests per \
                 second, not {rate_per_second}"
            )));
        }
        self.rate = Some(rate_per_second);
        Ok(self)
    }

    /// The generator's arguments for `url`.
    fn arguments(&self, url: &str) -> Vec<String> {
        let drain = self.drain.unwrap_or(self.timeout);
        let mut args = vec![
            format!("--url={url}"),
            format!("--connections={}", self.connections),
            format!("--window-ms={}", millis(self.window)),
            format!("--timeout-ms={}", millis(self.timeout)),
            format!("--drain-ms={}", millis(drain)),
            format!("--settle-limit-ms={}", millis(self.settle_limit)),
            format!("--ramp-batch={}", self.ramp_batch),
            format!("--ramp-pause-ms={}", millis(self.ramp_pause)),
        ];
        if let Some(rate) = self.rate {
            args.push(format!("--rate={rate}"));
        }
        args
    }

    /// The longest the generator can take: it opens the window by the settle limit, closes
    /// it a window later and drains for at most the drain; the rest is slack for starting and
    /// writing its report.
    fn longest_run(&self) -> Duration {
        self.settle_limit
            + self.window
            + self.drain.unwrap_or(self.timeout)
            + Duration::from_secs(30)
    }

    /// Runs the test against `url` (`http://127.0.0.1:{port}{path}` or
    /// `http://[::1]:{port}{path}`: this machine only) and returns what it measured.
    ///
    /// The URL is checked before anything starts. Then the generator is built if need be
    /// ([`generator`]: the first time takes a while), started, and waited for; this process's
    /// CPU and wall time are measured from just before it starts until it has exited. The
    /// generator never outlives this call: on any error it is killed and waited for.
    pub fn run(&self, url: &str) -> Result<LoadReport> {
        check_url(url)?;
        let program = generator()?;
        let args = self.arguments(url);
        let cpu_before = own_cpu_seconds()?;
        let began = Instant::now();
        let child = Command::new(&program)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                Error::Unavailable(format!(
                    "cannot start the load generator {}: {e}",
                    program.display()
                ))
            })?;
        let mut child = Reaped(Some(child));
        let (stdout, stderr, status) = child.finish(began + self.longest_run())?;
        let app_wall_secs = began.elapsed().as_secs_f64();
        let app_cpu_secs = (own_cpu_seconds()? - cpu_before).max(0.0);
        let stderr = String::from_utf8_lossy(&stderr).trim().to_string();
        match status.code() {
            Some(0) => {}
            Some(2) => {
                return Err(Error::InvalidInput(format!(
                    "the load generator refused its arguments: {stderr}"
                )));
            }
            Some(1) => {
                return Err(Error::System(format!(
                    "the load generator failed: {stderr}"
                )));
            }
            _ => {
                return Err(Error::System(format!(
                    "the load generator ended with {status}: {stderr}"
                )));
            }
        }
        let out: GeneratorReport = serde_json::from_slice(&stdout).map_err(|e| {
            Error::System(format!(
                "the load generator's report could not be read ({e}); it said: {stderr}"
            ))
        })?;
        Ok(LoadReport {
            connections: out.connections,
            open_loop_rate: out.rate,
            ramp_secs: out.ramp_secs,
            settle_secs: out.settle_secs,
            waiting_at_open: out.waiting_at_open,
            window_secs: out.window_secs,
            requests: out.answers_in_window,
            per_second: out.per_second,
            sent_total: out.sent_total,
            answered_total: out.answered_total,
            latencies: out.latencies,
            unfinished: out.unfinished_lower_bounds.len(),
            unfinished_lower_bounds: out.unfinished_lower_bounds,
            timeouts: out.timeouts,
            non_2xx: out.non_2xx,
            errors: out.errors,
            first_error: out.first_error,
            late_sends: out.late_sends,
            generator_cpu_secs: out.cpu_secs,
            generator_wall_secs: out.wall_secs,
            app_cpu_secs,
            app_wall_secs,
            fd_limit: out.fd_soft,
        })
    }
}

/// The generator's JSON report (the fields `support` reads).
#[derive(serde::Deserialize)]
struct GeneratorReport {
    connections: usize,
    rate: Option<f64>,
    fd_soft: u64,
    ramp_secs: f64,
    settle_secs: f64,
    waiting_at_open: usize,
    window_secs: f64,
    answers_in_window: usize,
    per_second: f64,
    sent_total: usize,
    answered_total: usize,
    timeouts: usize,
    non_2xx: usize,
    errors: usize,
    first_error: Option<String>,
    late_sends: usize,
    cpu_secs: f64,
    wall_secs: f64,
    unfinished_lower_bounds: Vec<f64>,
    latencies: Vec<f64>,
}

/// A child process that is killed and waited for if it is dropped before it was waited for.
struct Reaped(Option<Child>);

impl Reaped {
    /// Collects the child's stdout and stderr and waits for it to exit, killing it if it has
    /// not closed its stdout by `deadline`.
    fn finish(
        &mut self,
        deadline: Instant,
    ) -> Result<(Vec<u8>, Vec<u8>, std::process::ExitStatus)> {
        let child = self
            .0
            .as_mut()
            .ok_or_else(|| Error::System("the load generator was already waited for".into()))?;
        let (tx, rx) = std::sync::mpsc::channel::<(bool, Vec<u8>)>();
        let mut readers = Vec::new();
        for (is_out, pipe) in [
            (
                true,
                child
                    .stdout
                    .take()
                    .map(|p| Box::new(p) as Box<dyn Read + Send>),
            ),
            (
                false,
                child
                    .stderr
                    .take()
                    .map(|p| Box::new(p) as Box<dyn Read + Send>),
            ),
        ] {
            let Some(mut pipe) = pipe else { continue };
            let tx = tx.clone();
            let reader = std::thread::Builder::new()
                .name("loadgen-pipe".into())
                .spawn(move || {
                    let mut bytes = Vec::new();
                    let _ = pipe.read_to_end(&mut bytes);
                    let _ = tx.send((is_out, bytes));
                })
                .map_err(|e| Error::System(format!("could not start a pipe reader: {e}")))?;
            readers.push(reader);
        }
        drop(tx);
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        let mut pending = readers.len();
        let mut late = false;
        while pending > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok((true, bytes)) => stdout = bytes,
                Ok((false, bytes)) => stderr = bytes,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    late = true;
                    break;
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            }
            pending -= 1;
        }
        if late {
            // Killing it closes its pipes, which ends the readers.
            let _ = child.kill();
        }
        let status = child.wait();
        for reader in readers {
            let _ = reader.join();
        }
        let status = status
            .map_err(|e| Error::System(format!("could not wait for the load generator: {e}")))?;
        self.0 = None;
        if late {
            return Err(Error::System(
                "the load generator did not finish in time and was stopped".into(),
            ));
        }
        Ok((stdout, stderr, status))
    }
}

impl Drop for Reaped {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// CPU time (user + system) this process has used, in seconds.
fn own_cpu_seconds() -> Result<f64> {
    Ok(crate::os::process_cpu()?.as_secs_f64())
}

/// Checks a load test's URL: `http://`, an IP address and port, this machine only.
fn check_url(url: &str) -> Result<SocketAddr> {
    let rest = url.strip_prefix("http://").ok_or_else(|| {
        Error::InvalidInput(format!("a load test needs an http:// URL, not {url:?}"))
    })?;
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let addr: SocketAddr = host.parse().map_err(|_| {
        Error::InvalidInput(format!(
            "a load test targets an IP address and port, like 127.0.0.1:8080, not {host:?}"
        ))
    })?;
    if addr.ip() != IpAddr::V4(Ipv4Addr::LOCALHOST) && addr.ip() != IpAddr::V6(Ipv6Addr::LOCALHOST)
    {
        return Err(Error::InvalidInput(format!(
            "load tests only target this machine (127.0.0.1 or [::1]), not {}",
            addr.ip()
        )));
    }
    if addr.port() == 0 {
        return Err(Error::InvalidInput(
            "a load test needs the server's port, not 0".into(),
        ));
    }
    if path
        .chars()
        .any(|c| c.is_ascii_whitespace() || c.is_ascii_control())
    {
        return Err(Error::InvalidInput(format!(
            "a load test's URL path may not hold spaces or control characters: {path:?}"
        )));
    }
    Ok(addr)
}

/// Every file under `dir`, sorted, recursively.
fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// The load generator's program, built once and kept by content: `target/tools/loadgen-{hash}`
/// under the workspace, where the hash covers `loadgen/Cargo.toml`, every file under
/// `loadgen/src`, the workspace's `Cargo.lock` and `rustc --version`. When it is missing it is
/// built with `cargo build --release --offline --locked -p loadgen` (the `cargo` in `$CARGO`,
/// else on the `PATH`) in `target/loadgen-build` and moved into place whole, so a half-written
/// program is never run. The first build takes a while; later calls only hash.
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
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = manifest.parent().unwrap_or(manifest);
    // Every crate the generator is built from: its own and the course's OS helpers.
    let mut inputs = vec![root.join("Cargo.toml"), root.join("Cargo.lock")];
    for member in ["loadgen", "course_os"] {
        inputs.push(root.join(member).join("Cargo.toml"));
        files_under(&root.join(member).join("src"), &mut inputs);
    }
    let mut hasher = DefaultHasher::new();
    for input in &inputs {
        let bytes = std::fs::read(input).map_err(|e| {
            Error::Unavailable(format!(
                "cannot read {} to build the load generator: {e}",
                input.display()
            ))
        })?;
        input.strip_prefix(root).unwrap_or(input).hash(&mut hasher);
        bytes.hash(&mut hasher);
    }
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let version = Command::new(&rustc)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::Unavailable(format!("cannot run rustc: {e}")))?;
    version.stdout.hash(&mut hasher);
    let tools = root.join("target").join("tools");
    let exe = std::env::consts::EXE_SUFFIX;
    let path = tools.join(format!("loadgen-{:016x}{exe}", hasher.finish()));
    if path.exists() {
        return Ok(path);
    }
    std::fs::create_dir_all(&tools)
        .map_err(|e| Error::System(format!("cannot create {}: {e}", tools.display())))?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let build_dir = root.join("target").join("loadgen-build");
    let out = Command::new(&cargo)
        .args([
            "build",
            "--release",
            "--offline",
            "--locked",
            "-p",
            "loadgen",
        ])
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&build_dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            Error::Unavailable(format!("cannot run cargo to build the load generator: {e}"))
        })?;
    if !out.status.success() {
        return Err(Error::Unavailable(format!(
            "cargo could not build the load generator: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let built = build_dir.join("release").join(format!("loadgen{exe}"));
    // Copy under a name of our own, then rename: another kernel building at the same time
    // copies under its own name, and whichever rename comes last replaces a whole file.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let partial = tools.join(format!(
        "loadgen-partial-{}-{nanos}{exe}",
        std::process::id()
    ));
    let placed = std::fs::copy(&built, &partial)
        .map_err(|e| {
            Error::System(format!(
                "cannot copy the load generator from {}: {e}",
                built.display()
            ))
        })
        .and_then(|_| {
            std::fs::rename(&partial, &path).map_err(|e| {
                Error::System(format!("cannot move the load generator into place: {e}"))
            })
        });
    if placed.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    placed?;
    Ok(path)
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

    #[test]
    fn bad_settings_are_refused() {
        assert!(LoadTest::new(0, Duration::from_secs(1)).is_err());
        assert!(LoadTest::new(MAX_CONNECTIONS + 1, Duration::from_secs(1)).is_err());
        assert!(LoadTest::new(1, Duration::ZERO).is_err());
        assert!(LoadTest::new(1, Duration::from_secs(61)).is_err());
        let test = LoadTest::new(1, Duration::from_secs(1)).unwrap();
        assert!(test.clone().timeout(Duration::ZERO).is_err());
        assert!(test.clone().timeout(Duration::from_secs(61)).is_err());
        assert!(test.clone().drain(Duration::from_secs(61)).is_err());
        assert!(test.clone().settle_limit(Duration::from_secs(61)).is_err());
        assert!(test.clone().ramp(0, Duration::ZERO).is_err());
        assert!(test.clone().ramp(10, Duration::from_secs(11)).is_err());
        for rate in [0.0, -1.0, f64::NAN, f64::INFINITY, MAX_RATE * 2.0] {
            let err = test.clone().open_loop(rate).unwrap_err();
            assert!(matches!(err, Error::InvalidInput(_)), "{rate}: {err}");
        }
        assert!(test.clone().open_loop(10.0).is_ok());
        assert!(test.run("https://127.0.0.1:1/").is_err());
        assert!(test.run("http://example.com/").is_err());
        assert!(test.run("http://127.0.0.1:0/").is_err());
        assert!(test.run("http://127.0.0.1:80/a b").is_err());
        let err = test.run("http://10.1.2.3:80/").unwrap_err();
        assert!(err.to_string().contains("127.0.0.1"), "{err}");
        assert!(matches!(err, Error::InvalidInput(_)));
    }

    #[test]
    fn the_arguments_round_up_to_milliseconds() {
        let test = LoadTest::new(3, Duration::from_micros(1500))
            .unwrap()
            .open_loop(2.5)
            .unwrap();
        let args = test.arguments("http://127.0.0.1:9/");
        assert!(args.contains(&"--window-ms=2".to_string()), "{args:?}");
        assert!(args.contains(&"--drain-ms=2000".to_string()), "{args:?}");
        assert!(args.contains(&"--rate=2.5".to_string()), "{args:?}");
    }

    #[test]
    fn percentiles_count_unfinished_requests_as_lower_bounds() {
        let mut report = LoadReport::default();
        assert_eq!(report.percentile(0.5), 0.0);
        assert!(!report.is_lower_bound(0.5));
        assert_eq!(report.mean(), 0.0);
        report.latencies = vec![0.1, 0.2, 0.3, 0.4];
        report.unfinished_lower_bounds = vec![0.25, 5.0];
        report.unfinished = 2;
        assert_eq!(report.sampled(), 6);
        // Merged: 0.1 0.2 [0.25] 0.3 0.4 [5.0].
        assert_eq!(report.percentile(0.0), 0.1);
        assert!(!report.is_lower_bound(0.2));
        assert_eq!(report.percentile(0.4), 0.25);
        assert!(report.is_lower_bound(0.4));
        assert!(report.is_lower_bound(0.99));
        assert_eq!(report.p99(), 5.0);
        assert_eq!(report.percentile(f64::NAN), report.percentile(0.5));
        assert_eq!(report.percentile(7.0), 5.0);
        assert_eq!(report.show(0.0), "0.100 s");
        assert_eq!(report.show(1.0), "≥ 5.000 s");
        assert!((report.mean() - 6.25 / 6.0).abs() < 1e-12);
        report.generator_cpu_secs = 1.0;
        report.generator_wall_secs = 4.0;
        assert_eq!(report.generator_cores(), 0.25);
        assert_eq!(report.app_cores(), 0.0);
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
        let server = crate::city::AppServer::start(app, 1).unwrap();
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
        assert_eq!(report.unfinished, 0, "{report:?}");
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
    fn blocking_app() -> crate::city::AppServer {
        let app = axum::Router::new().route(
            "/",
            get(|| async {
                std::thread::sleep(Duration::from_millis(200));
                "done"
            }),
        );
        crate::city::AppServer::start(app, 1).unwrap()
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
        let server = crate::city::AppServer::start(app, 1).unwrap();
        // The window opens at the first answers (3 s) and closes a second later; the
        // requests sent then are still waiting when the half-second drain ends.
        let test = LoadTest::new(3, Duration::from_secs(1))
            .unwrap()
            .drain(Duration::from_millis(500))
            .unwrap();
        let report = test.run(&server.url("/")).unwrap();
        assert_eq!(report.requests, 0, "{report:?}");
        assert_eq!(report.latencies.len(), 0, "{report:?}");
        assert!(report.unfinished > 0, "{report:?}");
        assert_eq!(report.unfinished, report.unfinished_lower_bounds.len());
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
            a.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("loadgen-"))
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
        use crate::city::tests::sun;
        use crate::city::{AppServer, Services};
        let _processes = crate::process_test_lock();
        let limit = raise_fd_limit().unwrap();
        let started = Instant::now();
        generator().unwrap();
        println!(
            "generator ready in {:.1} s; fd limit {limit}",
            started.elapsed().as_secs_f64()
        );
        let app = axum::Router::new()
            .route("/api/sun/{zip}/{country}", get(sun))
            .with_state(Services::cached());
        let server = AppServer::start(app, 2).unwrap();
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
                report.unfinished,
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
