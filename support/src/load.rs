//! A load generator for chapter 08, in the manner of `wrk`: a fixed number of connections,
//! each sending one request after another for a fixed time, on loopback only.
//!
//! Each connection is a task on a single-threaded runtime that speaks just enough HTTP/1.1:
//! it sends a `GET`, reads the status line, the headers and a `Content-Length` body, and keeps
//! the connection open for the next request. As in `wrk`, a response slower than the timeout
//! (2 s by default) is counted as a *timeout* but still waited for. Requests per second count
//! the responses that arrived in a measuring window after a warm-up, so connecting (which can
//! take a while for thousands of connections) does not blur the steady state.
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
//! let test = LoadTest::new(4, Duration::from_millis(800))?.warmup(Duration::from_millis(200))?;
//! let report = test.run(&server.url("/"))?;
//! assert!(report.requests > 20);                  // about 4 / 0.05 s × 0.6 s = 48
//! assert_eq!(report.timeouts + report.errors, 0);
//! assert!(report.p50() >= 0.05);
//! # Ok::<(), support::Error>(())
//! ```

use crate::error::{Error, Result};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// The most connections one test may open (each costs this process two file descriptors when
/// the server runs in it too).
pub const MAX_CONNECTIONS: usize = 20_000;

/// The longest a test may run.
pub const MAX_DURATION: Duration = Duration::from_secs(60);

/// How a load test runs; make one with [`LoadTest::new`].
#[derive(Debug, Clone, PartialEq)]
pub struct LoadTest {
    connections: usize,
    duration: Duration,
    warmup: Duration,
    timeout: Duration,
}

/// What a load test measured.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadReport {
    /// How many connections sent requests.
    pub connections: usize,
    /// Responses that arrived in the measuring window.
    pub requests: usize,
    /// Those requests divided by the window's length.
    pub per_second: f64,
    /// Responses over the whole test, warm-up included.
    pub answered: usize,
    /// Responses in the window whose status was not 2xx.
    pub non_2xx: usize,
    /// Responses (over the whole test) that took longer than the timeout.
    pub timeouts: usize,
    /// Connections that failed or broke (over the whole test).
    pub errors: usize,
    /// Requests still waiting for their response when the test ended.
    pub unfinished: usize,
    /// The latency of every response in the window, in seconds, sorted.
    pub latencies: Vec<f64>,
    /// The first error seen, if any, to say what went wrong.
    pub first_error: Option<String>,
}

impl LoadReport {
    /// The latency below which a fraction `q` (0 to 1) of the window's responses arrived, in
    /// seconds; 0 if there were none.
    pub fn percentile(&self, q: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        let q = if q.is_finite() {
            q.clamp(0.0, 1.0)
        } else {
            0.5
        };
        let i = ((self.latencies.len() - 1) as f64 * q).round() as usize;
        self.latencies[i]
    }

    /// The median latency (s).
    pub fn p50(&self) -> f64 {
        self.percentile(0.5)
    }

    /// The 99th-percentile latency (s).
    pub fn p99(&self) -> f64 {
        self.percentile(0.99)
    }

    /// The mean latency (s); 0 if there were no responses.
    pub fn mean(&self) -> f64 {
        if self.latencies.is_empty() {
            0.0
        } else {
            self.latencies.iter().sum::<f64>() / self.latencies.len() as f64
        }
    }
}

impl LoadTest {
    /// `connections` connections (1 to [`MAX_CONNECTIONS`]) for `duration` (at most
    /// [`MAX_DURATION`]), with a warm-up of a fifth of it and wrk's 2 s timeout.
    pub fn new(connections: usize, duration: Duration) -> Result<Self> {
        if connections == 0 || connections > MAX_CONNECTIONS {
            return Err(Error::InvalidInput(format!(
                "a load test opens 1 to {MAX_CONNECTIONS} connections, not {connections}"
            )));
        }
        if duration.is_zero() || duration > MAX_DURATION {
            return Err(Error::InvalidInput(format!(
                "a load test runs for more than 0 s and at most {} s, not {duration:?}",
                MAX_DURATION.as_secs()
            )));
        }
        Ok(LoadTest {
            connections,
            duration,
            warmup: duration / 5,
            timeout: Duration::from_secs(2),
        })
    }

    /// The time at the start whose responses are not counted (less than the duration).
    pub fn warmup(mut self, warmup: Duration) -> Result<Self> {
        if warmup >= self.duration {
            return Err(Error::InvalidInput(format!(
                "the warm-up ({warmup:?}) must be shorter than the test ({:?})",
                self.duration
            )));
        }
        self.warmup = warmup;
        Ok(self)
    }

