//! A "fake internet" on loopback: the web pages the Python course fetched, served by a local
//! server with the course's latencies, so the notebooks need no network and give the same
//! numbers on every run.
//!
//! [`FakeInternet::start`] binds `127.0.0.1` on a free port, serves from its own thread and
//! runtime, and stops when the value is dropped (or [`FakeInternet::stop`] is called), so a cell
//! that starts one leaves nothing running. Nothing ever listens on an address other than
//! loopback.
//!
//! # Pages
//!
//! | path | answer |
//! |---|---|
//! | `/{n}` (1 ≤ n ≤ 999) | `302 Found` to `/episodes/show/{n}/{slug}`, like `talkpython.fm/{n}` |
//! | `/episodes/show/{n}/{slug}` | after the latency, an HTML page whose one `<h1>` is the title |
//! | `/site/{name}` | one of five home pages (chapter 06), see [`SITES`] |
//! | `/dstk/street2coordinates/{zip}+{country}` | a location service: JSON latitude and longitude (chapter 08) |
//! | `/sunrise-sunset/json?lat=…&lng=…` | a sun service: today's sunrise, sunset and twilight times (08) |
//! | `/owm/data/2.5/weather?zip={zip},{country}` | a weather service: current weather (08) |
//! | anything else | `404 Not Found` |
//!
//! The three services of chapter 08 stand in for the ones the course's city API called; they
//! answer after a latency drawn (by a seeded generator) from the course's measured latencies, and
//! know the places, in [`crate::city_data`].
//!
//! The titles are invented for this course (see [`episode_title`]); the server also counts the
//! pages it served and the most it was serving at once ([`FakeInternet::peak_in_flight`]),
//! which the exercises use to check a concurrency limit.

mod pages;
mod services;

pub use pages::{SITES, episode_page, episode_slug, episode_title, site_page};

use crate::city_data::{DEFAULT_SEED, draw_latency};
use crate::error::{Error, Result};
use crate::server::{join_server, listen_on_loopback};
use axum::Router;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use rand::SeedableRng;
use rand::rngs::StdRng;
use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// The latency the course assumed for one page fetched across a continent (about 100 ms).
pub const DEFAULT_LATENCY: Duration = Duration::from_millis(100);

/// Episodes that exist: `1..=LAST_EPISODE`.
pub const LAST_EPISODE: u32 = 999;

/// How long [`FakeInternet::stop`] lets requests in progress finish before it drops them.
const GRACE: Duration = Duration::from_millis(500);

/// Settings for a [`FakeInternet`]; make one with [`FakeInternet::builder`].
#[derive(Debug, Clone)]
pub struct Builder {
    port: u16,
    latency: Duration,
    slow: HashMap<u32, Duration>,
    service_scale: f64,
    seed: u64,
}

impl Builder {
    /// The latency of every episode page (default [`DEFAULT_LATENCY`]). Redirects and 404s are
    /// answered at once.
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// Makes episode `n`'s page take `latency` instead of the default, to play a slow site.
    pub fn slow_episode(mut self, n: u32, latency: Duration) -> Self {
        self.slow.insert(n, latency);
        self
    }

    /// Multiplies the latencies of the three city services (default 1.0, the course's own);
    /// tests use a small scale to run quickly. Must be between 0 and 10.
    pub fn service_latency_scale(mut self, scale: f64) -> Self {
        self.service_scale = scale;
        self
    }

    /// Seeds the generator that picks each service answer's latency (default 2018).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Listens on this port instead of a free one chosen by the system (`0`, the default).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Binds `127.0.0.1` and starts serving on a thread of its own.
    ///
    /// Fails if the port is taken or a latency is over a minute (a typo, not a simulation).
    pub fn start(self) -> Result<FakeInternet> {
        let too_long = Duration::from_secs(60);
        if self.latency > too_long || self.slow.values().any(|d| *d > too_long) {
            return Err(Error::InvalidInput(
                "a fake-internet latency must be at most 60 s".into(),
            ));
        }
        if !(0.0..=10.0).contains(&self.service_scale) {
            return Err(Error::InvalidInput(format!(
                "the services' latency scale must be between 0 and 10, not {}",
                self.service_scale
            )));
        }
        if let Some(n) = self.slow.keys().find(|n| !(1..=LAST_EPISODE).contains(*n)) {
            return Err(Error::InvalidInput(format!(
                "episode {n} does not exist: episodes are numbered 1 to {LAST_EPISODE}"
            )));
        }
        let (listener, addr) = listen_on_loopback(self.port, "the fake internet")?;

        let stats = Arc::new(Stats::default());
        let site = Arc::new(Site {
            latency: self.latency,
            slow: self.slow,
            stats: Arc::clone(&stats),
            service_scale: self.service_scale,
            rng: Mutex::new(StdRng::seed_from_u64(self.seed)),
        });
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let thread = std::thread::Builder::new()
            .name("fake-internet".into())
            .spawn(move || serve(listener, site, stop_rx))
            .map_err(|e| Error::System(format!("could not start the server thread: {e}")))?;
        Ok(FakeInternet {
            addr,
            stats,
            stop: stop_tx,
            thread: Some(thread),
        })
    }
}

