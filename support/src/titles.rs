//! Page titles with nothing but the standard library (chapter 06): the course's `get_title`,
//! the same code the `get_title` worker process runs (both come from the `course_workers`
//! crate), so a thread pool and a process pool can be compared running identical work.
//!
//! The HTTP client under it is [`std_http`]: a blocking HTTP/1.1 GET on a `TcpStream`, with
//! every wait bounded. It is not `reqwest::blocking` because chapter 06 calls it on purpose from
//! an async runtime's own thread, where reqwest's blocking client panics in a debug build
//! (chapter 10 shows it); see [`std_http`].
//!
//! ```
//! let internet = support::internet::FakeInternet::start()?;
//! let title = support::titles::get_title(&internet.site_url("pythonbytes"))?;
//! assert_eq!(title, "Python News in Bytes");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io;

pub use course_workers::std_http;
pub use course_workers::title::{get_title, title_of};

/// Fetches `url` with [`std_http::get`] and returns the body of a 2xx answer; any other status
/// is an error naming it.
pub fn fetch(url: &str) -> io::Result<String> {
    std_http::get_ok(url)
}

/// Like [`fetch`], but returns the final status with the body instead of failing on a status
/// that is not 2xx (a JSON service may explain a 404 in its body).
pub fn fetch_with_status(url: &str) -> io::Result<(u16, String)> {
    std_http::get(url).map(|r| (r.status, r.body))
}

#[cfg(all(test, feature = "web"))]
mod tests {
    use super::*;
    use crate::internet::{FakeInternet, SITES, site_page};

    #[test]
    fn every_fallback_is_exercised_by_the_five_sites() {
        let titles: Vec<String> = SITES
            .iter()
            .map(|s| title_of(&site_page(s).unwrap()))
            .collect();
        assert_eq!(
            titles,
            [
                "A Podcast About Python",
                "Python News in Bytes",
                "NONE",
                "Tutorials for Real Programs",
                "Courses for Python Developers"
            ]
        );
    }

    #[test]
    fn redirects_are_followed_and_errors_reported() {
        let internet = FakeInternet::builder()
            .latency(std::time::Duration::from_millis(1))
            .start()
            .unwrap();
        let title = get_title(&internet.episode_url(375)).unwrap();
        assert!(title.contains("Futures Are Lazy"), "{title}");
        assert!(get_title(&format!("{}/nowhere", internet.base_url())).is_err());
        let (status, _) = fetch_with_status(&format!("{}/nowhere", internet.base_url())).unwrap();
        assert_eq!(status, 404);
        assert!(get_title("https://example.com/").is_err());
    }
}
