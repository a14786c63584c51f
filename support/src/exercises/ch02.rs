//! Checkers for the exercises of chapter 02, "async and await". Each starts its own fake
//! internet, runs the learner's async function on a fresh event loop, and stops both.

use super::{Check, attempt, judge};
use crate::internet::{FakeInternet, episode_title};
use crate::rt::block_on;
use std::future::Future;
use std::time::{Duration, Instant};

const SOLUTIONS: &str = "support/src/solutions/ch02.rs";

/// Exercise 02.1: checks `titles_limited(base_url, episodes, limit)`, which must return every
/// episode's title in order while never having more than `limit` requests in flight. It is run
/// with limits 1, 3 and 5 on twelve pages of 40 ms; the server counts how many it was serving
/// at once, which must reach the limit (concurrent) and never pass it (limited).
///
/// ```
/// let check = support::exercises::ch02::check_titles_limited(
///     support::solutions::ch02::titles_limited);
/// assert!(check.passed());
/// ```
pub fn check_titles_limited<F, Fut>(titles_limited: F) -> Check
where
    F: Fn(String, Vec<u32>, usize) -> Fut,
    Fut: Future<Output = Vec<String>>,
{
    let episodes: Vec<u32> = (1..=12).collect();
    let expected: Vec<String> = episodes.iter().map(|&n| episode_title(n)).collect();
    let result =
        attempt(|| {
            for limit in [1, 3, 5] {
                let web = FakeInternet::builder()
                    .latency(Duration::from_millis(40))
                    .start()
                    .map_err(|e| e.to_string())?;
                let titles = block_on(titles_limited(web.base_url(), episodes.clone(), limit))
                    .map_err(|e| e.to_string())?;
                if titles != expected {
                    return Err(format!(
                        "with limit {limit} the titles were {titles:?}, expected {expected:?}"
                    ));
                }
                let peak = web.peak_in_flight();
                if peak > limit {
                    return Err(format!(
                        "with limit {limit} the server was serving {peak} pages at once"
                    ));
                }
                if peak < limit {
                    return Err(format!(
                        "with limit {limit} the server never served more than {peak} page(s) at \
                     once: are the requests running concurrently?"
                    ));
                }
            }
            Ok("limits 1, 3 and 5 on 12 pages: titles in order, the limit reached and never passed"
            .to_string())
        });
    judge("02.1 at most N requests at a time", SOLUTIONS, result)
}

/// Exercise 02.2: checks `titles_within(base_url, episodes, limit)`, which must return
/// `Some(title)` for pages that arrive within `limit` and `None` for the others, without
/// waiting for the slow ones. Ten pages take 60 ms except two that take 1.5 s; with a limit of
/// 300 ms the whole call must end well before a one-at-a-time version could (0.7 s).
///
/// ```
/// let check = support::exercises::ch02::check_titles_within(
///     support::solutions::ch02::titles_within);
/// assert!(check.passed());
/// ```
pub fn check_titles_within<F, Fut>(titles_within: F) -> Check
where
    F: Fn(String, Vec<u32>, Duration) -> Fut,
    Fut: Future<Output = Vec<Option<String>>>,
{
    let episodes: Vec<u32> = (375..385).collect();
    let slow = [378, 383];
    let expected: Vec<Option<String>> = episodes
        .iter()
        .map(|&n| (!slow.contains(&n)).then(|| episode_title(n)))
        .collect();
    let limit = Duration::from_millis(300);
    let result = attempt(|| {
        let mut builder = FakeInternet::builder().latency(Duration::from_millis(60));
        for n in slow {
            builder = builder.slow_episode(n, Duration::from_millis(1500));
        }
        let web = builder.start().map_err(|e| e.to_string())?;
        let started = Instant::now();
        let titles = block_on(titles_within(web.base_url(), episodes.clone(), limit))
            .map_err(|e| e.to_string())?;
        let took = started.elapsed();
        if titles != expected {
            return Err(format!("got {titles:?}, expected {expected:?}"));
        }
        if took >= Duration::from_millis(700) {
            return Err(format!(
                "the titles are right but the call took {:.2} s: request the pages all at \
                 once, and do not wait for a page past the limit",
                took.as_secs_f64()
            ));
        }
        Ok(format!(
            "8 titles and 2 timeouts in {:.2} s with a 0.3 s limit",
            took.as_secs_f64()
        ))
    });
    judge("02.2 give up on slow pages", SOLUTIONS, result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exercises::Outcome;

    #[test]
    fn todo_means_not_attempted() {
        let check = check_titles_limited(|_, _, _| async { todo!() });
        assert_eq!(check.outcome, Outcome::NotAttempted);
        let check = check_titles_within(|_, _, _| async { todo!() });
        assert_eq!(check.outcome, Outcome::NotAttempted);
    }

    #[test]
    fn one_at_a_time_is_not_enough() {
        let sequential = |base: String, episodes: Vec<u32>, _limit: usize| async move {
            let mut titles = Vec::new();
            for n in episodes {
                let client = reqwest::Client::builder().no_proxy().build().unwrap();
                let url = format!("{base}/{n}");
                titles.push(
                    crate::solutions::ch02::fetch_title(&client, &url)
                        .await
                        .unwrap(),
                );
            }
            titles
        };
        let check = check_titles_limited(sequential);
        assert!(
            matches!(&check.outcome, Outcome::Wrong(why) if why.contains("concurrently")),
            "{check:?}"
        );
    }

    #[test]
    fn waiting_for_slow_pages_is_wrong() {
        let patient = |base: String, episodes: Vec<u32>, _limit: Duration| {
            crate::solutions::ch02::titles_within(base, episodes, Duration::from_secs(5))
        };
        let check = check_titles_within(patient);
        assert!(matches!(check.outcome, Outcome::Wrong(_)), "{check:?}");
    }
}
