//! Solutions to the exercises of chapter 11, "async Rust at work".

use crate::exercises::ch11::{Busy, Flaky, Limited};
use std::time::Duration;

// ANCHOR: call_with_retries
/// Exercise 11.1: up to 6 calls; after each failure but the last, a pause that starts at
/// 100 ms and doubles.
pub async fn call_with_retries(service: Flaky) -> Result<u32, Busy> {
    let mut pause = Duration::from_millis(100);
    for _ in 1..6 {
        if let Ok(answer) = service.call().await {
            return Ok(answer);
        }
        tokio::time::sleep(pause).await;
        pause *= 2;
    }
    service.call().await
}
// ANCHOR_END: call_with_retries

// ANCHOR: call_bounded
/// Exercise 11.2: every call waits for one of `limit` permits and holds it (in `_permit`, a
/// variable: `_` alone would drop it at once) until its answer is in; `join_all` keeps the
/// answers in the order of the jobs.
pub async fn call_bounded(service: Limited, jobs: Vec<u64>, limit: usize) -> Vec<u64> {
    let permits = tokio::sync::Semaphore::new(limit);
    let calls = jobs.into_iter().map(|job| {
        let (service, permits) = (&service, &permits);
        async move {
            let _permit = permits.acquire().await;
            service.call(job).await
        }
    });
    futures_util::future::join_all(calls).await
}
// ANCHOR_END: call_bounded

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exercises::ch11::{check_call_bounded, check_call_with_retries};

    #[test]
    fn reference_solutions_pass() {
        let check = check_call_with_retries(call_with_retries);
        assert!(check.passed(), "{check:?}");
        let check = check_call_bounded(call_bounded);
        assert!(check.passed(), "{check:?}");
    }

    #[test]
    fn wrong_attempts_are_told_what_went_wrong() {
        // Retries without any pause.
        let check = check_call_with_retries(async |service: Flaky| {
            for _ in 1..6 {
                if let Ok(answer) = service.call().await {
                    return Ok(answer);
                }
            }
            service.call().await
        });
        assert!(
            !check.passed() && check.to_text().contains("called at"),
            "{check:?}"
        );
        // One call at a time, whatever the limit.
        let check = check_call_bounded(async |service: Limited, jobs: Vec<u64>, _limit| {
            let mut answers = Vec::new();
            for job in jobs {
                answers.push(service.call(job).await);
            }
            answers
        });
        assert!(!check.passed(), "{check:?}");
        // A permit dropped at once: no bound at all.
        let check = check_call_bounded(async |service: Limited, jobs: Vec<u64>, limit| {
            let permits = tokio::sync::Semaphore::new(limit);
            let calls = jobs.into_iter().map(|job| {
                let (service, permits) = (&service, &permits);
                async move {
                    let _ = permits.acquire().await;
                    service.call(job).await
                }
            });
            futures_util::future::join_all(calls).await
        });
        assert!(
            !check.passed() && check.to_text().contains("at once"),
            "{check:?}"
        );
        // Not attempted.
        let check =
            check_call_bounded(|_: Limited, _: Vec<u64>, _: usize| async { todo!() as Vec<u64> });
        assert_eq!(check.outcome, crate::exercises::Outcome::NotAttempted);
    }
}