#[derive(Debug, Default)]
struct Stats {
    served: AtomicUsize,
    in_flight: AtomicUsize,
    peak: AtomicUsize,
}

struct Site {
    latency: Duration,
    slow: HashMap<u32, Duration>,
    stats: Arc<Stats>,
    service_scale: f64,
    rng: Mutex<StdRng>,
}

impl Site {
    /// One latency drawn from `choices` (seconds), scaled.
    fn service_latency(&self, choices: &[f64]) -> Duration {
        draw_latency(&self.rng, choices, self.service_scale)
    }
}

/// Counts a page as in progress for as long as it lives.
struct InFlight<'a>(&'a Stats);

impl<'a> InFlight<'a> {
    fn enter(stats: &'a Stats) -> Self {
        let now = stats.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        stats.peak.fetch_max(now, Ordering::SeqCst);
        InFlight(stats)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.0.served.fetch_add(1, Ordering::SeqCst);
    }
}

/// A local web server standing in for the sites the course fetched. Stops when dropped.
///
/// ```
/// use support::internet::FakeInternet;
/// let web = FakeInternet::start()?;
/// assert!(web.addr().ip().is_loopback());
/// let page = reqwest::blocking::Client::builder().no_proxy().build().unwrap()
///     .get(web.episode_url(375)).send().unwrap();
/// assert!(page.url().path().starts_with("/episodes/show/375/")); // followed the redirect
/// assert!(page.text().unwrap().contains("<h1>#375: "));
/// web.stop()?;
/// # Ok::<(), support::Error>(())
/// ```
#[derive(Debug)]
pub struct FakeInternet {
    addr: SocketAddr,
    stats: Arc<Stats>,
    stop: tokio::sync::watch::Sender<bool>,
    thread: Option<JoinHandle<Result<()>>>,
}

impl FakeInternet {
    /// Starts a server on a free loopback port with the default ~100 ms page latency.
    pub fn start() -> Result<Self> {
        Self::builder().start()
    }

    /// Settings to change before [`Builder::start`]: latency, slow pages, port.
    pub fn builder() -> Builder {
        Builder {
            port: 0,
            latency: DEFAULT_LATENCY,
            slow: HashMap::new(),
            service_scale: 1.0,
            seed: DEFAULT_SEED,
        }
    }

    /// The address it listens on (always `127.0.0.1`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The port it took.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:{port}`, with no trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The short URL of episode `n` (`{base}/{n}`), which redirects to its page.
    pub fn episode_url(&self, n: u32) -> String {
        format!("{}/{n}", self.base_url())
    }

    /// The URL of site `name`'s home page (see [`SITES`]; other names get a 404).
    pub fn site_url(&self, name: &str) -> String {
        format!("{}/site/{name}", self.base_url())
    }

    /// Pages and service answers served so far (redirects and 404 pages are not counted).
    pub fn pages_served(&self) -> usize {
        self.stats.served.load(Ordering::SeqCst)
    }

    /// The most pages and service answers that were being served at the same moment.
    pub fn peak_in_flight(&self) -> usize {
        self.stats.peak.load(Ordering::SeqCst)
    }

    /// Stops the server: requests in progress get up to half a second to finish, then the server thread
    /// ends. Dropping the value does the same but cannot report an error.
    pub fn stop(mut self) -> Result<()> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<()> {
        let _ = self.stop.send(true);
        join_server(self.thread.take(), "the fake-internet server")
    }
}

impl Drop for FakeInternet {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

/// The server thread: its own single-threaded runtime, dropped (with every connection) before
/// the thread ends.
fn serve(
    listener: TcpListener,
    site: Arc<Site>,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::System(format!("could not build the server's runtime: {e}")))?;
    let outcome = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener)
            .map_err(|e| Error::System(format!("could not register the socket: {e}")))?;
        let app = Router::new()
            .route("/{n}", get(pages::redirect))
            .route("/episodes/show/{n}/{slug}", get(pages::episode))
            .route("/site/{name}", get(pages::site_home))
            .route(
                "/dstk/street2coordinates/{key}",
                get(services::street2coordinates),
            )
            .route("/sunrise-sunset/json", get(services::sunrise_sunset))
            .route("/owm/data/2.5/weather", get(services::owm_weather))
            .fallback(not_found)
            .with_state(site);
        let mut graceful = stop.clone();
        let mut hard = stop;
        let server = axum::serve(listener, app).with_graceful_shutdown(async move {
            let _ = graceful.wait_for(|stop| *stop).await;
        });
        tokio::select! {
            served = server.into_future() => served
                .map_err(|e| Error::System(format!("the fake internet stopped: {e}"))),
            _ = async {
                let _ = hard.wait_for(|stop| *stop).await;
                tokio::time::sleep(GRACE).await;
            } => Ok(()),
        }
    });
    drop(runtime);
    outcome
}

