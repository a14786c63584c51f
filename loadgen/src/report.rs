//! What a load test measured: written by the generator as JSON, read by `support::load` into
//! this same type.

use serde::{Deserialize, Serialize};

/// What a load test measured. Times are in seconds; "the window" is the measuring window.
/// (`Default` is an empty report, for examples.)
///
/// The latency sample is every request sent (closed loop) or due (open loop) inside the
/// window. Those answered by the end of the drain give [`Report::latencies`]; those still
/// unanswered are **not** dropped: the time they had waited when the drain ended is a lower
/// bound of their latency ([`Report::unfinished_lower_bounds`]), and the percentiles take them
/// into account ([`Report::percentile`], [`Report::is_lower_bound`], [`Report::show`]).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Report {
    /// How many connections the generator opened.
    pub connections: usize,
    /// The open loop's rate (requests per second), or `None` for a closed loop.
    pub open_loop_rate: Option<f64>,
    /// From the generator's start until every connection's first connect attempt had finished
    /// (the end of the run if some never did).
    pub ramp_secs: f64,
    /// From the generator's start until the window opened.
    pub settle_secs: f64,
    /// Connections still waiting for their first answer when the window opened (it opened at
    /// the settle limit if this is not 0).
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
    /// The latency of every sampled request that was answered by the end of the drain, sorted
    /// (closed loop: from when it was sent; open loop: from when it was due).
    pub latencies: Vec<f64>,
    /// How long each sampled request still unanswered when the drain ended had waited then,
    /// sorted: lower bounds of their latencies.
    pub unfinished_lower_bounds: Vec<f64>,
    /// The timeout: a request slower than this counts as a timeout (it is still waited for).
    pub timeout_secs: f64,
    /// Sampled requests whose latency, or lower bound, is over the timeout.
    pub timeouts: usize,
    /// Answers inside the window whose status was not 2xx.
    pub non_2xx: usize,
    /// Failed connects and broken connections over the whole run. A request whose connection
    /// broke is counted here and not in the latency sample.
    pub errors: usize,
    /// The first error seen, to say what went wrong.
    pub first_error: Option<String>,
    /// Open loop: sampled requests sent more than 10 ms after they were due (their connection
    /// was still waiting for an earlier answer). Always 0 in a closed loop.
    pub late_sends: usize,
    /// CPU time (user + system) the generator's process used.
    pub generator_cpu_secs: f64,
    /// How long the generator's process ran.
    pub generator_wall_secs: f64,
    /// The generator's open-file limit after it raised it (its soft limit, now its hard one).
    pub fd_limit: u64,
    /// CPU time the process that started the generator (where the app under test runs) used
    /// meanwhile. Measured by that process (`support::load`), not written by the generator.
    #[serde(default, skip_serializing)]
    pub app_cpu_secs: f64,
    /// Wall time from just before the generator started until it had exited, measured with
    /// [`Report::app_cpu_secs`].
    #[serde(default, skip_serializing)]
    pub app_wall_secs: f64,
}

fn ratio(cpu: f64, wall: f64) -> f64 {
    if wall > 0.0 { cpu / wall } else { 0.0 }
}

impl Report {
    /// The whole latency sample, sorted, each value with whether it is a lower bound; on a tie
    /// the exact value comes first.
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

    /// Sampled requests still unanswered when the drain ended.
    pub fn unfinished(&self) -> usize {
        self.unfinished_lower_bounds.len()
    }

    /// How many requests are in the latency sample: answered plus unfinished.
    pub fn sampled(&self) -> usize {
        self.latencies.len() + self.unfinished_lower_bounds.len()
    }

    /// The latency below which a fraction `q` (0 to 1; clamped, NaN counts as 0.5) of the
    /// sampled requests were answered, in seconds; 0 if the sample is empty. Unfinished requests
    /// take part with their lower bounds, so the value is itself a lower bound when
    /// [`Report::is_lower_bound`] says so.
    pub fn percentile(&self, q: f64) -> f64 {
        let all = self.merged();
        if all.is_empty() {
            return 0.0;
        }
        all[Self::rank(all.len(), q)].0
    }

