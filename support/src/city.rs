//! The pieces of chapter 08's city API (the course's `cityscape_api`): the services it calls,
//! the checks on what a client sends, the errors it answers with, and a server that runs any
//! axum app on loopback. The handlers themselves are written in the notebook, twice: once
//! awaiting the services (the Quart model) and once blocking on them (the Flask model).
//!
//! The services are the fake internet's location, sun and weather endpoints
//! ([`crate::internet`]), which answer after the course's cached latencies.
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

use crate::error::{Error, Result};
use crate::internet::FakeInternet;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
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

/// The three services the city API calls, each in two flavours: `async` (an async HTTP client;
/// the waiting task frees its thread) and `_blocking` (a standard-library client; the calling
/// thread waits). Cheap to clone: clones share one connection pool.
#[derive(Debug, Clone)]
pub struct Services {
    base: String,
    client: reqwest::Client,
}

fn upstream(what: &str, e: impl std::fmt::Display) -> CityError {
    CityError::Upstream(format!("the {what} service failed: {e}"))
}

impl Services {
    /// Services found on `internet`.
    pub fn new(internet: &FakeInternet) -> Result<Self> {
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(usize::MAX)
            .build()
            .map_err(|e| Error::System(format!("could not build an HTTP client: {e}")))?;
        Ok(Services {
            base: internet.base_url(),
            client,
        })
    }

    fn location_url(&self, zip: &str, country: &str) -> String {
        format!("{}/dstk/street2coordinates/{zip}+{country}", self.base)
    }

    fn sun_url(&self, at: &Location) -> String {
        format!(
            "{}/sunrise-sunset/json?lat={}&lng={}",
            self.base, at.latitude, at.longitude
        )
    }

    fn weather_url(&self, zip: &str, country: &str) -> String {
        format!("{}/owm/data/2.5/weather?zip={zip},{country}", self.base)
    }

    async fn get(&self, what: &str, url: &str) -> std::result::Result<(u16, String), CityError> {
        let answer = self
            .client
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

    /// Where `zip` in `country` is (the course's `location_service.get_lat_long`).
    /// `NotFound` for a place the service does not know.
    pub async fn location(
        &self,
        zip: &str,
        country: &str,
    ) -> std::result::Result<Location, CityError> {
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
        let answer = Self::get_blocking("location", &self.location_url(zip, country))?;
        read_location(zip, country, answer)
    }

    /// Today's sun times at `at` (the course's `sun_service.for_today`).
    pub async fn sun_for_today(&self, at: &Location) -> std::result::Result<SunTimes, CityError> {
        let answer = self.get("sun", &self.sun_url(at)).await?;
        read_sun(answer)
    }

    /// [`Services::sun_for_today`], blocking the calling thread.
    pub fn sun_for_today_blocking(
        &self,
        at: &Location,
    ) -> std::result::Result<SunTimes, CityError> {
        read_sun(Self::get_blocking("sun", &self.sun_url(at))?)
    }

    /// The current weather at `zip` in `country` (the course's `weather_service.get_current`).
    pub async fn weather(
        &self,
        zip: &str,
        country: &str,
    ) -> std::result::Result<Weather, CityError> {
        let answer = self.get("weather", &self.weather_url(zip, country)).await?;
        read_weather(zip, country, answer)
    }

    /// [`Services::weather`], blocking the calling thread.
    pub fn weather_blocking(
        &self,
        zip: &str,
        country: &str,
    ) -> std::result::Result<Weather, CityError> {
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
        return Err(CityError::NotFound(format!(
            "no place with zip code {zip} in country {country}"
        )));
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
        404 => {
            return Err(CityError::NotFound(format!(
                "no weather for zip code {zip} in country {country}"
            )));
        }
        other => return Err(upstream("weather", format!("it answered {other}"))),
    }
    let answer: OwmAnswer = serde_json::from_str(&body).map_err(|e| upstream("weather", e))?;
    Ok(Weather {
        city: answer.name,
        description: answer
            .weather
            .first()
            .map(|w| w.description.clone())
            .unwrap_or_default(),
        temperature_c: ((answer.main.temp - 273.15) * 10.0).round() / 10.0,
        humidity: answer.main.humidity,
    })
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
mod tests {
    use super::*;
    use axum::extract::{Path, State};
    use axum::routing::get;

    async fn sun(
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
    fn the_server_stops_and_frees_its_port() {
        let server = AppServer::start(axum::Router::new(), 1).unwrap();
        let addr = server.addr();
        assert!(addr.ip().is_loopback());
        server.stop().unwrap();
        assert!(std::net::TcpStream::connect(addr).is_err());
    }
}