async fn not_found() -> impl IntoResponse {
    (
        StatusCode::NOT_FOUND,
        Html("<html><body><h1>404: no such page on the fake internet</h1></body></html>"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::time::Instant;

    /// One raw HTTP/1.1 GET, returning the status line and the whole response.
    fn get(web: &FakeInternet, path: &str) -> String {
        let mut stream = std::net::TcpStream::connect(web.addr()).unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
    }

    /// The full path of episode `n`'s page.
    fn page(n: u32) -> String {
        format!("/episodes/show/{n}/{}", episode_slug(n))
    }

    /// A server whose pages all take `latency`.
    fn serving(latency: Duration) -> FakeInternet {
        FakeInternet::builder().latency(latency).start().unwrap()
    }

    fn quick() -> FakeInternet {
        serving(Duration::from_millis(5))
    }

    #[test]
    fn binds_loopback_and_reports_its_port() {
        let web = quick();
        assert!(web.addr().ip().is_loopback());
        assert_ne!(web.port(), 0);
        assert_eq!(web.base_url(), format!("http://127.0.0.1:{}", web.port()));
    }

    #[test]
    fn short_urls_redirect_to_the_episode_page() {
        let web = quick();
        let response = get(&web, "/375");
        assert!(response.starts_with("HTTP/1.1 302"), "{response}");
        assert!(
            response
                .to_lowercase()
                .contains("location: /episodes/show/375/futures-are-lazy"),
            "{response}"
        );
        let page = get(&web, "/episodes/show/375/futures-are-lazy");
        assert!(page.starts_with("HTTP/1.1 200"), "{page}");
        assert_eq!(page.matches("<h1>").count(), 1);
        assert!(page.contains("<h1>#375: Futures Are Lazy</h1>"));
        assert_eq!(web.pages_served(), 1);
    }

    #[test]
    fn bad_paths_get_404() {
        let web = quick();
        for path in [
            "/",
            "/0",
            "/1000",
            "/abc",
            "/episodes/show/375/wrong-slug",
            "/episodes/show/x/y",
            "/nothing/here/at/all",
        ] {
            let response = get(&web, path);
            assert!(response.starts_with("HTTP/1.1 404"), "{path}: {response}");
        }
        assert_eq!(web.pages_served(), 0);
    }

    #[test]
    fn pages_wait_for_their_latency() {
        let web = FakeInternet::builder()
            .latency(Duration::from_millis(5))
            .slow_episode(7, Duration::from_millis(150))
            .start()
            .unwrap();
        let path = page(7);
        let start = Instant::now();
        assert!(get(&web, &path).starts_with("HTTP/1.1 200"));
        assert!(start.elapsed() >= Duration::from_millis(150));
    }

    #[test]
    fn concurrent_pages_are_counted() {
        let web = serving(Duration::from_millis(200));
        std::thread::scope(|s| {
            for n in 1..=4 {
                let web = &web;
                s.spawn(move || get(web, &page(n)));
            }
        });
        assert_eq!(web.pages_served(), 4);
        assert!(web.peak_in_flight() >= 2, "peak {}", web.peak_in_flight());
        assert!(web.peak_in_flight() <= 4);
    }

    #[test]
    fn stops_cleanly_and_frees_the_port() {
        let web = quick();
        let addr = web.addr();
        web.stop().unwrap();
        assert!(std::net::TcpStream::connect(addr).is_err());
        // The same port can be taken again.
        let again = FakeInternet::builder().port(addr.port()).start().unwrap();
        assert_eq!(again.port(), addr.port());
    }

    #[test]
    fn stop_does_not_wait_forever_for_a_slow_page() {
        let web = serving(Duration::from_secs(30));
        let addr = web.addr();
        let client = std::thread::spawn(move || {
            let mut stream = std::net::TcpStream::connect(addr).unwrap();
            let path = page(1);
            write!(stream, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
            let mut sink = Vec::new();
            let _ = stream.read_to_end(&mut sink);
        });
        std::thread::sleep(Duration::from_millis(100));
        let start = Instant::now();
        web.stop().unwrap();
        assert!(start.elapsed() < Duration::from_secs(10));
        client.join().unwrap();
    }

    #[test]
    fn a_port_in_use_is_a_clear_error() {
        let web = quick();
        let err = FakeInternet::builder()
            .port(web.port())
            .start()
            .unwrap_err();
        assert!(err.to_string().contains("in use"), "{err}");
    }

    #[test]
    fn nonsense_settings_are_rejected() {
        assert!(matches!(
            FakeInternet::builder()
                .latency(Duration::from_secs(3600))
                .start(),
            Err(Error::InvalidInput(_))
        ));
        assert!(matches!(
            FakeInternet::builder()
                .slow_episode(0, Duration::from_millis(1))
                .start(),
            Err(Error::InvalidInput(_))
        ));
    }
}
