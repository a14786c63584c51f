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
//! answer after a latency drawn (by a seeded generator) from [`LOCATION_LATENCIES`],
//! [`SUN_LATENCIES`] and [`WEATHER_LATENCIES`], and know the places in [`PLACES`].
//!
//! The titles are invented for this course (see [`episode_title`]); the server also counts the
//! pages it served and the most it was serving at once ([`FakeInternet::peak_in_flight`]),
//! which the exercises use to check a concurrency limit.

use crate::error::{Error, Result};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
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
            .route("/{n}", get(redirect))
            .route("/episodes/show/{n}/{slug}", get(episode))
            .route("/site/{name}", get(site_home))
            .route("/dstk/street2coordinates/{key}", get(street2coordinates))
            .route("/sunrise-sunset/json", get(sunrise_sunset))
            .route("/owm/data/2.5/weather", get(owm_weather))
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

fn episode_number(raw: &str) -> Option<u32> {
    raw.parse::<u32>()
        .ok()
        .filter(|n| (1..=LAST_EPISODE).contains(n))
}

async fn redirect(Path(raw): Path<String>) -> Response {
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

async fn episode(
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

async fn site_home(State(site): State<Arc<Site>>, Path(name): Path<String>) -> Response {
    let Some(page) = site_page(&name) else {
        return not_found().await.into_response();
    };
    let _counted = InFlight::enter(&site.stats);
    tokio::time::sleep(site.latency).await;
    Html(page).into_response()
}

/// A place the city services know: zip code, country code, latitude, longitude, city name,
/// and its (invented) current weather: description, temperature in kelvin, humidity in %.
pub type Place = (
    &'static str,
    &'static str,
    f64,
    f64,
    &'static str,
    &'static str,
    f64,
    u32,
);

/// The places the fake location and weather services know. 97227 is the course's demo zip
/// code (Portland, Oregon); the coordinates are the course's cached ones for it.
pub const PLACES: [Place; 5] = [
    (
        "97227",
        "us",
        45.50655,
        -122.733888,
        "Portland",
        "light rain",
        287.15,
        81,
    ),
    (
        "10001",
        "us",
        40.7506,
        -73.9972,
        "New York",
        "clear sky",
        293.7,
        52,
    ),
    (
        "60601",
        "us",
        41.8858,
        -87.6181,
        "Chicago",
        "broken clouds",
        283.4,
        66,
    ),
    (
        "94103",
        "us",
        37.7726,
        -122.4099,
        "San Francisco",
        "fog",
        288.9,
        90,
    ),
    (
        "78701",
        "us",
        30.2711,
        -97.7437,
        "Austin",
        "few clouds",
        301.2,
        45,
    ),
];

/// Latencies (seconds) of the location service, one drawn per answer: the 13 the course
/// measured for its cached mode (its `location_service.py`), between 0.288 and 0.536 s, with a
/// mean of 0.41021 s.
///
/// ```
/// use support::internet::{mean_latency, LOCATION_LATENCIES, SUN_LATENCIES};
/// assert!((mean_latency(&LOCATION_LATENCIES) - 0.41021).abs() < 1e-5);
/// // One location lookup, then one sun lookup: 0.94488 s on average.
/// let both = mean_latency(&LOCATION_LATENCIES) + mean_latency(&SUN_LATENCIES);
/// assert!((both - 0.94488).abs() < 1e-5);
/// ```
pub const LOCATION_LATENCIES: [f64; 13] = [
    0.28844, 0.334694, 0.33468, 0.343911, 0.339515, 0.344329, 0.341594, 0.352366, 0.535646,
    0.527148, 0.533472, 0.53351, 0.523462,
];

/// Latencies (seconds) of the sun service: the five the course measured (mean 0.535 s).
pub const SUN_LATENCIES: [f64; 5] = [0.399203, 0.7046, 0.422959, 0.741911, 0.404674];

/// Latencies (seconds) of the weather service. The course has no cached weather (it always
/// called the real service), so these are **invented** for this course, with a mean of
/// 0.300 s.
pub const WEATHER_LATENCIES: [f64; 5] = [0.262, 0.317, 0.295, 0.341, 0.285];

/// The seed of the generator that draws the services' latencies, unless one is given.
pub(crate) const DEFAULT_SEED: u64 = 2018;

/// One latency drawn from `choices` (seconds) by `rng`, times `scale`. Both the fake internet
/// and the city services' cached mode draw this way.
pub(crate) fn draw_latency(rng: &Mutex<StdRng>, choices: &[f64], scale: f64) -> Duration {
    if choices.is_empty() {
        return Duration::ZERO;
    }
    let pick = match rng.lock() {
        Ok(mut rng) => rng.random_range(0..choices.len()),
        Err(_) => 0,
    };
    Duration::from_secs_f64((choices[pick] * scale).max(0.0))
}

/// The mean of a list of latencies, in seconds (0 for an empty list).
pub fn mean_latency(latencies: &[f64]) -> f64 {
    if latencies.is_empty() {
        0.0
    } else {
        latencies.iter().sum::<f64>() / latencies.len() as f64
    }
}

fn place(zip: &str, country: &str) -> Option<&'static Place> {
    PLACES
        .iter()
        .find(|p| p.0 == zip && p.1.eq_ignore_ascii_case(country))
}

/// What the location service answers for `{zip}+{country}` (its path's last segment): the key
/// it answers under (`"97227, us"`) and the place, if it knows it. The city services' cached
/// mode asks the same function, so both modes know the same places.
pub(crate) fn location_answer(key: &str) -> (String, Option<&'static Place>) {
    let (zip, country) = key.split_once(['+', ' ']).unwrap_or((key, ""));
    let (zip, country) = (zip.trim(), country.trim());
    (format!("{zip}, {country}"), place(zip, country))
}

/// What the weather service answers for `zip={zip},{country}` (the query's value): the place,
/// if it knows it (a missing country means `us`, as OpenWeatherMap assumed).
pub(crate) fn weather_answer(key: &str) -> Option<&'static Place> {
    let (zip, country) = key.split_once(',').unwrap_or((key, "us"));
    place(zip.trim(), country.trim())
}

