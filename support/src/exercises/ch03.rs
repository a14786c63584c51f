//! Checkers for the exercises of chapter 03, "Threads". The work they hand to the learner's
//! function notes which thread ran it and how many ran at once, so a sequential answer is told
//! that it is not concurrent, and a pool that starts too many threads is told that too.

use super::{Check, attempt, judge};
use std::collections::HashSet;
use std::ops::Range;
use std::sync::{Condvar, Mutex};
use std::thread::{self, ThreadId};
use std::time::Duration;

const SOLUTIONS: &str = "support/src/solutions/ch03.rs";

/// How long a chunk waits for the others to start before deciding they run one after another.
const RENDEZVOUS: Duration = Duration::from_secs(2);

/// What the checker's work function saw.
#[derive(Default)]
pub(super) struct Seen {
    pub(super) threads: HashSet<ThreadId>,
    pub(super) arrived: usize,
    running: usize,
    peak: usize,
    calls: usize,
    pub(super) gave_up: bool,
}

/// The checker's work: note the thread, then wait (bounded) until `expected` calls are in flight.
pub(super) struct Rendezvous {
    pub(super) seen: Mutex<Seen>,
    all_here: Condvar,
    expected: usize,
}

impl Rendezvous {
    pub(super) fn new(expected: usize) -> Self {
        Rendezvous {
            seen: Mutex::new(Seen::default()),
            all_here: Condvar::new(),
            expected,
        }
    }

    pub(super) fn meet(&self) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.threads.insert(thread::current().id());
        seen.arrived += 1;
        self.all_here.notify_all();
        while seen.arrived < self.expected && !seen.gave_up {
            let (next, timeout) = self
                .all_here
                .wait_timeout(seen, RENDEZVOUS)
                .unwrap_or_else(|e| e.into_inner());
            seen = next;
            if timeout.timed_out() && seen.arrived < self.expected {
                // Do not make every later chunk wait as well.
                seen.gave_up = true;
                self.all_here.notify_all();
            }
        }
    }
}

/// A chunk's result that depends on the chunk, so results in the wrong order are caught.
fn chunk_value(chunk: &Range<u64>) -> f64 {
    chunk.clone().map(|x| (x % 7) as f64).sum::<f64>() + chunk.start as f64 * 0.5
}

/// Exercise 03.1: checks `run_chunks(chunks, work)`, which must run `work` on every chunk, each
/// on its own thread, all at the same time, and return the results in the order of `chunks`.
/// Each call of the checker's `work` waits until every chunk has started (at most 2 s), so
/// code that runs the chunks one after another is caught rather than timed.
///
/// ```
/// let check = support::exercises::ch03::check_run_chunks(support::solutions::ch03::run_chunks);
/// assert!(check.passed());
/// ```
pub fn check_run_chunks(
    run_chunks: impl Fn(Vec<Range<u64>>, &(dyn Fn(Range<u64>) -> f64 + Sync)) -> Vec<f64>,
) -> Check {
    let result = attempt(|| {
        for parts in [1u64, 2, 4, 6] {
            let chunks: Vec<Range<u64>> =
                (0..parts).map(|i| i * 1000..(i + 1) * 1000 - i).collect();
            let expected: Vec<f64> = chunks.iter().map(chunk_value).collect();
            let meeting = Rendezvous::new(chunks.len());
            let work = |chunk: Range<u64>| {
                meeting.meet();
                chunk_value(&chunk)
            };
            let got = run_chunks(chunks.clone(), &work);
            let seen = meeting.seen.into_inner().unwrap_or_else(|e| e.into_inner());
            if seen.gave_up {
                return Err(format!(
                    "with {parts} chunks, the first chunk waited {RENDEZVOUS:?} and the others had \
                     not started: start every thread before joining any"
                ));
            }
            if seen.arrived != chunks.len() {
                return Err(format!(
                    "with {parts} chunks, work was called {} times",
                    seen.arrived
                ));
            }
            if got != expected {
                return Err(format!(
                    "with {parts} chunks the results were {got:?}, expected {expected:?} \
                     (one per chunk, in the chunks' order)"
                ));
            }
            if seen.threads.len() != chunks.len() {
                return Err(format!(
                    "{parts} chunks ran on {} threads, expected one thread each",
                    seen.threads.len()
                ));
            }
        }
        Ok("1, 2, 4 and 6 chunks, all running at once, results in order".to_string())
    });
    judge("03.1 One thread per chunk", SOLUTIONS, result)
}

