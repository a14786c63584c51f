//! The three services the city API calls, in both flavours and both modes.

use super::CityError;
use crate::city_data::{
    DEFAULT_SEED, LOCATION_LATENCIES, Location, Place, SUN_LATENCIES, SunTimes, WEATHER_LATENCIES,
    draw_latency, location_answer, sun_answer, weather_answer,
};
use crate::error::Error;
use crate::internet::FakeInternet;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};
use std::time::Duration;

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

/// [`weather_of`] a place the weather service knows.
fn weather_at(place: &Place) -> Weather {
    weather_of(place.city, place.description, place.kelvin, place.humidity)
}

impl Services {
    /// Services found on `internet`, called over HTTP.
    pub fn new(internet: &FakeInternet) -> crate::Result<Self> {
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
                rng: Arc::new(Mutex::new(StdRng::seed_from_u64(DEFAULT_SEED))),
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
    pub fn cached_with_scale(scale: f64) -> crate::Result<Services> {
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
            Mode::Cached { scale, rng } => draw_latency(rng, choices, *scale),
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

    async fn get(&self, what: &str, url: &str) -> Result<(u16, String), CityError> {
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

    fn get_blocking(what: &str, url: &str) -> Result<(u16, String), CityError> {
        crate::titles::fetch_with_status(url).map_err(|e| upstream(what, e))
    }

    /// Cached mode: the location service's answer (after the wait).
    fn cached_location(zip: &str, country: &str) -> Result<Location, CityError> {
        match location_answer(&format!("{zip}+{country}")) {
            (_, Some(place)) => Ok(place.location),
            (_, None) => Err(location_not_found(zip, country)),
        }
    }

    /// Cached mode: the sun service's answer (after the wait).
    fn cached_sun(at: &Location) -> Result<SunTimes, CityError> {
        sun_answer(*at).ok_or_else(|| upstream("sun", "it answered 400"))
    }

    /// Cached mode: the weather service's answer (after the wait).
    fn cached_weather(zip: &str, country: &str) -> Result<Weather, CityError> {
        weather_answer(&format!("{zip},{country}"))
            .map(weather_at)
            .ok_or_else(|| weather_not_found(zip, country))
    }

    /// Where `zip` in `country` is (the course's `location_service.get_lat_long`).
    /// `NotFound` for a place the service does not know.
    pub async fn location(&self, zip: &str, country: &str) -> Result<Location, CityError> {
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
    pub fn location_blocking(&self, zip: &str, country: &str) -> Result<Location, CityError> {
        if self.is_cached() {
            std::thread::sleep(self.draw(&LOCATION_LATENCIES));
            return Self::cached_location(zip, country);
        }
        let answer = Self::get_blocking("location", &self.location_url(zip, country))?;
        read_location(zip, country, answer)
    }

    /// Today's sun times at `at` (the course's `sun_service.for_today`).
    pub async fn sun_for_today(&self, at: &Location) -> Result<SunTimes, CityError> {
        if self.is_cached() {
            tokio::time::sleep(self.draw(&SUN_LATENCIES)).await;
            return Self::cached_sun(at);
        }
        let answer = self.get("sun", &self.sun_url(at)).await?;
        read_sun(answer)
    }

    /// [`Services::sun_for_today`], blocking the calling thread.
    pub fn sun_for_today_blocking(&self, at: &Location) -> Result<SunTimes, CityError> {
        if self.is_cached() {
            std::thread::sleep(self.draw(&SUN_LATENCIES));
            return Self::cached_sun(at);
        }
        read_sun(Self::get_blocking("sun", &self.sun_url(at))?)
    }

    /// The current weather at `zip` in `country` (the course's `weather_service.get_current`).
    pub async fn weather(&self, zip: &str, country: &str) -> Result<Weather, CityError> {
        if self.is_cached() {
            tokio::time::sleep(self.draw(&WEATHER_LATENCIES)).await;
            return Self::cached_weather(zip, country);
        }
        let answer = self.get("weather", &self.weather_url(zip, country)).await?;
        read_weather(zip, country, answer)
    }

    /// [`Services::weather`], blocking the calling thread.
    pub fn weather_blocking(&self, zip: &str, country: &str) -> Result<Weather, CityError> {
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
) -> Result<Location, CityError> {
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

fn read_sun((status, body): (u16, String)) -> Result<SunTimes, CityError> {
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
) -> Result<Weather, CityError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::city::test_app;
    use crate::server::AppServer;

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
        let server = AppServer::start(test_app(services), 2).unwrap();
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
        assert!(matches!(err, CityError::Upstream(_)), "{err:?}");
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
        let server = AppServer::start(test_app(services.clone()), 1).unwrap();
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
}
