//! Page titles with nothing but the standard library (chapter 06): the same code the
//! `get_title` worker process runs (`support/workers/title_core.rs` is included in both), so a
//! thread pool and a process pool can be compared running identical work.
//!
//! ```
//! let internet = support::internet::FakeInternet::start()?;
//! let title = support::titles::get_title(&internet.site_url("pythonbytes"))?;
//! assert_eq!(title, "Python News in Bytes");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

include!("../workers/title_core.rs");

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
        assert!(get_title("https://example.com/").is_err());
    }

    #[test]
    fn chunked_bodies_are_joined() {
        assert_eq!(
            dechunk("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
            "hello world"
        );
    }
}
