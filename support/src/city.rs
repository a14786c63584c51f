//! The pieces of chapter 08's city API (the course's `cityscape_api`): the services it calls,
//! the checks on what a client sends, the errors it answers with, and a server that runs any
//! axum app on loopback. The handlers themselves are written in the notebook, twice: once
//! awaiting the services (the Quart model) and once blocking on them (the Flask model).
//!
//! The services ([`Services`]) run in one of two modes, as the course's did:
//!
//! - **over HTTP** ([`Services::new`]): each call is a request to the fake internet's
//!   location, sun or weather endpoint ([`crate::internet`]), which answers after a latency
//!   drawn from the course's measured ones;
//! - **cached** ([`Services::cached`]), the course's load-tested configuration: no request at
//!   all; each call waits in-process for a latency drawn from the same lists (an async sleep,
//!   or a blocking one for the `_blocking` flavour) and answers from the same data the fake
//!   internet serves. No socket is opened, so a load test measures the app, not the fake
//!   internet.
//!
//! ```
//! use support::city::{Services, check_place};
//! let internet = support::internet::FakeInternet::builder().service_latency_scale(0.01).start()?;
//! let services = Services::new(&internet)?;
//! check_place("97227", "us")?;
//! let place = services.location_blocking("97227", "us")?;
//! assert_eq!(place.latitude, 45.50655);
//! let sun = services.sun_for_today_blocking(&place)?;
//! assert_eq!(sun.sunrise, "06:04:09 AM");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The same lookups in cached mode, a hundred times faster than the course's waits:
//!
//! ```
//! use support::city::Services;
//! let services = Services::cached_with_scale(0.01)?;
//! assert!(services.is_cached());
//! let place = services.location_blocking("97227", "us")?;
//! assert_eq!(place.latitude, 45.50655);
//! assert_eq!(services.sun_for_today_blocking(&place)?.sunrise, "06:04:09 AM");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::error::{Error, Result};
use crate::internet::{FakeInternet, LOCATION_LATENCIES, SUN_LATENCIES, WEATHER_LATENCIES};
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// The longest zip code the API accepts (the longest in use are 10 characters).
pub const MAX_ZIP_LEN: usize = 10;

/// Why the API turned a request down; each becomes a 4xx or 5xx answer with a JSON body
/// `{"error": "…"}` that says what was wrong.
#[derive(Debug, Clone, PartialEq)]
pub enum CityError {
    /// The zip code or country code is malformed or too long: `400 Bad Request`.
    BadRequest(String),
    /// No such place: `404 Not Found`.
    NotFound(String),
    /// A service the API depends on failed: `502 Bad Gateway`.
    Upstream(String),
}

impl CityError {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            CityError::BadRequest(_) => StatusCode::BAD_REQUEST,
            CityError::NotFound(_) => StatusCode::NOT_FOUND,
            CityError::Upstream(_) => StatusCode::BAD_GATEWAY,
        }
    }

    /// The message sent to the client.
    pub fn message(&self) -> &str {
        match self {
            CityError::BadRequest(m) | CityError::NotFound(m) | CityError::Upstream(m) => m,
        }
    }
}

impl std::fmt::Display for CityError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message(), self.status())
    }
}

impl std::error::Error for CityError {}

impl IntoResponse for CityError {
    fn into_response(self) -> Response {
        (
            self.status(),
            Json(serde_json::json!({ "error": self.message() })),
        )
            .into_response()
    }
}

/// Checks a zip code and a country code before any service is called: the zip code must be 1
/// to [`MAX_ZIP_LEN`] letters or digits, the country code two letters.
///
/// ```
/// use support::city::{check_place, CityError};
/// assert!(check_place("97227", "us").is_ok());
/// assert!(matches!(check_place("97227", "usa"), Err(CityError::BadRequest(_))));
/// assert!(matches!(check_place(&"9".repeat(500), "us"), Err(CityError::BadRequest(_))));
/// ```
pub fn check_place(zip: &str, country: &str) -> std::result::Result<(), CityError> {
    if zip.chars().count() > MAX_ZIP_LEN {
        return Err(CityError::BadRequest(format!(
            "a zip code has at most {MAX_ZIP_LEN} characters; this one has {}",
            zip.chars().count()
        )));
    }
    if zip.is_empty() || !zip.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(CityError::BadRequest(format!(
            "a zip code is letters and digits, like 97227; got {zip:?}"
        )));
    }
    if country.len() != 2 || !country.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(CityError::BadRequest(format!(
            "a country is a two-letter code, like us; got {:?}",
            country.chars().take(20).collect::<String>()
        )));
    }
    Ok(())
}

