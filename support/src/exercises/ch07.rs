//! Checkers for the exercises of chapter 07, "extending async patterns". Each runs the
//! learner's async function on a fresh single-threaded event loop, beside a heartbeat task or
//! jobs that report what became of them.

use super::{Check, attempt, judge};
use crate::error::BoxError;
use crate::internet::FakeInternet;
use crate::rt::block_on;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const SOLUTIONS: &str = "support/src/solutions/ch07.rs";

/// The length of the page at `url`, fetched with a *blocking* call (the standard library's
/// `TcpStream`, like the course's `requests`): the thread that calls it waits for the page.
/// 0 if the page could not be fetched.
///
/// ```
/// let internet = support::internet::FakeInternet::start()?;
/// assert!(support::exercises::ch07::page_length(&internet.episode_url(174)) > 1000);
/// assert_eq!(support::exercises::ch07::page_length("http://127.0.0.1:1/"), 0);
/// # Ok::<(), support::Error>(())
/// ```
pub fn page_length(url: &str) -> usize {
    crate::titles::fetch(url).map_or(0, |page| page.len())
}

/// Exercise 07.1: checks `lengths_off_the_loop(urls)`, which must return the length of every
/// page (as [`page_length`] finds it), in order, fetching them all at once without blocking
/// the event loop; an error it returns (a task that panicked) is reported as wrong. Six pages take 200 ms each; a heartbeat task on the same single-threaded
/// loop ticks every 5 ms, and no gap between its ticks may pass 60 ms. The whole call must take
/// less than two pages' time.
///
/// ```
/// let check = support::exercises::ch07::check_lengths_off_the_loop(
///     support::solutions::ch07::lengths_off_the_loop);
/// assert!(check.passed());
/// ```
pub fn check_lengths_off_the_loop<F, Fut>(lengths_off_the_loop: F) -> Check
where
    F: Fn(Vec<String>) -> Fut,
    Fut: Future<Output = Result<Vec<usize>, BoxError>>,
{
    let latency = Duration::from_millis(200);
    let result = attempt(|| {
        let web = FakeInternet::builder()
            .latency(latency)
            .start()
            .map_err(|e| e.to_string())?;
        let episodes = [92u32, 174, 375, 376, 377, 378];
        let urls: Vec<String> = episodes.iter().map(|&n| web.episode_url(n)).collect();
        let expected: Vec<usize> = episodes
            .iter()
            .map(|&n| crate::internet::episode_page(n).len())
            .collect();
        let started = Instant::now();
        let (lengths, longest_gap) = block_on(async {
            let beats = Arc::new(std::sync::Mutex::new(vec![Instant::now()]));
            let heartbeat = tokio::spawn({
                let beats = Arc::clone(&beats);
                async move {
                    loop {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        if let Ok(mut beats) = beats.lock() {
                            beats.push(Instant::now());
                        }
                    }
                }
            });
            let lengths = lengths_off_the_loop(urls).await;
            heartbeat.abort();
            let mut beats = beats.lock().map(|b| b.clone()).unwrap_or_default();
            beats.push(Instant::now());
            let gap = beats
                .windows(2)
                .map(|w| w[1] - w[0])
                .max()
                .unwrap_or_default();
            (lengths, gap)
        })
        .map_err(|e| e.to_string())?;
        let took = started.elapsed();
        let lengths = lengths.map_err(|e| format!("lengths_off_the_loop failed: {e}"))?;
        if lengths != expected {
            return Err(format!("got lengths {lengths:?}, expected {expected:?}"));
        }
        if longest_gap > Duration::from_millis(60) {
            return Err(format!(
                "the lengths are right, but the event loop was blocked for {:.0} ms at a \
                 stretch: a blocking call made inside async code holds the loop's only \
                 thread (hint: tokio::task::spawn_blocking)",
                longest_gap.as_secs_f64() * 1000.0
            ));
        }
        if took >= 2 * latency {
            return Err(format!(
                "the loop stayed free, but six pages of 200 ms took {:.2} s: start every \
                 fetch before awaiting any",
                took.as_secs_f64()
            ));
        }
        Ok(format!(
            "six 200 ms pages in {:.2} s, the event loop never blocked for more than {:.0} ms",
            took.as_secs_f64(),
            longest_gap.as_secs_f64() * 1000.0
        ))
    });
    judge("07.1 blocking calls off the event loop", SOLUTIONS, result)
}

