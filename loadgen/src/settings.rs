//! What a load test is asked to do, checked in one place: `support::load::LoadTest` builds a
//! [`Settings`] and turns it into the generator's arguments ([`Settings::to_args`]); the
//! generator reads them back ([`Settings::from_args`]) through the same checks.

use crate::{Invalid, MAX_CONNECTIONS, MAX_DURATION, MAX_RAMP_PAUSE, MAX_RATE, Target, check_url};
use std::time::Duration;

/// The generator's command line, for `--help` and for its errors.
pub const USAGE: &str = "usage: loadgen --url http://127.0.0.1:PORT/PATH --connections N --window-ms W \
[--timeout-ms T (2000)] [--drain-ms D (= timeout)] [--settle-limit-ms S (5000)] \
[--ramp-batch B (500)] [--ramp-pause-ms P (20)] [--rate R (requests/s: open loop)]";

/// How a load test runs: connections, the measuring window, the timeout, the drain, the settle
/// limit, the ramp-up and (for an open loop) the rate. Make one with [`Settings::new`] and change
/// it with the methods that follow; each checks its value.
///
/// ```
/// use loadgen::Settings;
/// use std::time::Duration;
/// let settings = Settings::new(20, Duration::from_secs(5))?.open_loop(4.0)?;
/// assert_eq!(settings.connections(), 20);
/// assert!(Settings::new(0, Duration::from_secs(5)).is_err());
/// # Ok::<(), loadgen::Invalid>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub(crate) connections: usize,
    pub(crate) window: Duration,
    pub(crate) timeout: Duration,
    drain: Option<Duration>,
    pub(crate) settle_limit: Duration,
    pub(crate) ramp_batch: usize,
    pub(crate) ramp_pause: Duration,
    pub(crate) rate: Option<f64>,
}

/// `what` must be more than 0 (unless `zero_ok`) and at most [`MAX_DURATION`].
fn duration(what: &str, value: Duration, zero_ok: bool) -> Result<Duration, Invalid> {
    if (value.is_zero() && !zero_ok) || value > MAX_DURATION {
        let low = if zero_ok {
            "at least 0 s"
        } else {
            "more than 0 s"
        };
        return Err(Invalid(format!(
            "{what} must be {low} and at most {} s, not {value:?}",
            MAX_DURATION.as_secs()
        )));
    }
    Ok(value)
}

/// A duration in whole milliseconds for the arguments, rounded up.
fn millis(d: Duration) -> u128 {
    d.as_nanos().div_ceil(1_000_000)
}

impl Settings {
    /// `connections` keep-alive connections (1 to [`MAX_CONNECTIONS`]) and a measuring window
    /// of `window` (more than 0, at most [`MAX_DURATION`]); closed loop, wrk's 2 s timeout, a
    /// drain as long as the timeout, a settle limit of 5 s, ramp-up in batches of 500 with
    /// 20 ms between them.
    pub fn new(connections: usize, window: Duration) -> Result<Settings, Invalid> {
        if connections == 0 || connections > MAX_CONNECTIONS {
            return Err(Invalid(format!(
                "a load test opens 1 to {MAX_CONNECTIONS} connections, not {connections}"
            )));
        }
        Ok(Settings {
            connections,
            window: duration("a load test's window", window, false)?,
            timeout: Duration::from_secs(2),
            drain: None,
            settle_limit: Duration::from_secs(5),
            ramp_batch: 500,
            ramp_pause: Duration::from_millis(20),
            rate: None,
        })
    }

    /// A request slower than this counts as a timeout, though it is still waited for (default
    /// 2 s, as in wrk; more than 0, at most [`MAX_DURATION`]). Unless [`Settings::drain`] was
    /// set, the drain is as long as the timeout.
    pub fn timeout(mut self, timeout: Duration) -> Result<Settings, Invalid> {
        self.timeout = duration("the timeout", timeout, false)?;
        Ok(self)
    }

