//! Recording what ran where and when, as spans on lanes, for timeline charts.
//!
//! A [`Recorder`] is a cheap handle (an `Arc`) that threads and async tasks clone and write to.
//! It keeps no global state: evcxr compiles each cell into its own library with its own copy of
//! every `static`, so state that must outlive a cell lives in a variable the notebook holds.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// One interval of work: what it was (`label`), where it ran (`lane`), and when, in seconds since
/// the recorder was created.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    /// The row of the timeline: a thread, a task or a request.
    pub lane: String,
    /// The kind of work, which picks the colour: "cpu", "db wait", "produce" …
    pub label: String,
    /// Start, in seconds since the recorder's origin.
    pub start: f64,
    /// End, in seconds since the recorder's origin (never before `start`).
    pub end: f64,
}

impl Span {
    /// How long the span lasted, in seconds.
    pub fn duration(&self) -> f64 {
        self.end - self.start
    }
}

/// A thread-safe collector of [`Span`]s that share one time origin.
///
/// ```
/// use support::record::Recorder;
/// let rec = Recorder::new();
/// let answer = rec.time("main", "think", || 6 * 7);
/// {
///     let _guard = rec.span("main", "wait"); // recorded when the guard drops
///     std::thread::sleep(std::time::Duration::from_millis(5));
/// }
/// let spans = rec.spans();
/// assert_eq!(answer, 42);
/// assert_eq!(spans.len(), 2);
/// assert!(spans[1].duration() >= 0.005);
/// ```
#[derive(Debug, Clone)]
pub struct Recorder {
    origin: Instant,
    spans: Arc<Mutex<Vec<Span>>>,
}

impl Default for Recorder {
    fn default() -> Self {
        Self::new()
    }
}

impl Recorder {
    /// A recorder whose time origin is now.
    pub fn new() -> Self {
        Recorder {
            origin: Instant::now(),
            spans: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// The instant all spans are measured from.
    pub fn origin(&self) -> Instant {
        self.origin
    }

    /// Time since the origin.
    pub fn elapsed(&self) -> Duration {
        self.origin.elapsed()
    }

    /// Records a span from two instants. An instant before the origin counts as the origin, and an
    /// `end` before `start` is recorded as an empty span at `start`.
    pub fn record(
        &self,
        lane: impl Into<String>,
        label: impl Into<String>,
        start: Instant,
        end: Instant,
    ) {
        let start = start.saturating_duration_since(self.origin).as_secs_f64();
        let end = end
            .saturating_duration_since(self.origin)
            .as_secs_f64()
            .max(start);
        let span = Span {
            lane: lane.into(),
            label: label.into(),
            start,
            end,
        };
        // A panic elsewhere while holding the lock cannot leave a half-written Vec behind
        // (push is the only mutation), so a poisoned lock is safe to keep using.
        self.spans
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(span);
    }

    /// Runs `work` and records how long it took.
    pub fn time<T>(
        &self,
        lane: impl Into<String>,
        label: impl Into<String>,
        work: impl FnOnce() -> T,
    ) -> T {
        let start = Instant::now();
        let value = work();
        self.record(lane, label, start, Instant::now());
        value
    }

    /// Starts a span that ends when the returned guard is dropped. The guard is `Send`, so it can
    /// be held across an `.await`.
    pub fn span(&self, lane: impl Into<String>, label: impl Into<String>) -> SpanGuard {
        SpanGuard {
            recorder: self.clone(),
            lane: lane.into(),
            label: label.into(),
            start: Instant::now(),
        }
    }

    /// A copy of every span recorded so far, sorted by start time.
    pub fn spans(&self) -> Vec<Span> {
        let mut spans = self
            .spans
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        spans.sort_by(|a, b| a.start.total_cmp(&b.start));
        spans
    }
}

/// Records a span from its creation to its drop; made by [`Recorder::span`].
#[derive(Debug)]
#[must_use = "the span ends when the guard is dropped; bind it with `let _guard = …`"]
pub struct SpanGuard {
    recorder: Recorder,
    lane: String,
    label: String,
    start: Instant,
}

impl Drop for SpanGuard {
    fn drop(&mut self) {
        let lane = std::mem::take(&mut self.lane);
        let label = std::mem::take(&mut self.label);
        self.recorder
            .record(lane, label, self.start, Instant::now());
    }
}

/// The time from the first span's start to the last span's end, per lane, in first-seen order:
/// for requests that all arrive at time zero this is each request's response time.
///
/// ```
/// use support::record::{lane_extents, Span};
/// let s = |lane: &str, start, end| Span { lane: lane.into(), label: "x".into(), start, end };
/// let lanes = lane_extents(&[s("a", 0.0, 1.0), s("b", 0.5, 2.0), s("a", 1.5, 3.0)]);
/// assert_eq!(lanes, vec![("a".to_string(), 0.0, 3.0), ("b".to_string(), 0.5, 2.0)]);
/// ```
pub fn lane_extents(spans: &[Span]) -> Vec<(String, f64, f64)> {
    let mut lanes: Vec<(String, f64, f64)> = Vec::new();
    for span in spans {
        match lanes.iter_mut().find(|(lane, _, _)| *lane == span.lane) {
            Some(entry) => {
                entry.1 = entry.1.min(span.start);
                entry.2 = entry.2.max(span.end);
            }
            None => lanes.push((span.lane.clone(), span.start, span.end)),
        }
    }
    lanes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_from_many_threads_are_all_kept() {
        let rec = Recorder::new();
        std::thread::scope(|s| {
            for t in 0..4 {
                let rec = rec.clone();
                s.spawn(move || {
                    for _ in 0..100 {
                        rec.time(format!("t{t}"), "work", || ());
                    }
                });
            }
        });
        assert_eq!(rec.spans().len(), 400);
    }

    #[test]
    fn end_before_start_is_clamped() {
        let rec = Recorder::new();
        let later = Instant::now() + Duration::from_millis(10);
        rec.record("a", "b", later, rec.origin());
        let span = &rec.spans()[0];
        assert_eq!(span.start, span.end);
    }

    #[test]
    fn guard_records_on_drop_across_threads() {
        let rec = Recorder::new();
        let guard = rec.span("lane", "moved");
        std::thread::spawn(move || drop(guard)).join().unwrap();
        assert_eq!(rec.spans()[0].label, "moved");
    }
}