/// Where a place is.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Location {
    /// Degrees north.
    pub latitude: f64,
    /// Degrees east.
    pub longitude: f64,
}

/// Today's sun times at a place, as the sun service gives them (UTC, "h:mm:ss AM").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SunTimes {
    /// Sunrise.
    pub sunrise: String,
    /// Sunset.
    pub sunset: String,
    /// The sun at its highest.
    pub solar_noon: String,
    /// Sunrise to sunset, "hh:mm:ss".
    pub day_length: String,
    /// Civil twilight begins.
    pub civil_twilight_begin: String,
    /// Civil twilight ends.
    pub civil_twilight_end: String,
    /// Nautical twilight begins.
    pub nautical_twilight_begin: String,
    /// Nautical twilight ends.
    pub nautical_twilight_end: String,
    /// Astronomical twilight begins.
    pub astronomical_twilight_begin: String,
    /// Astronomical twilight ends.
    pub astronomical_twilight_end: String,
}

/// The current weather at a place, in the API's own shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Weather {
    /// The city's name.
    pub city: String,
    /// In words, like "light rain".
    pub description: String,
    /// Degrees Celsius.
    pub temperature_c: f64,
    /// Relative humidity, in %.
    pub humidity: u32,
}

#[derive(Deserialize)]
struct SunAnswer {
    results: SunTimes,
}

#[derive(Deserialize)]
struct OwmAnswer {
    name: String,
    weather: Vec<OwmWeather>,
    main: OwmMain,
}

#[derive(Deserialize)]
struct OwmWeather {
    description: String,
}

#[derive(Deserialize)]
struct OwmMain {
    temp: f64,
    humidity: u32,
}

/// The three services the city API calls, each in two flavours: `async` (the waiting task
/// frees its thread) and `_blocking` (the calling thread waits).
///
/// Two modes (see the [module's documentation](self)): over HTTP to a [`FakeInternet`]
/// ([`Services::new`]: an async HTTP client, or a standard-library one for `_blocking`), or
/// cached ([`Services::cached`]: in-process waits drawn from the course's latencies, then the
/// same answers). Cheap to clone: clones share one connection pool, or one latency generator.
#[derive(Debug, Clone)]
pub struct Services {
    mode: Mode,
}

#[derive(Debug, Clone)]
enum Mode {
    Http {
        base: String,
        client: reqwest::Client,
    },
    Cached {
        scale: f64,
        rng: Arc<Mutex<StdRng>>,
    },
}

fn upstream(what: &str, e: impl std::fmt::Display) -> CityError {
    CityError::Upstream(format!("the {what} service failed: {e}"))
}

fn location_not_found(zip: &str, country: &str) -> CityError {
    CityError::NotFound(format!("no place with zip code {zip} in country {country}"))
}

fn weather_not_found(zip: &str, country: &str) -> CityError {
    CityError::NotFound(format!(
        "no weather for zip code {zip} in country {country}"
    ))
}

/// The weather in the API's shape, from the weather service's answer (temperature in kelvin).
fn weather_of(city: &str, description: &str, kelvin: f64, humidity: u32) -> Weather {
    Weather {
        city: city.to_string(),
        description: description.to_string(),
        temperature_c: ((kelvin - 273.15) * 10.0).round() / 10.0,
        humidity,
    }
}

impl Services {
    /// Services found on `internet`, called over HTTP.
    pub fn new(internet: &FakeInternet) -> Result<Self> {
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(usize::MAX)
            .build()
            .map_err(|e| Error::System(format!("could not build an HTTP client: {e}")))?;
        Ok(Services {
            mode: Mode::Http {
                base: internet.base_url(),
                client,
            },
        })
    }