    /// A response slower than this is counted as a timeout (default 2 s, as in wrk).
    pub fn timeout(mut self, timeout: Duration) -> Result<Self> {
        if timeout.is_zero() {
            return Err(Error::InvalidInput(
                "the timeout must be more than 0 s".into(),
            ));
        }
        self.timeout = timeout;
        Ok(self)
    }

    /// Runs the test against `url` (`http://127.0.0.1:{port}{path}`: loopback only) and
    /// returns what it measured. Every connection is closed before it returns.
    pub fn run(&self, url: &str) -> Result<LoadReport> {
        let rest = url.strip_prefix("http://").ok_or_else(|| {
            Error::InvalidInput(format!("a load test needs an http:// URL, not {url:?}"))
        })?;
        let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let path = if path.is_empty() { "/" } else { path };
        let addr: std::net::SocketAddr = host.parse().map_err(|_| {
            Error::InvalidInput(format!(
                "a load test targets an IP address and port, like 127.0.0.1:8080, not {host:?}"
            ))
        })?;
        if !addr.ip().is_loopback() {
            return Err(Error::InvalidInput(format!(
                "load tests only target this machine (127.0.0.1), not {addr}"
            )));
        }
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: support-load\r\n\r\n");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::System(format!("could not build a tokio runtime: {e}")))?;
        let test = self.clone();
        let outcomes = runtime.block_on(async move {
            let started = Instant::now();
            let deadline = started + test.duration;
            let mut tasks = tokio::task::JoinSet::new();
            for _ in 0..test.connections {
                let request = request.clone();
                let timeout = test.timeout;
                tasks.spawn(connection(addr, request, started, deadline, timeout));
            }
            let mut outcomes = Vec::with_capacity(test.connections);
            while let Some(done) = tasks.join_next().await {
                if let Ok(outcome) = done {
                    outcomes.push(outcome);
                }
            }
            outcomes
        });
        drop(runtime);
        let window = (self.duration - self.warmup).as_secs_f64();
        let warmup = self.warmup.as_secs_f64();
        let mut report = LoadReport {
            connections: self.connections,
            requests: 0,
            per_second: 0.0,
            answered: 0,
            non_2xx: 0,
            timeouts: 0,
            errors: 0,
            unfinished: 0,
            latencies: Vec::new(),
            first_error: None,
        };
        for outcome in outcomes {
            report.timeouts += outcome.timeouts;
            report.errors += outcome.errors;
            report.unfinished += usize::from(outcome.unfinished);
            if report.first_error.is_none() {
                report.first_error = outcome.first_error;
            }
            report.answered += outcome.responses.len();
            for (ended, latency, status) in outcome.responses {
                if ended >= warmup {
                    report.requests += 1;
                    report.latencies.push(latency);
                    if !(200..300).contains(&status) {
                        report.non_2xx += 1;
                    }
                }
            }
        }
        report.latencies.sort_by(f64::total_cmp);
        report.per_second = report.requests as f64 / window;
        Ok(report)
    }
}

/// What one connection saw: (end time since the start, latency, status) per response.
#[derive(Default)]
struct Outcome {
    responses: Vec<(f64, f64, u16)>,
    timeouts: usize,
    errors: usize,
    unfinished: bool,
    first_error: Option<String>,
}