/// Exercise 03.2: checks `map_with_workers(inputs, workers, work)`, a small thread pool: it must
/// return `work(x)` for every input, in input order, using exactly `workers` threads that run
/// at the same time (never more). The checker's `work` takes 2 ms and counts threads and how
/// many calls were in flight at once.
///
/// ```
/// let check = support::exercises::ch03::check_map_with_workers(
///     support::solutions::ch03::map_with_workers);
/// assert!(check.passed());
/// ```
pub fn check_map_with_workers(
    map_with_workers: impl Fn(Vec<u64>, usize, &(dyn Fn(u64) -> u64 + Sync)) -> Vec<u64>,
) -> Check {
    let result = attempt(|| {
        for (count, workers) in [(0u64, 2usize), (40, 1), (40, 3), (60, 4)] {
            let inputs: Vec<u64> = (0..count).map(|i| i * 3 + 1).collect();
            let expected: Vec<u64> = inputs.iter().map(|x| x * x).collect();
            let seen = Mutex::new(Seen::default());
            let work = |x: u64| {
                {
                    let mut s = seen.lock().unwrap_or_else(|e| e.into_inner());
                    s.threads.insert(thread::current().id());
                    s.running += 1;
                    s.calls += 1;
                    s.peak = s.peak.max(s.running);
                }
                thread::sleep(Duration::from_millis(2));
                seen.lock().unwrap_or_else(|e| e.into_inner()).running -= 1;
                x * x
            };
            let got = map_with_workers(inputs.clone(), workers, &work);
            let seen = seen.into_inner().unwrap_or_else(|e| e.into_inner());
            let case = format!("{count} inputs on {workers} workers");
            if got != expected {
                return Err(format!(
                    "{case}: the results differ from work(x) in input order (first few: got {:?}, \
                     expected {:?})",
                    &got[..got.len().min(4)],
                    &expected[..expected.len().min(4)]
                ));
            }
            if seen.calls != inputs.len() {
                return Err(format!(
                    "{case}: work was called {} times, expected once per input",
                    seen.calls
                ));
            }
            if count == 0 {
                continue;
            }
            if seen.peak > workers {
                return Err(format!(
                    "{case}: {} calls ran at once; a pool of {workers} must never run more",
                    seen.peak
                ));
            }
            if seen.peak < workers {
                return Err(format!(
                    "{case}: at most {} calls ran at once; the {workers} workers should all be busy",
                    seen.peak
                ));
            }
            if seen.threads.len() != workers {
                return Err(format!(
                    "{case}: the work ran on {} different threads, expected {workers}",
                    seen.threads.len()
                ));
            }
        }
        Ok(
            "0, 40 and 60 inputs on 1 to 4 workers, in order, never more than the pool at once"
                .to_string(),
        )
    });
    judge("03.2 A small thread pool", SOLUTIONS, result)
}

#[cfg(test)]
mod tests {
    use super::super::Outcome;
    use super::*;
    use crate::solutions::ch03 as reference;

    #[test]
    fn todo_means_not_attempted() {
        assert_eq!(
            check_run_chunks(|_, _| todo!()).outcome,
            Outcome::NotAttempted
        );
        assert_eq!(
            check_map_with_workers(|_, _, _| todo!()).outcome,
            Outcome::NotAttempted
        );
    }

    #[test]
    fn reference_solutions_pass() {
        let check = check_run_chunks(reference::run_chunks);
        assert!(check.passed(), "{}", check.to_text());
        let check = check_map_with_workers(reference::map_with_workers);
        assert!(check.passed(), "{}", check.to_text());
    }

    #[test]
    fn chunks_run_in_turn_are_not_concurrent() {
        let check = check_run_chunks(|chunks, work| {
            chunks
                .into_iter()
                .map(|c| thread::scope(|s| s.spawn(|| work(c)).join().unwrap()))
                .collect()
        });
        assert!(
            matches!(&check.outcome, Outcome::Wrong(why) if why.contains("before joining")),
            "{}",
            check.to_text()
        );
    }

    #[test]
    fn results_out_of_order_are_wrong() {
        let check = check_run_chunks(|chunks, work| {
            let mut out = reference::run_chunks(chunks, work);
            out.reverse();
            out
        });
        assert!(matches!(&check.outcome, Outcome::Wrong(why) if why.contains("order")));
    }

    #[test]
    fn a_thread_per_input_is_too_many() {
        let check = check_map_with_workers(|inputs, _, work| {
            reference::run_chunks(inputs.iter().map(|&x| x..x + 1).collect(), &|r| {
                work(r.start) as f64
            })
            .into_iter()
            .map(|x| x as u64)
            .collect()
        });
        assert!(
            matches!(&check.outcome, Outcome::Wrong(why) if why.contains("never run more")),
            "{}",
            check.to_text()
        );
    }

    #[test]
    fn a_sequential_map_keeps_the_pool_idle() {
        let check =
            check_map_with_workers(|inputs, _, work| inputs.into_iter().map(work).collect());
        assert!(
            matches!(&check.outcome, Outcome::Wrong(why) if why.contains("should all be busy")),
            "{}",
            check.to_text()
        );
    }
}