    /// How long requests still in flight when the window closes may take to finish (default:
    /// the timeout; 0 to [`MAX_DURATION`]). Those still unanswered then are reported as
    /// unfinished, with lower bounds.
    pub fn drain(mut self, drain: Duration) -> Result<Settings, Invalid> {
        self.drain = Some(duration("the drain", drain, true)?);
        Ok(self)
    }

    /// The latest the window may open, counted from the generator's start, if some connections
    /// are still waiting for their first answer (default 5 s; 0 to [`MAX_DURATION`]).
    pub fn settle_limit(mut self, limit: Duration) -> Result<Settings, Invalid> {
        self.settle_limit = duration("the settle limit", limit, true)?;
        Ok(self)
    }

    /// Opens the connections `batch` at a time (at least 1) with `pause` between batches (at
    /// most [`MAX_RAMP_PAUSE`]); default 500 and 20 ms, which keeps within a listen backlog of
    /// 4,096 and a SYN backlog of 2,048.
    pub fn ramp(mut self, batch: usize, pause: Duration) -> Result<Settings, Invalid> {
        if batch == 0 {
            return Err(Invalid(
                "a ramp-up batch holds at least 1 connection".into(),
            ));
        }
        if pause > MAX_RAMP_PAUSE {
            return Err(Invalid(format!(
                "the pause between ramp-up batches must be at most {} s, not {pause:?}",
                MAX_RAMP_PAUSE.as_secs()
            )));
        }
        self.ramp_batch = batch.min(MAX_CONNECTIONS);
        self.ramp_pause = pause;
        Ok(self)
    }

    /// Sends on a fixed schedule of `rate_per_second` requests per second over all the
    /// connections (more than 0, at most [`MAX_RATE`]), wrk2 style, and measures each latency
    /// from the request's due time.
    pub fn open_loop(mut self, rate_per_second: f64) -> Result<Settings, Invalid> {
        if !rate_per_second.is_finite() || rate_per_second <= 0.0 || rate_per_second > MAX_RATE {
            return Err(Invalid(format!(
                "an open loop's rate is more than 0 and at most {MAX_RATE} requests per second, \
                 not {rate_per_second}"
            )));
        }
        self.rate = Some(rate_per_second);
        Ok(self)
    }

    /// How many connections.
    pub fn connections(&self) -> usize {
        self.connections
    }

    /// The drain: as set, or as long as the timeout.
    pub(crate) fn drain_value(&self) -> Duration {
        self.drain.unwrap_or(self.timeout)
    }

    /// The open loop's rate (requests per second), or `None` for a closed loop.
    pub fn rate(&self) -> Option<f64> {
        self.rate
    }

    /// The longest a run can take: the window opens by the settle limit, closes a window later,
    /// and the drain lasts at most its length; `slack` is added for starting, ramping up and
    /// writing the report.
    pub fn longest_run(&self, slack: Duration) -> Duration {
        self.settle_limit + self.window + self.drain_value() + slack
    }

    /// The generator's arguments for a test of `url` (durations in whole milliseconds,
    /// rounded up).
    ///
    /// ```
    /// use loadgen::Settings;
    /// use std::time::Duration;
    /// let settings = Settings::new(3, Duration::from_micros(1500))?.open_loop(2.5)?;
    /// let args = settings.to_args("http://127.0.0.1:9/");
    /// assert!(args.contains(&"--window-ms=2".to_string()));
    /// let (target, back) = Settings::from_args(args.into_iter())?.unwrap();
    /// assert_eq!(target.addr.port(), 9);
    /// assert_eq!(back.rate(), Some(2.5));
    /// # Ok::<(), loadgen::Invalid>(())
    /// ```
    pub fn to_args(&self, url: &str) -> Vec<String> {
        let mut args = vec![
            format!("--url={url}"),
            format!("--connections={}", self.connections),
            format!("--window-ms={}", millis(self.window)),
            format!("--timeout-ms={}", millis(self.timeout)),
            format!("--drain-ms={}", millis(self.drain_value())),
            format!("--settle-limit-ms={}", millis(self.settle_limit)),
            format!("--ramp-batch={}", self.ramp_batch),
            format!("--ramp-pause-ms={}", millis(self.ramp_pause)),
        ];
        if let Some(rate) = self.rate {
            args.push(format!("--rate={rate}"));
        }
        args
    }

