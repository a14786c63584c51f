//! Checkers for the exercises of chapter 11, "async Rust at work": a retry with exponential
//! backoff and a bounded number of calls in progress, both checked on a paused clock (so the
//! checks are exact and take no real time).

use super::{Check, attempt, judge};
use crate::error::Error;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SOLUTIONS: &str = "support/src/solutions/ch11.rs";

/// A runtime on one thread whose clock is paused, as `#[tokio::test(start_paused = true)]`
/// builds one.
fn paused() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .map_err(|e| Error::System(format!("could not build a tokio runtime: {e}")).to_string())
}

/// The answer of a [`Flaky`] service that is still busy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

impl std::fmt::Display for Busy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the service is busy")
    }
}

impl std::error::Error for Busy {}

/// The service of exercise 11.1: busy (it answers `Err(Busy)`) for its first calls, then it
/// answers `Ok(42)`. Clones share one record of when each call was made, on tokio's clock.
///
/// ```
/// use support::exercises::ch11::{Busy, Flaky};
/// let service = Flaky::busy_for(1);
/// let answers = support::rt::block_on(async {
///     (service.call().await, service.call().await)
/// })?;
/// assert_eq!(answers, (Err(Busy), Ok(42)));
/// assert_eq!(service.calls(), 2);
/// # Ok::<(), support::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Flaky {
    busy_for: usize,
    calls: Arc<Mutex<Vec<tokio::time::Instant>>>,
}

impl Flaky {
    /// A service that is busy for its first `calls` calls.
    pub fn busy_for(calls: usize) -> Flaky {
        Flaky {
            busy_for: calls,
            calls: Arc::default(),
        }
    }

    /// Calls the service: `Err(Busy)` while it is busy, then `Ok(42)`. The call itself takes no
    /// time.
    pub async fn call(&self) -> Result<u32, Busy> {
        let mut calls = self.calls.lock().unwrap_or_else(|p| p.into_inner());
        calls.push(tokio::time::Instant::now());
        if calls.len() <= self.busy_for {
            Err(Busy)
        } else {
            Ok(42)
        }
    }

    /// How many calls were made.
    pub fn calls(&self) -> usize {
        self.calls.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// When each call was made, in ms after `start` (on tokio's clock).
    fn call_times(&self, start: tokio::time::Instant) -> Vec<u64> {
        self.calls
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|t| t.duration_since(start).as_millis() as u64)
            .collect()
    }
}

/// Exercise 11.1: checks `call_with_retries(service)`, which must call `service.call().await`
/// until it answers `Ok`, at most 6 times, waiting 100 ms after the first failure and twice as
/// long after each next one, and return the last answer. Services busy for 0 to 7 calls, on a
/// paused clock: the calls must come at 0, 100, 300, 700, 1,500 and 3,100 ms, stop at the first
/// `Ok`, and the answer must be the service's last.
///
/// ```
/// let check = support::exercises::ch11::check_call_with_retries(support::solutions::ch11::call_with_retries);
/// assert!(check.passed(), "{check:?}");
/// ```
pub fn check_call_with_retries<F, Fut>(call_with_retries: F) -> Check
where
    F: Fn(Flaky) -> Fut,
    Fut: Future<Output = Result<u32, Busy>>,
{
    const SCHEDULE: [u64; 6] = [0, 100, 300, 700, 1_500, 3_100];
    let result = attempt(|| {
        for busy in 0..=7usize {
            let service = Flaky::busy_for(busy);
            let (answer, start) = paused()?.block_on(async {
                let start = tokio::time::Instant::now();
                (call_with_retries(service.clone()).await, start)
            });
            let times = service.call_times(start);
            let calls = (busy + 1).min(6);
            let expected_answer = if busy < 6 { Ok(42) } else { Err(Busy) };
            if times != SCHEDULE[..calls] {
                return Err(format!(
                    "a service busy for {busy} calls was called at {times:?} ms; expected \
                     {:?} ms (a pause of 100 ms after the first failure, doubling, and no \
                     more than 6 calls)",
                    &SCHEDULE[..calls]
                ));
            }
            if answer != expected_answer {
                return Err(format!(
                    "a service busy for {busy} calls: returned {answer:?}, expected \
                     {expected_answer:?} (the last answer)"
                ));
            }
        }
        Ok(
            "services busy for 0 to 7 calls, each call at its time on a paused clock: \
            0, 100, 300, 700, 1,500, 3,100 ms"
                .to_string(),
        )
    });
    judge("11.1 a retry with backoff", SOLUTIONS, result)
}

