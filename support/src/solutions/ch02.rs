//! Solutions to the exercises of chapter 02, "async and await".

use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

// ANCHOR: fetch_title
/// Fetches `url` (following redirects, as the course's `requests.get` did) and returns the text
/// of the page's first `<h1>`, or `"MISSING"` if it has none.
pub async fn fetch_title(client: &reqwest::Client, url: &str) -> reqwest::Result<String> {
    let html = client
        .get(url)
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    let page = scraper::Html::parse_document(&html);
    let h1 = scraper::Selector::parse("h1").expect("`h1` is a valid CSS selector");
    Ok(page
        .select(&h1)
        .next()
        .map(|heading| heading.text().collect::<String>().trim().to_string())
        .unwrap_or_else(|| "MISSING".to_string()))
}
// ANCHOR_END: fetch_title

/// A client for the fake internet: never through a proxy, and never waiting forever.
fn client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
}

// ANCHOR: titles_limited
/// Exercise 02.1: the titles of `episodes` (in the order given), fetched concurrently but with
/// never more than `limit` requests in flight. A semaphore holds `limit` permits; each task
/// waits for one before it sends its request and gives it back when it is dropped. A `limit`
/// of 0 is treated as 1 (no permits would mean waiting forever). A page that fails reads
/// `"ERROR: …"`.
pub async fn titles_limited(base_url: String, episodes: Vec<u32>, limit: usize) -> Vec<String> {
    let client = match client() {
        Ok(client) => client,
        Err(e) => return episodes.iter().map(|_| format!("ERROR: {e}")).collect(),
    };
    let permits = Arc::new(Semaphore::new(limit.max(1)));
    let tasks: Vec<_> = episodes
        .into_iter()
        .map(|episode| {
            let (client, permits) = (client.clone(), Arc::clone(&permits));
            let url = format!("{base_url}/{episode}");
            tokio::spawn(async move {
                let _permit = permits.acquire_owned().await;
                fetch_title(&client, &url)
                    .await
                    .unwrap_or_else(|e| format!("ERROR: {e}"))
            })
        })
        .collect();
    let mut titles = Vec::with_capacity(tasks.len());
    for task in tasks {
        titles.push(task.await.unwrap_or_else(|e| format!("ERROR: {e}")));
    }
    titles
}
// ANCHOR_END: titles_limited

// ANCHOR: titles_within
/// Exercise 02.2: the titles of `episodes`, all requested at once, where any page that takes
/// longer than `limit` becomes `None`. `tokio::time::timeout` drops the slow request's future,
/// which cancels it; nobody waits for it.
pub async fn titles_within(
    base_url: String,
    episodes: Vec<u32>,
    limit: Duration,
) -> Vec<Option<String>> {
    let Ok(client) = client() else {
        return vec![None; episodes.len()];
    };
    let tasks: Vec<_> = episodes
        .into_iter()
        .map(|episode| {
            let client = client.clone();
            let url = format!("{base_url}/{episode}");
            tokio::spawn(async move {
                match tokio::time::timeout(limit, fetch_title(&client, &url)).await {
                    Ok(Ok(title)) => Some(title),
                    Ok(Err(_)) | Err(_) => None,
                }
            })
        })
        .collect();
    let mut titles = Vec::with_capacity(tasks.len());
    for task in tasks {
        titles.push(task.await.ok().flatten());
    }
    titles
}
// ANCHOR_END: titles_within

#[cfg(test)]
mod tests {
    use crate::exercises::ch02::{check_titles_limited, check_titles_within};

    #[test]
    fn the_solutions_pass_their_checkers() {
        let check = check_titles_limited(super::titles_limited);
        assert!(check.passed(), "{}", check.to_text());
        let check = check_titles_within(super::titles_within);
        assert!(check.passed(), "{}", check.to_text());
    }

    #[test]
    fn a_zero_limit_still_finishes() {
        let web = crate::internet::FakeInternet::builder()
            .latency(std::time::Duration::from_millis(1))
            .start()
            .unwrap();
        let titles =
            crate::rt::block_on(super::titles_limited(web.base_url(), vec![1, 2], 0)).unwrap();
        assert_eq!(titles.len(), 2);
        assert!(titles[0].starts_with("#1: "), "{titles:?}");
    }
}
