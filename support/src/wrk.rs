//! Runs `wrk`, the load-testing tool the course used, when it is installed, and reads its
//! report, so chapter 08 can check its own generator ([`crate::load`]) against it.
//!
//! wrk is not a dependency: [`available`] says whether it can be run here, and [`run`] fails
//! with [`Error::Unavailable`] (saying how to install it) when it cannot.
//!
//! Two things differ from [`crate::load`] and matter when the numbers meet: wrk counts every
//! answer from the moment its connections open (there is no measuring window), and it leaves
//! answers slower than its timeout out of its latency figures (they are only counted, as
//! "timeout" socket errors), so its percentiles describe the answers that came in time.

use crate::error::{Error, Result};
use crate::load::{LoadReport, MAX_CONNECTIONS, MAX_DURATION};
use crate::table::Table;
use std::ffi::OsStr;
use std::process::Command;
use std::time::Duration;

/// How to get wrk, for the errors that say it is missing.
const INSTALL: &str =
    "install it with `apt install wrk` (Debian, Ubuntu) or `brew install wrk` (macOS)";

/// How much longer than its `-d` duration plus its timeout a wrk run may take (starting,
/// connecting, writing its report) before it is stopped.
const SLACK: Duration = Duration::from_secs(10);

/// What one wrk run reported.
#[derive(Debug, Clone, PartialEq)]
pub struct WrkReport {
    /// Connections it kept open.
    pub connections: usize,
    /// Answers over the whole run.
    pub requests: u64,
    /// wrk's "Requests/sec".
    pub per_second: f64,
    /// Latency percentiles wrk printed (`--latency`), in seconds: 50%, 75%, 90%, 99%.
    pub p50: f64,
    /// 75th percentile (s).
    pub p75: f64,
    /// 90th percentile (s).
    pub p90: f64,
    /// 99th percentile (s).
    pub p99: f64,
    /// Requests that took longer than the timeout (left out of the percentiles).
    pub timeouts: u64,
    /// Connect, read and write errors.
    pub errors: u64,
    /// Answers with a status other than 2xx or 3xx.
    pub non_2xx: u64,
    /// wrk's own output, to show.
    pub output: String,
}

/// Whether `wrk` can be run here: `wrk --version` starts and ends within 5 s.
///
/// ```
/// let _ = support::wrk::available();   // true where `apt install wrk` or `brew install wrk` ran
/// ```
pub fn available() -> bool {
    crate::load::run_child(
        Command::new("wrk").arg("--version"),
        Duration::from_secs(5),
        "wrk",
    )
    .is_ok()
}

/// Runs `wrk -t1 -c{connections} -d{duration} --timeout {timeout} --latency {url}` (one thread,
/// like [`crate::load`]'s generator) and reads its report; the timeout is rounded up to whole
/// seconds, as wrk reads it. `url` must target this machine (checked as [`crate::load`] checks
/// its own: `http://127.0.0.1:PORT/…` or `http://[::1]:PORT/…`); `connections` 1 to
/// [`MAX_CONNECTIONS`]; `duration` and the timeout whole seconds up to [`MAX_DURATION`]. The run
/// is stopped (and the call fails) if it has not ended 10 s after its duration and timeout.
pub fn run(
    url: &str,
    connections: usize,
    duration: Duration,
    timeout: Duration,
) -> Result<WrkReport> {
    run_program(OsStr::new("wrk"), url, connections, duration, timeout)
}