/// The service of exercise 11.2: `call(job)` takes `job` milliseconds and answers `job * 3`.
/// Clones share a count of the calls in progress and the most there ever were at once.
///
/// ```
/// use support::exercises::ch11::Limited;
/// let service = Limited::default();
/// let answer = support::rt::block_on(service.call(2))?;
/// assert_eq!((answer, service.peak()), (6, 1));
/// # Ok::<(), support::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Limited {
    counts: Arc<Mutex<InFlight>>,
}

#[derive(Debug, Default)]
struct InFlight {
    now: usize,
    peak: usize,
}

/// Counts a call out again when it ends, even if its future is dropped half-way.
struct Leaving(Arc<Mutex<InFlight>>);

impl Drop for Leaving {
    fn drop(&mut self) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).now -= 1;
    }
}

impl Limited {
    /// Calls the service: takes `job` ms (a tokio sleep) and answers `job * 3`.
    pub async fn call(&self, job: u64) -> u64 {
        {
            let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
            counts.now += 1;
            counts.peak = counts.peak.max(counts.now);
        }
        let _leaving = Leaving(Arc::clone(&self.counts));
        tokio::time::sleep(Duration::from_millis(job)).await;
        job * 3
    }

    /// The most calls that were in progress at the same moment.
    pub fn peak(&self) -> usize {
        self.counts.lock().unwrap_or_else(|p| p.into_inner()).peak
    }
}

/// The jobs of exercise 11.2: 40 jobs of 10 to 60 ms, the same every time.
fn jobs() -> Vec<u64> {
    use rand::{RngExt, SeedableRng, rngs::StdRng};
    let mut rng = StdRng::seed_from_u64(112);
    (0..40).map(|_| rng.random_range(10..=60u64)).collect()
}

/// Exercise 11.2: checks `call_bounded(service, jobs, limit)`, which must return
/// `service.call(job).await` for every job, in the order of `jobs`, with at most `limit` calls
/// in progress at once. 40 jobs of 10–60 ms with limits 1, 3 and 8, on a paused clock: the
/// answers must be in order, the most calls at once must be exactly `limit`, and the total time
/// at most twice the least the bound allows (the longer of the longest job and the jobs' sum
/// divided by `limit`), which one call at a time exceeds.
///
/// ```
/// let check = support::exercises::ch11::check_call_bounded(support::solutions::ch11::call_bounded);
/// assert!(check.passed(), "{check:?}");
/// ```
pub fn check_call_bounded<F, Fut>(call_bounded: F) -> Check
where
    F: Fn(Limited, Vec<u64>, usize) -> Fut,
    Fut: Future<Output = Vec<u64>>,
{
    let result = attempt(|| {
        let jobs = jobs();
        let expected: Vec<u64> = jobs.iter().map(|job| job * 3).collect();
        let sum: u64 = jobs.iter().sum();
        let longest = jobs.iter().copied().max().unwrap_or(0);
        for limit in [1usize, 3, 8] {
            let service = Limited::default();
            let (answers, took) = paused()?.block_on(async {
                let start = tokio::time::Instant::now();
                let answers = call_bounded(service.clone(), jobs.clone(), limit).await;
                (answers, start.elapsed())
            });
            if answers != expected {
                return Err(format!(
                    "with limit {limit}: the answers {}, expected each job's answer in the \
                     order of the jobs",
                    if answers.len() == expected.len() {
                        "came in another order or were wrong".to_string()
                    } else {
                        format!("were {} for {} jobs", answers.len(), jobs.len())
                    }
                ));
            }
            let peak = service.peak();
            if peak > limit {
                return Err(format!(
                    "with limit {limit}: {peak} calls were in progress at once (a permit \
                     dropped too early? `let _ = …` drops at once, `let _permit = …` keeps it)"
                ));
            }
            if peak < limit {
                return Err(format!(
                    "with limit {limit}: at most {peak} calls were ever in progress at once; \
                     the bound allows {limit}"
                ));
            }
            let least = Duration::from_millis(longest.max(sum.div_ceil(limit as u64)));
            if took > 2 * least {
                return Err(format!(
                    "with limit {limit}: the calls took {took:?} on the paused clock, more than \
                     twice the least the bound allows ({least:?}): start a new call as soon as \
                     one ends"
                ));
            }
        }
        Ok(format!(
            "{} jobs with limits 1, 3 and 8: answers in order, exactly the limit in progress \
             at the busiest moment, within twice the least time",
            jobs.len()
        ))
    });
    judge("11.2 at most limit at once", SOLUTIONS, result)
}