    /// Reads the generator's arguments (`--name value` or `--name=value`), checked as the
    /// methods above check them; `Ok(None)` for `--help`.
    pub fn from_args(
        args: impl Iterator<Item = String>,
    ) -> Result<Option<(Target, Settings)>, Invalid> {
        const KNOWN: [&str; 9] = [
            "url",
            "connections",
            "window-ms",
            "timeout-ms",
            "drain-ms",
            "settle-limit-ms",
            "ramp-batch",
            "ramp-pause-ms",
            "rate",
        ];
        let mut values: Vec<(String, String)> = Vec::new();
        let mut args = args.peekable();
        while let Some(arg) = args.next() {
            if arg == "--help" || arg == "-h" {
                return Ok(None);
            }
            let Some(name) = arg.strip_prefix("--") else {
                return Err(Invalid(format!(
                    "unexpected argument {arg:?}: every argument is named"
                )));
            };
            let (name, value) = match name.split_once('=') {
                Some((name, value)) => (name.to_string(), value.to_string()),
                None => {
                    let value = args
                        .next()
                        .ok_or_else(|| Invalid(format!("--{name} needs a value")))?;
                    (name.to_string(), value)
                }
            };
            if !KNOWN.contains(&name.as_str()) {
                return Err(Invalid(format!("unknown argument --{name}")));
            }
            if values.iter().any(|(n, _)| *n == name) {
                return Err(Invalid(format!("--{name} is given twice")));
            }
            values.push((name, value));
        }
        let get = |name: &str| {
            values
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        let number = |name: &str| -> Result<Option<u64>, Invalid> {
            get(name)
                .map(|raw| {
                    raw.parse::<u64>()
                        .map_err(|_| Invalid(format!("--{name} takes a whole number, not {raw:?}")))
                })
                .transpose()
        };
        let required =
            |name: &str| number(name)?.ok_or_else(|| Invalid(format!("--{name} is required")));
        let ms = |n: u64| Duration::from_millis(n);
        let target = check_url(get("url").ok_or_else(|| Invalid("--url is required".into()))?)?;
        let connections = usize::try_from(required("connections")?).unwrap_or(usize::MAX);
        let mut settings = Settings::new(connections, ms(required("window-ms")?))?;
        if let Some(t) = number("timeout-ms")? {
            settings = settings.timeout(ms(t))?;
        }
        if let Some(d) = number("drain-ms")? {
            settings = settings.drain(ms(d))?;
        }
        if let Some(s) = number("settle-limit-ms")? {
            settings = settings.settle_limit(ms(s))?;
        }
        let batch = number("ramp-batch")?.map_or(settings.ramp_batch, |b| {
            usize::try_from(b).unwrap_or(usize::MAX)
        });
        let pause = number("ramp-pause-ms")?.map_or(settings.ramp_pause, ms);
        settings = settings.ramp(batch, pause)?;
        if let Some(raw) = get("rate") {
            let rate = raw.parse::<f64>().map_err(|_| {
                Invalid(format!(
                    "--rate takes a number of requests per second, not {raw:?}"
                ))
            })?;
            settings = settings.open_loop(rate)?;
        }
        Ok(Some((target, settings)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Result<Option<(Target, Settings)>, Invalid> {
        Settings::from_args(line.split_whitespace().map(String::from))
    }

    #[test]
    fn arguments_are_checked() {
        let (target, settings) =
            args("--url http://127.0.0.1:8080/x --connections 3 --window-ms 100")
                .unwrap()
                .unwrap();
        assert_eq!(settings.connections(), 3);
        assert_eq!(settings.drain_value(), settings.timeout);
        assert_eq!(settings.ramp_batch, 500);
        assert!(settings.rate().is_none());
        assert_eq!(
            (target.host.as_str(), target.path.as_str()),
            ("127.0.0.1:8080", "/x")
        );
        for bad in [
            "--url http://10.0.0.1:80/ --connections 1 --window-ms 1",
            "--url http://127.0.0.2:80/ --connections 1 --window-ms 1",
            "--url https://127.0.0.1:80/ --connections 1 --window-ms 1",
            "--url http://localhost:80/ --connections 1 --window-ms 1",
            "--url http://127.0.0.1:80/ --connections 0 --window-ms 1",
            "--url http://127.0.0.1:80/ --connections 20001 --window-ms 1",
            "--url http://127.0.0.1:80/ --connections 1 --window-ms 0",
            "--url http://127.0.0.1:80/ --connections 1 --window-ms 60001",
            "--url http://127.0.0.1:80/ --connections 1 --window-ms 1 --rate 0",
            "--url http://127.0.0.1:80/ --connections 1 --window-ms 1 --rate NaN",
            "--url http://127.0.0.1:80/ --connections 1 --window-ms 1 --ramp-batch 0",
            "--url http://127.0.0.1:80/ --connections 1 --window-ms 1 --ramp-pause-ms 10001",
            "--url http://127.0.0.1:80/ --connections 1 --window-ms 1 --bogus 3",
            "--url http://127.0.0.1:80/ --connections 1 --window-ms 1 --window-ms 2",
            "--url http://127.0.0.1:80/ --connections 1",
            "--connections 1 --window-ms 1",
            "--url http://127.0.0.1:80/ --connections 1 --window-ms",
        ] {
            assert!(args(bad).is_err(), "{bad}");
        }
        assert!(
            args("--url=http://[::1]:80/ --connections=1 --window-ms=1 --rate=2.5")
                .unwrap()
                .is_some()
        );
        assert!(args("--help").unwrap().is_none());
    }

    #[test]
    fn settings_travel_through_the_arguments() {
        let settings = Settings::new(7, Duration::from_millis(1500))
            .unwrap()
            .timeout(Duration::from_millis(700))
            .unwrap()
            .drain(Duration::from_millis(300))
            .unwrap()
            .settle_limit(Duration::from_secs(3))
            .unwrap()
            .ramp(2, Duration::from_millis(5))
            .unwrap()
            .open_loop(12.5)
            .unwrap();
        let (_, back) = Settings::from_args(settings.to_args("http://127.0.0.1:1/").into_iter())
            .unwrap()
            .unwrap();
        assert_eq!(back, settings);
    }

    #[test]
    fn bad_settings_are_refused() {
        let second = Duration::from_secs(1);
        assert!(Settings::new(MAX_CONNECTIONS + 1, second).is_err());
        let s = Settings::new(1, second).unwrap();
        assert!(s.clone().timeout(Duration::ZERO).is_err());
        assert!(s.clone().timeout(Duration::from_secs(61)).is_err());
        assert!(s.clone().drain(Duration::from_secs(61)).is_err());
        assert!(s.clone().drain(Duration::ZERO).is_ok());
        assert!(s.clone().settle_limit(Duration::from_secs(61)).is_err());
        assert!(s.clone().ramp(0, Duration::ZERO).is_err());
        assert!(s.clone().ramp(10, Duration::from_secs(11)).is_err());
        for rate in [0.0, -1.0, f64::NAN, f64::INFINITY, MAX_RATE * 2.0] {
            assert!(s.clone().open_loop(rate).is_err(), "{rate}");
        }
    }
}