/// One job for exercise 07.2: a future, boxed so jobs of different shapes fit in one `Vec`,
/// that gives a number or fails with a message.
pub type Job = Pin<Box<dyn Future<Output = Result<u32, String>> + Send + 'static>>;

/// Counts what becomes of the checker's jobs: started, finished, and dropped before finishing
/// (cancelled).
#[derive(Default)]
struct Fates {
    started: AtomicUsize,
    finished: AtomicUsize,
    dropped_early: AtomicUsize,
}

/// Notes a job's end when dropped: finished if `done` was set, cancelled otherwise.
struct Fate {
    fates: Arc<Fates>,
    done: bool,
}

impl Drop for Fate {
    fn drop(&mut self) {
        let counter = if self.done {
            &self.fates.finished
        } else {
            &self.fates.dropped_early
        };
        counter.fetch_add(1, Ordering::SeqCst);
    }
}

fn job(fates: &Arc<Fates>, after: Duration, answer: Result<u32, String>) -> Job {
    let fates = Arc::clone(fates);
    Box::pin(async move {
        fates.started.fetch_add(1, Ordering::SeqCst);
        let mut fate = Fate {
            fates: Arc::clone(&fates),
            done: false,
        };
        tokio::time::sleep(after).await;
        fate.done = true;
        answer
    })
}