    /// The course's cached mode, at the course's own latencies: each call waits in-process
    /// for a latency drawn from [`LOCATION_LATENCIES`], [`SUN_LATENCIES`] or
    /// [`WEATHER_LATENCIES`] (by a generator with a fixed seed, shared by every clone, so the
    /// sequence is the same on every run), then answers as the fake internet would. No
    /// socket is opened.
    ///
    /// ```
    /// let services = support::city::Services::cached();
    /// assert_eq!(services.describe(), "cached: in-process waits drawn from the course's latencies");
    /// ```
    pub fn cached() -> Services {
        Services {
            mode: Mode::Cached {
                scale: 1.0,
                rng: Arc::new(Mutex::new(StdRng::seed_from_u64(
                    crate::internet::DEFAULT_SEED,
                ))),
            },
        }
    }

    /// [`Services::cached`] with every wait multiplied by `scale` (more than 0, at most 10);
    /// tests use a small scale to run quickly.
    ///
    /// ```
    /// assert!(support::city::Services::cached_with_scale(0.1).is_ok());
    /// assert!(support::city::Services::cached_with_scale(0.0).is_err());
    /// ```
    pub fn cached_with_scale(scale: f64) -> Result<Services> {
        if !scale.is_finite() || scale <= 0.0 || scale > 10.0 {
            return Err(Error::InvalidInput(format!(
                "the cached services' latency scale must be more than 0 and at most 10, not \
                 {scale}"
            )));
        }
        let mut services = Services::cached();
        if let Mode::Cached { scale: s, .. } = &mut services.mode {
            *s = scale;
        }
        Ok(services)
    }

    /// Whether these are the cached services (no HTTP).
    pub fn is_cached(&self) -> bool {
        matches!(self.mode, Mode::Cached { .. })
    }

    /// Which mode, in words for a notebook: `"cached: in-process waits drawn from the
    /// course's latencies"` (with the scale when it is not 1), or `"over HTTP: the fake
    /// internet at http://127.0.0.1:…"`.
    pub fn describe(&self) -> String {
        match &self.mode {
            Mode::Http { base, .. } => format!("over HTTP: the fake internet at {base}"),
            Mode::Cached { scale, .. } if *scale == 1.0 => {
                "cached: in-process waits drawn from the course's latencies".to_string()
            }
            Mode::Cached { scale, .. } => {
                format!("cached: in-process waits drawn from the course's latencies, times {scale}")
            }
        }
    }

    /// Cached mode: one wait drawn from `choices`, scaled (zero over HTTP).
    fn draw(&self, choices: &[f64]) -> Duration {
        match &self.mode {
            Mode::Cached { scale, rng } => crate::internet::draw_latency(rng, choices, *scale),
            Mode::Http { .. } => Duration::ZERO,
        }
    }

    fn base(&self) -> &str {
        match &self.mode {
            Mode::Http { base, .. } => base,
            Mode::Cached { .. } => "",
        }
    }

    fn location_url(&self, zip: &str, country: &str) -> String {
        format!("{}/dstk/street2coordinates/{zip}+{country}", self.base())
    }

    fn sun_url(&self, at: &Location) -> String {
        format!(
            "{}/sunrise-sunset/json?lat={}&lng={}",
            self.base(),
            at.latitude,
            at.longitude
        )
    }

    fn weather_url(&self, zip: &str, country: &str) -> String {
        format!("{}/owm/data/2.5/weather?zip={zip},{country}", self.base())
    }

    async fn get(&self, what: &str, url: &str) -> std::result::Result<(u16, String), CityError> {
        let Mode::Http { client, .. } = &self.mode else {
            return Err(upstream(what, "the cached services make no HTTP requests"));
        };
        let answer = client
            .get(url)
            .send()
            .await
            .map_err(|e| upstream(what, e))?;
        let status = answer.status().as_u16();
        let body = answer.text().await.map_err(|e| upstream(what, e))?;
        Ok((status, body))
    }

    fn get_blocking(what: &str, url: &str) -> std::result::Result<(u16, String), CityError> {
        crate::titles::fetch_with_status(url).map_err(|e| upstream(what, e))
    }

    /// Cached mode: the location service's answer (after the wait).
    fn cached_location(zip: &str, country: &str) -> std::result::Result<Location, CityError> {
        match crate::internet::location_answer(&format!("{zip}+{country}")) {
            (_, Some(place)) => Ok(Location {
                latitude: place.2,
                longitude: place.3,
            }),
            (_, None) => Err(location_not_found(zip, country)),
        }
    }