/// [`run`], with `program` in place of `wrk`.
fn run_program(
    program: &OsStr,
    url: &str,
    connections: usize,
    duration: Duration,
    timeout: Duration,
) -> Result<WrkReport> {
    loadgen::check_url(url)
        .map_err(|e| Error::InvalidInput(format!("wrk is only pointed at this machine: {e}")))?;
    if connections == 0 || connections > MAX_CONNECTIONS {
        return Err(Error::InvalidInput(format!(
            "wrk opens 1 to {MAX_CONNECTIONS} connections here, not {connections}"
        )));
    }
    let longest = MAX_DURATION.as_secs();
    let secs = duration.as_secs();
    if !(1..=longest).contains(&secs) || duration.subsec_nanos() != 0 {
        return Err(Error::InvalidInput(format!(
            "a wrk run lasts 1 to {longest} whole seconds, not {duration:?}"
        )));
    }
    // wrk reads times in whole units ("2s"), so the timeout is rounded up to whole seconds.
    let timeout_secs = timeout.as_secs() + u64::from(timeout.subsec_nanos() > 0);
    if !(1..=longest).contains(&timeout_secs) {
        return Err(Error::InvalidInput(format!(
            "wrk's timeout is 1 to {longest} s here, not {timeout:?}"
        )));
    }
    let mut wrk = Command::new(program);
    wrk.args([
        "-t1".to_string(),
        format!("-c{connections}"),
        format!("-d{secs}s"),
        "--timeout".to_string(),
        format!("{timeout_secs}s"),
        "--latency".to_string(),
        url.to_string(),
    ]);
    let limit = Duration::from_secs(secs + timeout_secs) + SLACK;
    let out = crate::load::run_child(&mut wrk, limit, "wrk").map_err(|e| match e {
        Error::Unavailable(why) => Error::Unavailable(format!("{why}; {INSTALL}")),
        other => other,
    })?;
    let output = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        return Err(Error::System(format!(
            "wrk failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    parse(&output, connections)
}

/// wrk's figures beside the load generator's, one row each: req/s, p50, p90, p99, late (wrk:
/// timed out) and errors.
///
/// ```
/// let ours = support::load::LoadReport { connections: 10, per_second: 9.5, ..Default::default() };
/// let wrk = support::wrk::WrkReport { connections: 10, requests: 40, per_second: 9.0, p50: 1.0,
///     p75: 1.0, p90: 1.1, p99: 1.2, timeouts: 0, errors: 0, non_2xx: 0, output: String::new() };
/// let table = support::wrk::compare_table(&wrk, &ours);
/// assert!(table.to_text().contains("wrk -t1 -c10"));
/// ```
pub fn compare_table(wrk: &WrkReport, ours: &LoadReport) -> Table {
    let mut table = Table::new([
        "generator",
        "req/s",
        "p50",
        "p90",
        "p99",
        "late or timed out",
        "errors",
    ]);
    let seconds = |s: f64| format!("{s:.3} s");
    let rows = [
        [
            format!("wrk -t1 -c{}", wrk.connections),
            format!("{:.1}", wrk.per_second),
            seconds(wrk.p50),
            seconds(wrk.p90),
            seconds(wrk.p99),
            wrk.timeouts.to_string(),
            wrk.errors.to_string(),
        ],
        [
            format!("support::load, {} connections", ours.connections),
            format!("{:.1}", ours.per_second),
            ours.show(0.5),
            ours.show(0.9),
            ours.show(0.99),
            ours.timeouts.to_string(),
            ours.errors.to_string(),
        ],
    ];
    for row in rows {
        // As many cells as columns: cannot fail.
        let _ = table.push_row(row);
    }
    table
}

/// Reads wrk's text report.
fn parse(output: &str, connections: usize) -> Result<WrkReport> {
    let missing = |what: &str| Error::System(format!("wrk's report has no {what}:\n{output}"));
    let mut report = WrkReport {
        connections,
        requests: 0,
        per_second: f64::NAN,
        p50: f64::NAN,
        p75: f64::NAN,
        p90: f64::NAN,
        p99: f64::NAN,
        timeouts: 0,
        errors: 0,
        non_2xx: 0,
        output: output.to_string(),
    };
    let mut in_distribution = false;
    for line in output.lines().map(str::trim) {
        if line.starts_with("Latency Distribution") {
            in_distribution = true;
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        if in_distribution {
            if let [q, value] = words.as_slice() {
                let seconds = seconds(value);
                match *q {
                    "50%" => report.p50 = seconds.ok_or_else(|| missing("50% latency"))?,
                    "75%" => report.p75 = seconds.ok_or_else(|| missing("75% latency"))?,
                    "90%" => report.p90 = seconds.ok_or_else(|| missing("90% latency"))?,
                    "99%" => report.p99 = seconds.ok_or_else(|| missing("99% latency"))?,
                    _ => in_distribution = false,
                }
                continue;
            }
            in_distribution = false;
        }
        if let Some(rest) = line.strip_prefix("Requests/sec:") {
            report.per_second = rest.trim().parse().map_err(|_| missing("Requests/sec"))?;
        } else if let Some(rest) = line.strip_prefix("Socket errors:") {
            for part in rest.split(',') {
                let mut kv = part.split_whitespace();
                let (Some(kind), Some(n)) =
                    (kv.next(), kv.next().and_then(|n| n.parse::<u64>().ok()))
                else {
                    continue;
                };
                if kind == "timeout" {
                    report.timeouts = n;
                } else {
                    report.errors += n;
                }
            }
        } else if let Some(rest) = line.strip_prefix("Non-2xx or 3xx responses:") {
            report.non_2xx = rest.trim().parse().unwrap_or(0);
        } else if words.get(1) == Some(&"requests") && words.get(2) == Some(&"in") {
            report.requests = words[0].parse().map_err(|_| missing("request count"))?;
        }
    }
    if report.per_second.is_nan() {
        return Err(missing("Requests/sec"));
    }
    if report.p50.is_nan() || report.p99.is_nan() {
        return Err(missing("latency distribution"));
    }
    Ok(report)
}

/// `870.00ms`, `1.24s`, `512.00us`, `2.00m` as seconds.
fn seconds(value: &str) -> Option<f64> {
    let split = value.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = value.split_at(split);
    let number: f64 = number.parse().ok()?;
    let scale = match unit {
        "us" => 1e-6,
        "ms" => 1e-3,
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        _ => return None,
    };
    Some(number * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "Running 3s test @ http://127.0.0.1:40000/api/sun/97227/us
  1 threads and 1000 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   951.33ms  180.12ms   1.30s    62.00%
    Req/Sec     1.10k   120.00     1.30k    70.00%
  Latency Distribution
     50%  874.00ms
     75%    1.05s
     90%    1.19s
     99%    1.27s
  3190 requests in 3.01s, 2.10MB read
  Socket errors: connect 0, read 2, write 0, timeout 7
  Non-2xx or 3xx responses: 3
Requests/sec:   1059.80
Transfer/sec:    713.10KB
";

    #[test]
    fn the_report_is_read() {
        let r = parse(SAMPLE, 1000).unwrap();
        assert_eq!(r.requests, 3190);
        assert_eq!(r.per_second, 1059.80);
        assert!((r.p50 - 0.874).abs() < 1e-9 && (r.p75 - 1.05).abs() < 1e-9);
        assert!((r.p90 - 1.19).abs() < 1e-9 && (r.p99 - 1.27).abs() < 1e-9);
        assert_eq!((r.timeouts, r.errors, r.non_2xx), (7, 2, 3));
    }

    #[test]
    fn a_report_without_figures_is_an_error() {
        assert!(parse("Running 1s test\n", 1).is_err());
        assert_eq!(seconds("512.00us"), Some(512e-6));
        assert_eq!(seconds("2.00m"), Some(120.0));
        assert_eq!(seconds("fast"), None);
    }

    /// Issue 25: wrk ran with no deadline. A `wrk` that never ends (a stand-in: a script that
    /// sleeps) is now stopped at the run's deadline and reaped, and the call fails.
    #[test]
    fn a_wrk_that_hangs_is_stopped_at_its_deadline() {
        let _processes = crate::process_test_lock();
        let dir = std::env::temp_dir().join(format!("fake-wrk-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fake = dir.join("wrk");
        std::fs::write(&fake, "#!/bin/sh\nexec sleep 60\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let before = crate::process::child_processes().ok();
        let (tx, rx) = std::sync::mpsc::channel();
        let second = Duration::from_secs(1);
        let program = fake.clone().into_os_string();
        std::thread::spawn(move || {
            let _ = tx.send(run_program(
                &program,
                "http://127.0.0.1:9/",
                1,
                second,
                second,
            ));
        });
        let outcome = rx.recv_timeout(Duration::from_secs(20));
        let _ = std::fs::remove_dir_all(&dir);
        let outcome = outcome.expect("wrk::run still waiting after 20 s: it has no deadline");
        let err = outcome.unwrap_err();
        assert!(
            err.to_string().contains("wrk did not finish within 12.0 s"),
            "{err}"
        );
        assert_eq!(
            crate::process::child_processes().ok(),
            before,
            "wrk was left running"
        );
    }

    #[test]
    fn bad_arguments_are_refused_before_running() {
        let second = Duration::from_secs(1);
        assert!(matches!(
            run("http://example.com/", 1, second, second),
            Err(Error::InvalidInput(_))
        ));
        assert!(matches!(
            run("http://127.0.0.1:1/", MAX_CONNECTIONS + 1, second, second),
            Err(Error::InvalidInput(_))
        ));
        assert!(matches!(
            run("http://127.0.0.1:1/", 0, second, second),
            Err(Error::InvalidInput(_))
        ));
        assert!(matches!(
            run(
                "http://127.0.0.1:1/",
                1,
                Duration::from_millis(1500),
                second
            ),
            Err(Error::InvalidInput(_))
        ));
    }
}