/// Exercise 07.2: checks `gather(jobs)`, which must run every job at once and return their
/// answers in the order given, or, as soon as one fails, that job's error, cancelling the jobs
/// still running (a nursery's "first error cancels the rest"). Five jobs of 50–250 ms must give
/// their answers in order in under 0.4 s; then, of four jobs where the second fails at 100 ms
/// and the others take 1 s, the error must come back in under 0.4 s, with the three others
/// cancelled, not left running.
///
/// ```
/// let check = support::exercises::ch07::check_gather(support::solutions::ch07::gather);
/// assert!(check.passed());
/// ```
pub fn check_gather<F, Fut>(gather: F) -> Check
where
    F: Fn(Vec<Job>) -> Fut,
    Fut: Future<Output = Result<Vec<u32>, String>>,
{
    let result = attempt(|| {
        let fates = Arc::new(Fates::default());
        let ms = Duration::from_millis;
        let answers = [7u32, 3, 9, 1, 5];
        let jobs: Vec<Job> = answers
            .iter()
            .zip([250, 50, 150, 100, 200])
            .map(|(&a, t)| job(&fates, ms(t), Ok(a)))
            .collect();
        let started = Instant::now();
        let got = block_on(gather(jobs)).map_err(|e| e.to_string())?;
        let all_took = started.elapsed();
        if got != Ok(answers.to_vec()) {
            return Err(format!(
                "five jobs that all succeed gave {got:?}, expected Ok({answers:?})"
            ));
        }
        if all_took >= ms(400) {
            return Err(format!(
                "the answers are right, but jobs of 50–250 ms took {:.2} s together: run \
                 them at once (hint: tokio::task::JoinSet)",
                all_took.as_secs_f64()
            ));
        }

        let fates = Arc::new(Fates::default());
        let failing = "job 2 failed: the service said no".to_string();
        let jobs: Vec<Job> = vec![
            job(&fates, ms(1000), Ok(1)),
            job(&fates, ms(100), Err(failing.clone())),
            job(&fates, ms(1000), Ok(3)),
            job(&fates, ms(1000), Ok(4)),
        ];
        let started = Instant::now();
        let (got, took, left) = block_on(async {
            let got = gather(jobs).await;
            let took = started.elapsed();
            // Give cancelled tasks a moment to be dropped by the runtime.
            tokio::time::sleep(ms(20)).await;
            let left = fates.started.load(Ordering::SeqCst)
                - fates.finished.load(Ordering::SeqCst)
                - fates.dropped_early.load(Ordering::SeqCst);
            (got, took, left)
        })
        .map_err(|e| e.to_string())?;
        if got != Err(failing.clone()) {
            return Err(format!(
                "when job 2 fails, gather gave {got:?}, expected Err({failing:?})"
            ));
        }
        if took >= ms(400) {
            return Err(format!(
                "the error is right, but it came back after {:.2} s: return it as soon as it \
                 happens, instead of waiting for the other jobs",
                took.as_secs_f64()
            ));
        }
        let cancelled = fates.dropped_early.load(Ordering::SeqCst);
        if left > 0 || cancelled < 3 {
            return Err(format!(
                "the error came back in time, but {left} job(s) were still running after \
                 gather returned ({cancelled} cancelled): cancel the rest (dropping a \
                 JoinSet aborts its tasks; a task from tokio::spawn keeps running)"
            ));
        }
        Ok(format!(
            "five answers in order in {:.2} s; the error in {:.2} s with the other three jobs \
             cancelled",
            all_took.as_secs_f64(),
            took.as_secs_f64()
        ))
    });
    judge("07.2 all or nothing", SOLUTIONS, result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exercises::Outcome;

    #[test]
    fn todo_means_not_attempted() {
        let check = check_lengths_off_the_loop(|_| async { todo!() });
        assert_eq!(check.outcome, Outcome::NotAttempted);
        let check = check_gather(|_| async { todo!() });
        assert_eq!(check.outcome, Outcome::NotAttempted);
    }

    #[test]
    fn blocking_the_loop_is_caught() {
        let blocking = |urls: Vec<String>| async move {
            Ok(urls.iter().map(|u| page_length(u)).collect::<Vec<_>>())
        };
        let check = check_lengths_off_the_loop(blocking);
        assert!(
            matches!(&check.outcome, Outcome::Wrong(why) if why.contains("spawn_blocking")),
            "{check:?}"
        );
    }

    #[test]
    fn one_at_a_time_is_caught() {
        let in_turn = |urls: Vec<String>| async move {
            let mut lengths = Vec::new();
            for url in urls {
                lengths.push(tokio::task::spawn_blocking(move || page_length(&url)).await?);
            }
            Ok(lengths)
        };
        let check = check_lengths_off_the_loop(in_turn);
        assert!(
            matches!(&check.outcome, Outcome::Wrong(why) if why.contains("before awaiting")),
            "{check:?}"
        );
    }

    #[test]
    fn an_error_is_reported() {
        let failing = |_urls: Vec<String>| async move {
            let task = tokio::task::spawn_blocking(|| -> usize { panic!("a fetch went wrong") });
            Ok(vec![task.await?])
        };
        let check = check_lengths_off_the_loop(failing);
        assert!(
            matches!(&check.outcome, Outcome::Wrong(why) if why.contains("failed")),
            "{check:?}"
        );
    }

    #[test]
    fn leaving_jobs_running_is_caught() {
        // Spawned tasks are awaited in order: the error comes back only when earlier jobs end,
        // and the tasks after it keep running.
        let leaky = |jobs: Vec<Job>| async move {
            let tasks: Vec<_> = jobs.into_iter().map(tokio::spawn).collect();
            let mut answers = Vec::new();
            for task in tasks {
                answers.push(task.await.map_err(|e| e.to_string())??);
            }
            Ok(answers)
        };
        let check = check_gather(leaky);
        assert!(matches!(check.outcome, Outcome::Wrong(_)), "{check:?}");
        let detached = |jobs: Vec<Job>| async move {
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            let n = jobs.len();
            for (i, job) in jobs.into_iter().enumerate() {
                let tx = tx.clone();
                tokio::spawn(async move {
                    let _ = tx.send((i, job.await));
                });
            }
            let mut answers = vec![0; n];
            for _ in 0..n {
                let Some((i, answer)) = rx.recv().await else {
                    break;
                };
                answers[i] = answer?;
            }
            Ok(answers)
        };
        let check = check_gather(detached);
        assert!(
            matches!(&check.outcome, Outcome::Wrong(why) if why.contains("still running")),
            "{check:?}"
        );
    }
}