    /// Cached mode: the sun service's answer (after the wait).
    fn cached_sun(at: &Location) -> std::result::Result<SunTimes, CityError> {
        crate::internet::sun_answer(at.latitude, at.longitude)
            .ok_or_else(|| upstream("sun", "it answered 400"))
    }

    /// Cached mode: the weather service's answer (after the wait).
    fn cached_weather(zip: &str, country: &str) -> std::result::Result<Weather, CityError> {
        match crate::internet::weather_answer(&format!("{zip},{country}")) {
            Some(&(_, _, _, _, city, description, kelvin, humidity)) => {
                Ok(weather_of(city, description, kelvin, humidity))
            }
            None => Err(weather_not_found(zip, country)),
        }
    }

    /// Where `zip` in `country` is (the course's `location_service.get_lat_long`).
    /// `NotFound` for a place the service does not know.
    pub async fn location(
        &self,
        zip: &str,
        country: &str,
    ) -> std::result::Result<Location, CityError> {
        if self.is_cached() {
            tokio::time::sleep(self.draw(&LOCATION_LATENCIES)).await;
            return Self::cached_location(zip, country);
        }
        let answer = self
            .get("location", &self.location_url(zip, country))
            .await?;
        read_location(zip, country, answer)
    }

    /// [`Services::location`], blocking the calling thread.
    pub fn location_blocking(
        &self,
        zip: &str,
        country: &str,
    ) -> std::result::Result<Location, CityError> {
        if self.is_cached() {
            std::thread::sleep(self.draw(&LOCATION_LATENCIES));
            return Self::cached_location(zip, country);
        }
        let answer = Self::get_blocking("location", &self.location_url(zip, country))?;
        read_location(zip, country, answer)
    }

    /// Today's sun times at `at` (the course's `sun_service.for_today`).
    pub async fn sun_for_today(&self, at: &Location) -> std::result::Result<SunTimes, CityError> {
        if self.is_cached() {
            tokio::time::sleep(self.draw(&SUN_LATENCIES)).await;
            return Self::cached_sun(at);
        }
        let answer = self.get("sun", &self.sun_url(at)).await?;
        read_sun(answer)
    }

    /// [`Services::sun_for_today`], blocking the calling thread.
    pub fn sun_for_today_blocking(
        &self,
        at: &Location,
    ) -> std::result::Result<SunTimes, CityError> {
        if self.is_cached() {
            std::thread::sleep(self.draw(&SUN_LATENCIES));
            return Self::cached_sun(at);
        }
        read_sun(Self::get_blocking("sun", &self.sun_url(at))?)
    }

    /// The current weather at `zip` in `country` (the course's `weather_service.get_current`).
    pub async fn weather(
        &self,
        zip: &str,
        country: &str,
    ) -> std::result::Result<Weather, CityError> {
        if self.is_cached() {
            tokio::time::sleep(self.draw(&WEATHER_LATENCIES)).await;
            return Self::cached_weather(zip, country);
        }
        let answer = self.get("weather", &self.weather_url(zip, country)).await?;
        read_weather(zip, country, answer)
    }

    /// [`Services::weather`], blocking the calling thread.
    pub fn weather_blocking(
        &self,
        zip: &str,
        country: &str,
    ) -> std::result::Result<Weather, CityError> {
        if self.is_cached() {
            std::thread::sleep(self.draw(&WEATHER_LATENCIES));
            return Self::cached_weather(zip, country);
        }
        let answer = Self::get_blocking("weather", &self.weather_url(zip, country))?;
        read_weather(zip, country, answer)
    }
}

fn read_location(
    zip: &str,
    country: &str,
    (status, body): (u16, String),
) -> std::result::Result<Location, CityError> {
    if status != 200 {
        return Err(upstream("location", format!("it answered {status}")));
    }
    let answer: serde_json::Value =
        serde_json::from_str(&body).map_err(|e| upstream("location", e))?;
    let found = answer
        .as_object()
        .and_then(|places| places.values().next())
        .cloned()
        .unwrap_or_default();
    if found.is_null() {
        return Err(location_not_found(zip, country));
    }
    serde_json::from_value(found).map_err(|e| upstream("location", e))
}