async fn connection(
    addr: std::net::SocketAddr,
    request: String,
    started: Instant,
    deadline: Instant,
    timeout: Duration,
) -> Outcome {
    let mut outcome = Outcome::default();
    let mut stream: Option<TcpStream> = None;
    let mut buffer = Vec::with_capacity(4096);
    while Instant::now() < deadline {
        let mut conn = match stream.take() {
            Some(conn) => conn,
            None => match tokio::time::timeout_at(deadline, TcpStream::connect(addr)).await {
                Err(_) => break,
                Ok(Ok(conn)) => conn,
                Ok(Err(e)) => {
                    outcome.errors += 1;
                    outcome.first_error.get_or_insert(format!("connect: {e}"));
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let sent = Instant::now();
        let exchange = async {
            conn.write_all(request.as_bytes()).await?;
            read_response(&mut conn, &mut buffer).await
        };
        match tokio::time::timeout_at(deadline, exchange).await {
            Err(_) => {
                // The test ended while this request was waiting.
                outcome.unfinished = true;
                if sent.elapsed() > timeout {
                    outcome.timeouts += 1;
                }
                break;
            }
            Ok(Ok((status, keep_alive))) => {
                let latency = sent.elapsed();
                if latency > timeout {
                    outcome.timeouts += 1;
                }
                let ended = (Instant::now() - started).as_secs_f64();
                outcome
                    .responses
                    .push((ended, latency.as_secs_f64(), status));
                if keep_alive {
                    stream = Some(conn);
                }
            }
            Ok(Err(e)) => {
                outcome.errors += 1;
                outcome.first_error.get_or_insert(e.to_string());
            }
        }
    }
    outcome
}

/// Reads one response: returns its status and whether the connection may be reused.
async fn read_response(conn: &mut TcpStream, buffer: &mut Vec<u8>) -> std::io::Result<(u16, bool)> {
    buffer.clear();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buffer.len() > 64 * 1024 {
            return Err(std::io::Error::other("response headers over 64 KiB"));
        }
        let n = conn.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::Error::other("the server closed the connection"));
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
    let status: u16 = head
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("a response without a status line"))?;
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| std::io::Error::other("a response without Content-Length"))?;
    let keep_alive = !head
        .lines()
        .any(|l| l.starts_with("connection:") && l.contains("close"));
    let mut have = buffer.len() - head_end;
    while have < length {
        let n = conn.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::Error::other(
                "the server closed the connection mid-body",
            ));
        }
        have += n;
    }
    Ok((status, keep_alive))
}

#[cfg(unix)]
fn rlimit_nofile() -> Result<libc::rlimit> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we own.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(Error::System(format!(
            "could not read the open-file limit: {}",
            std::io::Error::last_os_error()
        )));
    }
    Ok(limit)
}

/// This process's limit on open files (sockets count as files): (soft, hard). The soft limit
/// is the one in force; a process may raise it up to the hard limit.
pub fn fd_limits() -> Result<(u64, u64)> {
    #[cfg(unix)]
    {
        let limit = rlimit_nofile()?;
        // `rlim_t` is `u64` on the platforms we run on; the conversion keeps others compiling.
        #[allow(clippy::useless_conversion)]
        Ok((u64::from(limit.rlim_cur), u64::from(limit.rlim_max)))
    }
    #[cfg(not(unix))]
    Err(Error::Unavailable(
        "open-file limits are read on Unix only".into(),
    ))
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
    #[cfg(unix)]
    {
        let mut limit = rlimit_nofile()?;
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max;
            // SAFETY: setrlimit reads the struct we own.
            if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } != 0 {
                return Err(Error::System(format!(
                    "could not raise the open-file limit to {}: {}",
                    limit.rlim_max,
                    std::io::Error::last_os_error()
                )));
            }
        }
        Ok(fd_limits()?.0)
    }
    #[cfg(not(unix))]
    Err(Error::Unavailable(
        "open-file limits are set on Unix only".into(),
    ))
}

#[cfg(all(test, feature = "web"))]
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
        assert!(test.clone().warmup(Duration::from_secs(1)).is_err());
        assert!(test.clone().timeout(Duration::ZERO).is_err());
        assert!(test.run("https://127.0.0.1:1/").is_err());
        assert!(test.run("http://example.com/").is_err());
        let err = test.run("http://10.1.2.3:80/").unwrap_err();
        assert!(err.to_string().contains("127.0.0.1"), "{err}");
    }

    #[test]
    fn slow_answers_count_as_timeouts_and_statuses_are_kept() {
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
            .warmup(Duration::from_millis(100))
            .unwrap()
            .timeout(Duration::from_millis(200))
            .unwrap();
        let report = test.run(&server.url("/slow")).unwrap();
        assert!(report.requests >= 4, "{report:?}");
        assert!(report.answered >= report.requests, "{report:?}");
        assert!(report.timeouts >= report.requests, "{report:?}");
        assert!(report.p50() >= 0.3 && report.mean() >= 0.3, "{report:?}");
        let report = test.run(&server.url("/missing")).unwrap();
        assert_eq!(report.non_2xx, report.requests);
        assert_eq!(report.errors, 0);
    }

    #[test]
    fn a_closed_port_is_counted_as_errors() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let test = LoadTest::new(1, Duration::from_millis(200)).unwrap();
        let report = test.run(&format!("http://127.0.0.1:{port}/")).unwrap();
        assert_eq!(report.requests, 0);
        assert!(report.errors >= 1);
        assert!(
            report
                .first_error
                .as_deref()
                .unwrap_or("")
                .contains("connect")
        );
        assert_eq!(report.percentile(0.5), 0.0);
    }
}