/// What the sun service answers at (`lat`, `lng`): today's times (the course's cached answer,
/// the same for every place), or `None` for coordinates off the globe.
pub(crate) fn sun_answer(lat: f64, lng: f64) -> Option<crate::city::SunTimes> {
    if !(lat.abs() <= 90.0 && lng.abs() <= 180.0) {
        return None;
    }
    let time = |t: &str| t.to_string();
    Some(crate::city::SunTimes {
        sunrise: time("06:04:09 AM"),
        sunset: time("08:28:48 PM"),
        solar_noon: time("01:16:28 PM"),
        day_length: time("14:24:39"),
        civil_twilight_begin: time("05:31:10 AM"),
        civil_twilight_end: time("09:01:47 PM"),
        nautical_twilight_begin: time("04:49:54 AM"),
        nautical_twilight_end: time("09:43:03 PM"),
        astronomical_twilight_begin: time("04:03:13 AM"),
        astronomical_twilight_end: time("10:29:44 PM"),
    })
}

/// The location service: `{"97227, us": {"latitude": …, "longitude": …}}`, or `null` in place
/// of the object for a place it does not know (as the Data Science Toolkit answered).
async fn street2coordinates(State(site): State<Arc<Site>>, Path(key): Path<String>) -> Response {
    let _counted = InFlight::enter(&site.stats);
    tokio::time::sleep(site.service_latency(&LOCATION_LATENCIES)).await;
    let (key, found) = location_answer(&key);
    let found = found.map(|p| serde_json::json!({ "latitude": p.2, "longitude": p.3 }));
    let mut answer = serde_json::Map::new();
    answer.insert(key, found.unwrap_or(serde_json::Value::Null));
    axum::Json(serde_json::Value::Object(answer)).into_response()
}

