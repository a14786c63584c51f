//! The pieces of chapter 08's city API (the course's `cityscape_api`) around its handlers: the
//! services it calls ([`Services`]), the checks on what a client sends ([`check_place`]) and the
//! ways a request can be turned down ([`CityError`]). The handlers, and what status each error
//! becomes, are written in the notebook, in three styles. What the services know and how long
//! they take is in [`crate::city_data`]; the server that runs an app is
//! [`crate::server::AppServer`].
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

mod services;

pub use crate::city_data::{
    LOCATION_LATENCIES, Location, SUN_LATENCIES, SunTimes, WEATHER_LATENCIES, mean_latency,
};
pub use services::{Services, Weather};

/// The longest zip code the API accepts (the longest in use are 10 characters).
pub const MAX_ZIP_LEN: usize = 10;

/// Why the API turned a request down. The app decides what the client sees for each (the
/// notebook answers 400, 404 and 502 with a JSON body `{"error": "…"}`); [`CityError::message`]
/// says what was wrong.
#[derive(Debug, Clone, PartialEq)]
pub enum CityError {
    /// The zip code or country code is malformed or too long.
    BadRequest(String),
    /// No such place.
    NotFound(String),
    /// A service the API depends on failed.
    Upstream(String),
}

impl CityError {
    /// The message for the client.
    pub fn message(&self) -> &str {
        match self {
            CityError::BadRequest(m) | CityError::NotFound(m) | CityError::Upstream(m) => m,
        }
    }
}

impl std::fmt::Display for CityError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for CityError {}

/// Checks a zip code and a country code before any service is called: the zip code must be 1
/// to [`MAX_ZIP_LEN`] letters or digits, the country code two letters.
///
/// ```
/// use support::city::{check_place, CityError};
/// assert!(check_place("97227", "us").is_ok());
/// assert!(matches!(check_place("97227", "usa"), Err(CityError::BadRequest(_))));
/// assert!(matches!(check_place(&"9".repeat(500), "us"), Err(CityError::BadRequest(_))));
/// ```
pub fn check_place(zip: &str, country: &str) -> Result<(), CityError> {
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

/// An app with the notebook's async sun and weather routes, for tests here and in
/// [`crate::load`].
#[cfg(test)]
pub(crate) fn test_app(services: Services) -> axum::Router {
    use axum::Json;
    use axum::extract::{Path, State};
    use axum::http::StatusCode;
    use axum::response::{IntoResponse, Response};
    use axum::routing::get;

    struct ApiError(CityError);
    impl From<CityError> for ApiError {
        fn from(error: CityError) -> Self {
            ApiError(error)
        }
    }
    impl IntoResponse for ApiError {
        fn into_response(self) -> Response {
            let status = match &self.0 {
                CityError::BadRequest(_) => StatusCode::BAD_REQUEST,
                CityError::NotFound(_) => StatusCode::NOT_FOUND,
                CityError::Upstream(_) => StatusCode::BAD_GATEWAY,
            };
            (
                status,
                Json(serde_json::json!({ "error": self.0.message() })),
            )
                .into_response()
        }
    }
    async fn sun(
        State(services): State<Services>,
        Path((zip, country)): Path<(String, String)>,
    ) -> Result<Json<SunTimes>, ApiError> {
        check_place(&zip, &country)?;
        let at = services.location(&zip, &country).await?;
        Ok(Json(services.sun_for_today(&at).await?))
    }
    async fn weather(
        State(services): State<Services>,
        Path((zip, country)): Path<(String, String)>,
    ) -> Result<Json<Weather>, ApiError> {
        check_place(&zip, &country)?;
        Ok(Json(services.weather(&zip, &country).await?))
    }
    axum::Router::new()
        .route("/api/sun/{zip}/{country}", get(sun))
        .route("/api/weather/{zip}/{country}", get(weather))
        .with_state(services)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_places_are_turned_down_before_any_service() {
        for (zip, country) in [
            ("97227", "usa"),
            ("97;27", "us"),
            ("", "us"),
            ("97227", "u5"),
        ] {
            assert!(
                matches!(check_place(zip, country), Err(CityError::BadRequest(_))),
                "{zip:?} {country:?}"
            );
        }
        let long = check_place(&"1".repeat(5000), "us").unwrap_err();
        assert!(long.to_string().contains("at most 10"), "{long}");
        assert!(check_place("SW1A1AA", "gb").is_ok());
    }
}