fn read_sun((status, body): (u16, String)) -> std::result::Result<SunTimes, CityError> {
    if status != 200 {
        return Err(upstream("sun", format!("it answered {status}")));
    }
    serde_json::from_str::<SunAnswer>(&body)
        .map(|a| a.results)
        .map_err(|e| upstream("sun", e))
}

fn read_weather(
    zip: &str,
    country: &str,
    (status, body): (u16, String),
) -> std::result::Result<Weather, CityError> {
    match status {
        200 => {}
        404 => return Err(weather_not_found(zip, country)),
        other => return Err(upstream("weather", format!("it answered {other}"))),
    }
    let answer: OwmAnswer = serde_json::from_str(&body).map_err(|e| upstream("weather", e))?;
    let description = answer
        .weather
        .first()
        .map(|w| w.description.as_str())
        .unwrap_or_default();
    Ok(weather_of(
        &answer.name,
        description,
        answer.main.temp,
        answer.main.humidity,
    ))
}

/// An axum app served on `127.0.0.1` (a free port) by a runtime of its own, with a given
/// number of worker threads, on a thread of its own. Stopping it (or dropping it) closes the
/// listener, drops every connection and joins the runtime's threads, so nothing is left
/// running; a worker stuck in a blocking call is waited for up to 10 s.
///
/// ```
/// use support::axum::{Router, routing::get};
/// let app = Router::new().route("/", get(|| async { "hello" }));
/// let server = support::city::AppServer::start(app, 1)?;
/// assert_eq!(support::titles::fetch(&server.url("/"))?, "hello");
/// server.stop()?;
/// assert!(support::city::AppServer::start(Router::new(), 0).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct AppServer {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<Result<()>>>,
}