/// The sun service: today's times (the course's cached answer) for any valid coordinates.
async fn sunrise_sunset(
    State(site): State<Arc<Site>>,
    axum::extract::Query(query): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    let _counted = InFlight::enter(&site.stats);
    tokio::time::sleep(site.service_latency(&SUN_LATENCIES)).await;
    let coordinate = |name: &str| query.get(name).and_then(|v| v.parse::<f64>().ok());
    let times = match (coordinate("lat"), coordinate("lng")) {
        (Some(lat), Some(lng)) => sun_answer(lat, lng),
        _ => None,
    };
    match times {
        Some(times) => {
            axum::Json(serde_json::json!({ "results": times, "status": "OK" })).into_response()
        }
        None => (
            StatusCode::BAD_REQUEST,
            axum::Json(serde_json::json!({ "results": "", "status": "INVALID_REQUEST" })),
        )
            .into_response(),
    }
}

/// The weather service: current weather for `zip={zip},{country}`, or a 404 with
/// `{"cod": "404", "message": "city not found"}`, as OpenWeatherMap answers.
async fn owm_weather(
    State(site): State<Arc<Site>>,
    axum::extract::Query(query): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    let _counted = InFlight::enter(&site.stats);
    tokio::time::sleep(site.service_latency(&WEATHER_LATENCIES)).await;
    let key = query.get("zip").map(String::as_str).unwrap_or("");
    match weather_answer(key) {
        Some(&(_, _, lat, lon, city, description, kelvin, humidity)) => {
            axum::Json(serde_json::json!({
                "coord": { "lon": lon, "lat": lat },
                "weather": [{ "main": description, "description": description }],
                "main": { "temp": kelvin, "pressure": 1016, "humidity": humidity },
                "wind": { "speed": 3.6, "deg": 250 },
                "clouds": { "all": 40 },
                "name": city
            }))
            .into_response()
        }
        None => (
            StatusCode::NOT_FOUND,
            axum::Json(serde_json::json!({ "cod": "404", "message": "city not found" })),
        )
            .into_response(),
    }
}

/// Binds `127.0.0.1:{port}` (0: any free port) for `who` (named in errors), with a deep
/// backlog, non-blocking (ready for tokio), and returns it with its address.
pub(crate) fn listen_on_loopback(port: u16, who: &str) -> Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port)).map_err(|e| {
        Error::System(format!(
            "{who} could not listen on 127.0.0.1:{port}: {e}{}",
            if e.kind() == std::io::ErrorKind::AddrInUse {
                " (the port is in use: pick another, or 0 for any free port)"
            } else {
                ""
            }
        ))
    })?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::System(format!("could not read the server's address: {e}")))?;
    deepen_backlog(&listener);
    listener
        .set_nonblocking(true)
        .map_err(|e| Error::System(format!("could not make the socket non-blocking: {e}")))?;
    Ok((listener, addr))
}

/// Joins a server's thread (if it is still there) and passes on how the server ended.
pub(crate) fn join_server(thread: Option<JoinHandle<Result<()>>>, who: &str) -> Result<()> {
    match thread {
        Some(thread) => thread
            .join()
            .map_err(|_| Error::System(format!("{who}'s thread panicked")))?,
        None => Ok(()),
    }
}

/// Lets the kernel queue up to 4,096 connections waiting to be accepted (the standard
/// library asks for 128), so thousands of clients connecting at once are not turned away.
fn deepen_backlog(listener: &TcpListener) {
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: `listen` on a socket this listener owns and keeps open; calling it again on
        // a listening socket only changes the backlog.
        unsafe {
            libc::listen(listener.as_raw_fd(), 4096);
        }
    }
    #[cfg(not(unix))]
    let _ = listener;
}

async fn not_found() -> impl IntoResponse {
    (
        StatusCode::NOT_FOUND,
        Html("<html><body><h1>404: no such page on the fake internet</h1></body></html>"),
    )
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