    /// Whether [`Report::percentile`]`(q)` is only a lower bound: true when an unfinished
    /// request sits at or below that rank of the sample. Its true latency is at least its
    /// bound, so it may belong higher up, and the true percentile is then *at least* the value
    /// shown. When every request up to that rank was answered, the value is exact: unfinished
    /// requests above it can only move further up.
    pub fn is_lower_bound(&self, q: f64) -> bool {
        let all = self.merged();
        if all.is_empty() {
            return false;
        }
        all[..=Self::rank(all.len(), q)].iter().any(|&(_, lb)| lb)
    }

    /// The median latency (s); see [`Report::percentile`].
    pub fn p50(&self) -> f64 {
        self.percentile(0.5)
    }

    /// The 99th-percentile latency (s); see [`Report::percentile`].
    pub fn p99(&self) -> f64 {
        self.percentile(0.99)
    }

    /// The mean latency of the whole sample (s), unfinished requests counted with their lower
    /// bounds, so it is a lower bound itself when [`Report::unfinished`] is not 0; 0 if the
    /// sample is empty.
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
    /// let mut report = loadgen::Report::default();
    /// report.latencies = vec![0.1, 0.2, 0.3];
    /// report.unfinished_lower_bounds = vec![4.21];
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

    /// The mean for a table, `"≥ "` in front when unfinished requests make it a lower bound.
    pub fn show_mean(&self) -> String {
        let bound = if self.unfinished() > 0 { "≥ " } else { "" };
        format!("{bound}{:.3} s", self.mean())
    }

    /// How many cores the generator kept busy on average: its CPU time over its wall time (at
    /// most about 1: it runs on one thread).
    pub fn generator_cores(&self) -> f64 {
        ratio(self.generator_cpu_secs, self.generator_wall_secs)
    }

    /// How many cores the process that started the generator (the app under test) kept busy on
    /// average while the generator ran: its CPU time over that wall time.
    pub fn app_cores(&self) -> f64 {
        ratio(self.app_cpu_secs, self.app_wall_secs)
    }

    /// One line: connections, throughput, p50 and p99, unfinished requests, errors, and the
    /// cores each process kept busy.
    ///
    /// ```
    /// let mut report = loadgen::Report::default();
    /// report.connections = 20;
    /// report.per_second = 21.0;
    /// report.latencies = vec![0.9, 1.0];
    /// assert!(report.summary().starts_with("20 connections: 21.0 req/s, p50 1.000 s"));
    /// ```
    pub fn summary(&self) -> String {
        format!(
            "{} connections: {:.1} req/s, p50 {}, p99 {}, {} unfinished, {} errors, \
             cores app {:.2} / generator {:.2}",
            self.connections,
            self.per_second,
            self.show(0.5),
            self.show(0.99),
            self.unfinished(),
            self.errors,
            self.app_cores(),
            self.generator_cores()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_count_unfinished_requests_as_lower_bounds() {
        let mut report = Report::default();
        assert_eq!(report.percentile(0.5), 0.0);
        assert!(!report.is_lower_bound(0.5));
        assert_eq!(report.mean(), 0.0);
        report.latencies = vec![0.1, 0.2, 0.3, 0.4];
        report.unfinished_lower_bounds = vec![0.25, 5.0];
        assert_eq!((report.sampled(), report.unfinished()), (6, 2));
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
        assert!(report.show_mean().starts_with("≥ "));
        report.generator_cpu_secs = 1.0;
        report.generator_wall_secs = 4.0;
        assert_eq!(report.generator_cores(), 0.25);
        assert_eq!(report.app_cores(), 0.0);
    }

    #[test]
    fn the_report_travels_as_json_without_the_app_figures() {
        let report = Report {
            connections: 3,
            open_loop_rate: Some(2.5),
            latencies: vec![0.5, 0.25],
            first_error: Some("connect: \"refused\"\n".into()),
            app_cpu_secs: 7.0,
            ..Report::default()
        };
        let json = serde_json::to_string(&report).unwrap();
        assert!(!json.contains("app_cpu_secs"), "{json}");
        let back: Report = serde_json::from_str(&json).unwrap();
        assert_eq!(
            back,
            Report {
                app_cpu_secs: 0.0,
                ..report
            }
        );
    }
}