impl AppServer {
    /// Starts serving `app` with `workers` worker threads (at least 1).
    pub fn start(app: axum::Router, workers: usize) -> Result<AppServer> {
        let workers = crate::error::workers(workers)?;
        let (listener, addr) = crate::internet::listen_on_loopback(0, "the app server")?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name("app-server")
            .enable_all()
            .build()
            .map_err(|e| Error::System(format!("could not build the server's runtime: {e}")))?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("app-server-main".into())
            .spawn(move || {
                let outcome = runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener).map_err(|e| {
                        Error::System(format!("could not register the socket: {e}"))
                    })?;
                    tokio::select! {
                        served = axum::serve(listener, app).into_future() => served
                            .map_err(|e| Error::System(format!("the app server stopped: {e}"))),
                        _ = stopped => Ok(()),
                    }
                });
                runtime.shutdown_timeout(Duration::from_secs(10));
                outcome
            })
            .map_err(|e| Error::System(format!("could not start the server thread: {e}")))?;
        Ok(AppServer {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The address it listens on (always `127.0.0.1`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:{port}{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Stops the server and joins its threads.
    pub fn stop(mut self) -> Result<()> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        crate::internet::join_server(self.thread.take(), "the app server")
    }
}

impl Drop for AppServer {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use axum::extract::{Path, State};
    use axum::routing::get;

    /// The async sun handler, as chapter 08 writes it (also served by `load`'s benchmark).
    pub(crate) async fn sun(
        State(services): State<Services>,
        Path((zip, country)): Path<(String, String)>,
    ) -> std::result::Result<Json<SunTimes>, CityError> {
        check_place(&zip, &country)?;
        let at = services.location(&zip, &country).await?;
        Ok(Json(services.sun_for_today(&at).await?))
    }

    async fn weather(
        State(services): State<Services>,
        Path((zip, country)): Path<(String, String)>,
    ) -> std::result::Result<Json<Weather>, CityError> {
        check_place(&zip, &country)?;
        Ok(Json(services.weather(&zip, &country).await?))
    }

    fn quick() -> FakeInternet {
        FakeInternet::builder()
            .service_latency_scale(0.01)
            .start()
            .unwrap()
    }

    #[test]
    fn the_app_answers_good_and_bad_requests() {
        let internet = quick();
        let services = Services::new(&internet).unwrap();
        let app = axum::Router::new()
            .route("/api/sun/{zip}/{country}", get(sun))
            .route("/api/weather/{zip}/{country}", get(weather))
            .with_state(services);
        let server = AppServer::start(app, 2).unwrap();
        let get = |path: &str| crate::titles::fetch_with_status(&server.url(path)).unwrap();
        let (status, body) = get("/api/sun/97227/us");
        assert_eq!(status, 200, "{body}");
        let times: SunTimes = serde_json::from_str(&body).unwrap();
        assert_eq!(times.sunset, "08:28:48 PM");
        let (status, body) = get("/api/weather/10001/us");
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("New York"), "{body}");
        for (path, expected, says) in [
            ("/api/sun/99999/us", 404, "no place with zip code 99999"),
            (
                "/api/weather/99999/us",
                404,
                "no weather for zip code 99999",
            ),
            ("/api/sun/97227/usa", 400, "two-letter code"),
            ("/api/sun/97%3B27/us", 400, "letters and digits"),
            (
                &format!("/api/sun/{}/us", "1".repeat(5000)),
                400,
                "at most 10",
            ),
            ("/api/sun/97227", 404, ""),
        ] {
            let (status, body) = get(path);
            assert_eq!(status, expected, "{path}: {body}");
            assert!(body.contains(says), "{path}: {body}");
        }
        server.stop().unwrap();
    }

    #[test]
    fn blocking_and_async_services_agree() {
        let internet = quick();
        let services = Services::new(&internet).unwrap();
        let blocking = services.weather_blocking("78701", "us").unwrap();
        let awaited = crate::rt::block_on(services.weather("78701", "us")).unwrap();
        assert_eq!(blocking, awaited.unwrap());
        assert_eq!(blocking.temperature_c, 28.1);
        assert!(matches!(
            services.location_blocking("00000", "us"),
            Err(CityError::NotFound(_))
        ));
    }

    #[test]
    fn a_dead_service_is_a_bad_gateway() {
        let internet = quick();
        let services = Services::new(&internet).unwrap();
        drop(internet);
        let err = services.location_blocking("97227", "us").unwrap_err();
        assert_eq!(err.status(), StatusCode::BAD_GATEWAY);
        assert!(err.to_string().contains("location service failed"), "{err}");
    }

    #[test]
    fn cached_mode_answers_like_http_mode() {
        let internet = quick();
        let http = Services::new(&internet).unwrap();
        let cached = Services::cached_with_scale(0.01).unwrap();
        assert!(cached.is_cached() && !http.is_cached());
        assert!(
            http.describe().contains(&internet.base_url()),
            "{}",
            http.describe()
        );
        assert!(
            cached.describe().starts_with("cached: "),
            "{}",
            cached.describe()
        );
        for (zip, country) in [
            ("97227", "us"),
            ("10001", "US"),
            ("60601", "us"),
            ("94103", "us"),
            ("78701", "us"),
            ("99999", "us"),
            ("97227", "ca"),
            ("", "us"),
        ] {
            assert_eq!(
                cached.location_blocking(zip, country),
                http.location_blocking(zip, country),
                "{zip} {country}"
            );
            assert_eq!(
                crate::rt::block_on(cached.location(zip, country)).unwrap(),
                crate::rt::block_on(http.location(zip, country)).unwrap(),
                "{zip} {country}"
            );
            assert_eq!(
                cached.weather_blocking(zip, country),
                http.weather_blocking(zip, country),
                "{zip} {country}"
            );
            assert_eq!(
                crate::rt::block_on(cached.weather(zip, country)).unwrap(),
                crate::rt::block_on(http.weather(zip, country)).unwrap(),
                "{zip} {country}"
            );
        }
        for at in [
            Location {
                latitude: 45.50655,
                longitude: -122.733888,
            },
            Location {
                latitude: 91.0,
                longitude: 0.0,
            },
            Location {
                latitude: 0.0,
                longitude: f64::NAN,
            },
        ] {
            let (a, b) = (
                cached.sun_for_today_blocking(&at),
                http.sun_for_today_blocking(&at),
            );
            assert_eq!(a, b, "{at:?}");
            let (c, d) = (
                crate::rt::block_on(cached.sun_for_today(&at)).unwrap(),
                crate::rt::block_on(http.sun_for_today(&at)).unwrap(),
            );
            assert_eq!(c, d, "{at:?}");
            assert_eq!(a, c);
        }
        let sun = cached
            .sun_for_today_blocking(&cached.location_blocking("97227", "us").unwrap())
            .unwrap();
        assert_eq!(sun.civil_twilight_begin, "05:31:10 AM");
        assert_eq!(sun.nautical_twilight_begin, "04:49:54 AM");
        assert_eq!(sun.nautical_twilight_end, "09:43:03 PM");
        assert_eq!(sun.astronomical_twilight_begin, "04:03:13 AM");
        assert_eq!(sun.astronomical_twilight_end, "10:29:44 PM");
        assert!(matches!(
            cached.location_blocking("99999", "us"),
            Err(CityError::NotFound(m)) if m == "no place with zip code 99999 in country us"
        ));
    }

    #[test]
    fn cached_waits_are_drawn_from_the_course_lists() {
        use crate::internet::{LOCATION_LATENCIES, SUN_LATENCIES};
        let scale = 0.01;
        let services = Services::cached_with_scale(scale).unwrap();
        let draws: Vec<f64> = (0..50)
            .map(|_| services.draw(&LOCATION_LATENCIES).as_secs_f64())
            .collect();
        for draw in &draws {
            assert!(
                LOCATION_LATENCIES
                    .iter()
                    .any(|l| (l * scale - draw).abs() < 1e-9),
                "{draw}"
            );
        }
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        assert!((0.288 * scale..=0.536 * scale).contains(&mean), "{mean}");
        // More than one value drawn, and the same sequence from a fresh generator: fixed seed.
        assert!(draws.iter().any(|d| (d - draws[0]).abs() > 1e-9));
        let again = Services::cached_with_scale(scale).unwrap();
        let repeat: Vec<f64> = (0..50)
            .map(|_| again.draw(&LOCATION_LATENCIES).as_secs_f64())
            .collect();
        assert_eq!(draws, repeat);
        // Clones share one generator: drawing from a clone moves the original's sequence on.
        let (a, b) = (Services::cached(), Services::cached());
        let twin = a.clone();
        let first = a.draw(&SUN_LATENCIES);
        let second = twin.draw(&SUN_LATENCIES);
        assert_eq!(first, b.draw(&SUN_LATENCIES));
        assert_eq!(second, b.draw(&SUN_LATENCIES));
        // The default scale is the course's own.
        let course = Services::cached().draw(&SUN_LATENCIES).as_secs_f64();
        assert!(SUN_LATENCIES.contains(&course), "{course}");
    }

    #[test]
    fn cached_mode_needs_no_fake_internet() {
        // No FakeInternet anywhere in this test: cached calls open no socket.
        let services = Services::cached_with_scale(0.001).unwrap();
        let app = axum::Router::new()
            .route("/api/sun/{zip}/{country}", get(sun))
            .route("/api/weather/{zip}/{country}", get(weather))
            .with_state(services.clone());
        let server = AppServer::start(app, 1).unwrap();
        let (status, body) =
            crate::titles::fetch_with_status(&server.url("/api/sun/97227/us")).unwrap();
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("06:04:09 AM"), "{body}");
        let (status, body) =
            crate::titles::fetch_with_status(&server.url("/api/weather/99999/us")).unwrap();
        assert_eq!(status, 404, "{body}");
        server.stop().unwrap();
        assert_eq!(
            services
                .weather_blocking("78701", "us")
                .unwrap()
                .temperature_c,
            28.1
        );
        for bad in [0.0, -1.0, 10.5, f64::NAN, f64::INFINITY] {
            assert!(
                matches!(
                    Services::cached_with_scale(bad),
                    Err(Error::InvalidInput(_))
                ),
                "{bad}"
            );
        }
        assert!(Services::cached_with_scale(10.0).is_ok());
    }

    #[test]
    fn the_server_stops_and_frees_its_port() {
        let server = AppServer::start(axum::Router::new(), 1).unwrap();
        let addr = server.addr();
        assert!(addr.ip().is_loopback());
        server.stop().unwrap();
        assert!(std::net::TcpStream::connect(addr).is_err());
    }
}
