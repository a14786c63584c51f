//! Solutions to the exercises of chapter 07, "extending async patterns".

use crate::error::BoxError;
use crate::exercises::ch07::{Job, page_length};
use tokio::task::JoinSet;

// ANCHOR: lengths_off_the_loop
/// Exercise 07.1: the lengths of `urls` (in the order given), each fetched with the *blocking*
/// [`page_length`], all at once, without ever blocking the event loop. Every call goes to
/// tokio's blocking-thread pool with `spawn_blocking`; all are started before any is awaited.
/// A task that panicked is an error (its `JoinError`), not a length of 0.
pub async fn lengths_off_the_loop(urls: Vec<String>) -> Result<Vec<usize>, BoxError> {
    let tasks: Vec<_> = urls
        .into_iter()
        .map(|url| tokio::task::spawn_blocking(move || page_length(&url)))
        .collect();
    let mut lengths = Vec::with_capacity(tasks.len());
    for task in tasks {
        lengths.push(task.await?);
    }
    Ok(lengths)
}
// ANCHOR_END: lengths_off_the_loop

// ANCHOR: gather
/// Exercise 07.2: runs every job at once and returns their answers in the order given, or the
/// first error to happen, at once; the jobs still running are then cancelled, because
/// returning drops the `JoinSet`, and dropping a `JoinSet` aborts its tasks.
pub async fn gather(jobs: Vec<Job>) -> Result<Vec<u32>, String> {
    let mut set = JoinSet::new();
    for (i, job) in jobs.into_iter().enumerate() {
        set.spawn(async move { (i, job.await) });
    }
    let mut answers = vec![0; set.len()];
    while let Some(joined) = set.join_next().await {
        let (i, answer) = joined.map_err(|e| format!("a job panicked or was cancelled: {e}"))?;
        answers[i] = answer?;
    }
    Ok(answers)
}
// ANCHOR_END: gather

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exercises::ch07::{check_gather, check_lengths_off_the_loop};
    use std::time::Duration;

    #[test]
    fn reference_solutions_pass() {
        let check = check_lengths_off_the_loop(lengths_off_the_loop);
        assert!(check.passed(), "{check:?}");
        let check = check_gather(gather);
        assert!(check.passed(), "{check:?}");
    }

    // Testing with a paused clock (chapter 07's "testing is hard" row): the runtime's clock
    // only moves when every task is waiting, so an hour of sleeping jobs takes no real time.
    #[tokio::test(start_paused = true)]
    async fn gather_keeps_order_on_a_paused_clock() {
        let started = std::time::Instant::now();
        let clock = tokio::time::Instant::now();
        let jobs: Vec<Job> = [3u32, 1, 2]
            .into_iter()
            .map(|n| -> Job {
                Box::pin(async move {
                    tokio::time::sleep(Duration::from_secs(u64::from(n) * 600)).await;
                    Ok(n)
                })
            })
            .collect();
        assert_eq!(gather(jobs).await, Ok(vec![3, 1, 2]));
        assert!(clock.elapsed() >= Duration::from_secs(1800));
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn gather_returns_the_first_error() {
        let jobs: Vec<Job> = vec![
            Box::pin(async {
                tokio::time::sleep(Duration::from_secs(60)).await;
                Ok(1)
            }),
            Box::pin(async {
                tokio::time::sleep(Duration::from_secs(1)).await;
                Err("job 2 failed".to_string())
            }),
        ];
        let clock = tokio::time::Instant::now();
        assert_eq!(gather(jobs).await, Err("job 2 failed".to_string()));
        assert!(clock.elapsed() < Duration::from_secs(2));
        assert_eq!(gather(Vec::new()).await, Ok(Vec::new()));
    }
}
