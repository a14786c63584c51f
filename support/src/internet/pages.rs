//! The pages of the fake internet: the podcast's episodes (chapters 02, 07, 09, 10) and five
//! home pages (chapter 06), with the handlers that serve them.

use super::{InFlight, LAST_EPISODE, Site, not_found};
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use std::fmt::Write as _;
use std::sync::Arc;

/// Topics the invented episode titles are made of. They are not the real podcast's titles.
const TOPICS: [&str; 20] = [
    "Waiting Well with an Event Loop",
    "Threads Without Fear",
    "Ownership Across Await Points",
    "Channels, Queues and Back-Pressure",
    "Profiling Before Optimising",
    "When the GIL Is Not the Problem",
    "Structured Concurrency in Practice",
    "A Tour of Work-Stealing Schedulers",
    "Cancelling Work Politely",
    "Timeouts Everywhere",
    "Data Parallelism with Iterators",
    "Locks, Atomics and Lost Updates",
    "The Cost of a Context Switch",
    "Serving Ten Thousand Clients",
    "Deadlocks and How to Avoid Them",
    "Futures Are Lazy",
    "Measuring Latency Honestly",
    "From Callbacks to async and await",
    "Processes for Isolation",
    "Benchmarking on Two Cores",
];

/// The title of episode `n` on the fake internet: `"#{n}: {topic}"`, the same on every run.
///
/// ```
/// assert_eq!(support::internet::episode_title(375), "#375: Futures Are Lazy");
/// ```
pub fn episode_title(n: u32) -> String {
    format!("#{n}: {}", TOPICS[n as usize % TOPICS.len()])
}

/// The URL slug of episode `n`'s page, made from its title.
///
/// ```
/// assert_eq!(support::internet::episode_slug(375), "futures-are-lazy");
/// ```
pub fn episode_slug(n: u32) -> String {
    let topic = TOPICS[n as usize % TOPICS.len()];
    let words: Vec<String> = topic
        .split_whitespace()
        .map(|w| {
            w.chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect();
    words.join("-")
}

/// The five home pages chapter 06 fetches, standing in for the course's five sites. Their
/// titles are made up; their shapes exercise every fallback of the course's `get_title`.
pub const SITES: [&str; 5] = [
    "talkpython",
    "pythonbytes",
    "google",
    "realpython",
    "training",
];

/// The HTML of site `name`'s home page (one of [`SITES`]), or `None`. Where the title is:
///
/// - `talkpython`, `training`: the text of the `<h1>`;
/// - `pythonbytes`: the `<h1>` holds only a link, so the title is the link's text;
/// - `realpython`: the `<h1>` holds a link around an image: the link's `title` attribute;
/// - `google`: there is no `<h1>` at all, so there is no title (the course printed `NONE`).
///
/// ```
/// let page = support::internet::site_page("talkpython").unwrap();
/// assert!(page.contains("<h1>"));
/// assert!(support::internet::site_page("nowhere").is_none());
/// ```
pub fn site_page(name: &str) -> Option<String> {
    let heading = match name {
        "talkpython" => "<h1>A Podcast About Python</h1>".to_string(),
        "pythonbytes" => "<h1><a href=\"/\">Python News in Bytes</a></h1>".to_string(),
        "google" => "<div class=\"search\"><input name=\"q\"></div>".to_string(),
        "realpython" => "<h1><a href=\"/\" title=\"Tutorials for Real Programs\">\
                         <img src=\"/logo.png\" alt=\"\"></a></h1>"
            .to_string(),
        "training" => "<h1>\n    Courses for Python Developers\n  </h1>".to_string(),
        _ => return None,
    };
    Some(format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>{name} - the fake internet</title></head><body>\n\
         <nav><a href=\"/\">Home</a> <a href=\"/about\">About</a></nav>\n\
         <main>{heading}\n<p>The home page of {name}, served from 127.0.0.1.</p></main>\n\
         </body></html>\n"
    ))
}

/// The HTML of episode `n`'s page: a header, the `<h1>` title and some show notes, about 6 KB,
/// so finding the title takes a real parse.
pub fn episode_page(n: u32) -> String {
    let title = episode_title(n);
    let mut html = String::with_capacity(8 * 1024);
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>{title} - the fake internet</title></head><body>\n\
         <nav><a href=\"/\">Home</a> <a href=\"/episodes\">Episodes</a></nav>\n\
         <main><h1>{title}</h1>\n<p class=\"subtitle\">Episode {n}, served from 127.0.0.1</p>\n<ul>\n"
    );
    for (i, topic) in TOPICS.iter().cycle().skip(n as usize).take(40).enumerate() {
        let _ = writeln!(
            html,
            "<li><span class=\"time\">{:02}:{:02}</span> {topic}: notes and links</li>",
            i * 3 / 2,
            (i * 37) % 60
        );
    }
    html.push_str("</ul></main>\n<footer>Not a real podcast page.</footer></body></html>\n");
    html
}

pub(super) fn episode_number(raw: &str) -> Option<u32> {
    raw.parse::<u32>()
        .ok()
        .filter(|n| (1..=LAST_EPISODE).contains(n))
}

pub(super) async fn redirect(Path(raw): Path<String>) -> Response {
    match episode_number(&raw) {
        Some(n) => (
            StatusCode::FOUND,
            [(
                header::LOCATION,
                format!("/episodes/show/{n}/{}", episode_slug(n)),
            )],
        )
            .into_response(),
        None => not_found().await.into_response(),
    }
}

pub(super) async fn episode(
    State(site): State<Arc<Site>>,
    Path((raw, slug)): Path<(String, String)>,
) -> Response {
    let Some(n) = episode_number(&raw).filter(|n| episode_slug(*n) == slug) else {
        return not_found().await.into_response();
    };
    let _counted = InFlight::enter(&site.stats);
    let latency = site.slow.get(&n).copied().unwrap_or(site.latency);
    tokio::time::sleep(latency).await;
    Html(episode_page(n)).into_response()
}

pub(super) async fn site_home(State(site): State<Arc<Site>>, Path(name): Path<String>) -> Response {
    let Some(page) = site_page(&name) else {
        return not_found().await.into_response();
    };
    let _counted = InFlight::enter(&site.stats);
    tokio::time::sleep(site.latency).await;
    Html(page).into_response()
}
