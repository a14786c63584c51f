//! Solutions to the exercises of chapter 06, "Execution pools".

use scraper::{Html, Selector};
use std::sync::Arc;

// ANCHOR: extract_title
/// Exercise 06.1: the course's title fallbacks with a real HTML parser: the first `<h1>`'s own
/// text; else the text of a link inside it; else that link's `title` attribute; else `"NONE"`.
/// Whitespace is squeezed, as a browser would show it.
pub fn extract_title(html: &str) -> String {
    let page = Html::parse_document(html);
    let h1 = Selector::parse("h1").expect("a valid selector");
    let a = Selector::parse("a").expect("a valid selector");
    let squeeze = |s: String| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let Some(heading) = page.select(&h1).next() else {
        return "NONE".to_string();
    };
    // The heading's own text: its direct text children, not its links'.
    let own = squeeze(
        heading
            .children()
            .filter_map(|child| child.value().as_text().map(|t| t.to_string()))
            .collect(),
    );
    if !own.is_empty() {
        return own;
    }
    if let Some(link) = heading.select(&a).next() {
        let text = squeeze(link.text().collect());
        if !text.is_empty() {
            return text;
        }
        if let Some(title) = link.value().attr("title") {
            return title.trim().to_string();
        }
    }
    "NONE".to_string()
}
// ANCHOR_END: extract_title

// ANCHOR: titles_off_the_loop
/// Exercise 06.2: fetches every title with the blocking `get_title`, all at once, without
/// blocking the event loop: each call goes to tokio's blocking-thread pool with
/// `spawn_blocking`, and the loop awaits the handles in order. A call that panicked reads
/// `"ERROR"`.
pub async fn titles_off_the_loop(
    urls: Vec<String>,
    get_title: Arc<dyn Fn(&str) -> String + Send + Sync>,
) -> Vec<String> {
    let handles: Vec<_> = urls
        .into_iter()
        .map(|url| {
            let get_title = Arc::clone(&get_title);
            tokio::task::spawn_blocking(move || get_title(&url))
        })
        .collect();
    let mut titles = Vec::with_capacity(handles.len());
    for handle in handles {
        titles.push(handle.await.unwrap_or_else(|_| "ERROR".to_string()));
    }
    titles
}
// ANCHOR_END: titles_off_the_loop
