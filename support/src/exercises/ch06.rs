//! Checkers for the exercises of chapter 06, "Execution pools".

use super::ch03::Rendezvous;
use super::{Check, attempt, judge};
use crate::internet::{SITES, episode_page, site_page};
use crate::rt::block_on;
use std::future::Future;
use std::sync::Arc;
use std::thread;

const SOLUTIONS: &str = "support/src/solutions/ch06.rs";

/// Exercise 06.1: checks `extract_title(html)` on the fake internet's five site pages (one per
/// fallback), an episode page, and a few edge cases.
///
/// ```
/// let check = support::exercises::ch06::check_extract_title(support::solutions::ch06::extract_title);
/// assert!(check.passed());
/// ```
pub fn check_extract_title(extract_title: impl Fn(&str) -> String) -> Check {
    let result = attempt(|| {
        let mut cases: Vec<(String, String)> = SITES
            .iter()
            .zip([
                "A Podcast About Python",
                "Python News in Bytes",
                "NONE",
                "Tutorials for Real Programs",
                "Courses for Python Developers",
            ])
            .map(|(site, want)| (site_page(site).unwrap_or_default(), want.to_string()))
            .collect();
        cases.push((episode_page(375), crate::internet::episode_title(375)));
        for (html, want) in [
            ("<h1>First</h1><h1>Second</h1>", "First"),
            ("<h1>  Lots \n of   space </h1>", "Lots of space"),
            ("<h1><a href='/'>  </a></h1>", "NONE"),
            ("<p>no heading</p><a title='not in an h1'>x</a>", "NONE"),
        ] {
            cases.push((html.to_string(), want.to_string()));
        }
        for (html, want) in &cases {
            let got = extract_title(html);
            if &got != want {
                let shown: String = html.chars().take(120).collect();
                return Err(format!(
                    "for a page like {shown:?} it gave {got:?}, expected {want:?}"
                ));
            }
        }
        Ok(format!("{} pages, every fallback", cases.len()))
    });
    judge("06.1 The title, with every fallback", SOLUTIONS, result)
}

/// Exercise 06.2: checks `titles_off_the_loop(urls, get_title)`, which must call the blocking
/// `get_title` for every URL at the same time, never on the event loop's own thread, and
/// return the titles in order. The checker's `get_title` waits until every call has started
/// (at most 2 s), so calls made one after another, or on the loop's thread, are caught.
///
/// ```
/// let check = support::exercises::ch06::check_titles_off_the_loop(
///     support::solutions::ch06::titles_off_the_loop);
/// assert!(check.passed());
/// ```
pub fn check_titles_off_the_loop<F, Fut>(titles_off_the_loop: F) -> Check
where
    F: Fn(Vec<String>, Arc<dyn Fn(&str) -> String + Send + Sync>) -> Fut,
    Fut: Future<Output = Vec<String>>,
{
    let result = attempt(|| {
        let urls: Vec<String> = (1..=6).map(|n| format!("page-{n}")).collect();
        let meeting = Arc::new(Rendezvous::new(urls.len()));
        let get_title: Arc<dyn Fn(&str) -> String + Send + Sync> = {
            let meeting = Arc::clone(&meeting);
            Arc::new(move |url: &str| {
                meeting.meet();
                format!("title of {url}")
            })
        };
        let loop_thread = thread::current().id();
        let got =
            block_on(titles_off_the_loop(urls.clone(), get_title)).map_err(|e| e.to_string())?;
        let seen = meeting.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.threads.contains(&loop_thread) {
            return Err(
                "get_title ran on the event loop's own thread, blocking it: use \
                        tokio::task::spawn_blocking"
                    .into(),
            );
        }
        if seen.gave_up {
            return Err(
                "the calls did not all run at the same time: start them all before \
                        awaiting any"
                    .into(),
            );
        }
        let want: Vec<String> = urls.iter().map(|u| format!("title of {u}")).collect();
        if got != want {
            return Err(format!(
                "the titles were {got:?}, expected {want:?} (in order)"
            ));
        }
        Ok("6 blocking calls, all at once, off the event loop, in order".to_string())
    });
    judge("06.2 Blocking calls off the event loop", SOLUTIONS, result)
}

#[cfg(test)]
mod tests {
    use super::super::Outcome;
    use super::*;
    use crate::solutions::ch06 as reference;

    #[test]
    fn todo_means_not_attempted() {
        assert_eq!(
            check_extract_title(|_| todo!()).outcome,
            Outcome::NotAttempted
        );
        assert_eq!(
            check_titles_off_the_loop(|_, _| async { todo!() }).outcome,
            Outcome::NotAttempted
        );
    }

    #[test]
    fn reference_solutions_pass() {
        let check = check_extract_title(reference::extract_title);
        assert!(check.passed(), "{}", check.to_text());
        let check = check_titles_off_the_loop(reference::titles_off_the_loop);
        assert!(check.passed(), "{}", check.to_text());
    }

    #[test]
    fn the_standard_library_version_agrees() {
        let check = check_extract_title(crate::titles::title_of);
        assert!(check.passed(), "{}", check.to_text());
    }

    #[test]
    fn calling_on_the_loop_is_caught() {
        let check = check_titles_off_the_loop(|urls, get_title| async move {
            urls.iter().map(|u| get_title(u)).collect()
        });
        assert!(
            matches!(&check.outcome, Outcome::Wrong(why) if why.contains("event loop's own thread")),
            "{}",
            check.to_text()
        );
    }

    #[test]
    fn h1_text_including_links_is_not_enough() {
        let check = check_extract_title(|html| {
            let page = scraper::Html::parse_document(html);
            let h1 = scraper::Selector::parse("h1").unwrap();
            page.select(&h1)
                .next()
                .map(|h| h.text().collect::<String>().trim().to_string())
                .unwrap_or_else(|| "NONE".into())
        });
        assert!(!check.passed());
    }
}
