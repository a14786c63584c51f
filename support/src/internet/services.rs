//! The three services of chapter 08's city API, as the fake internet serves them: a location
//! service (like the Data Science Toolkit), a sun service (like sunrise-sunset.org) and a weather
//! service (like OpenWeatherMap). Each answers after a latency drawn from the course's measured
//! ones ([`crate::city_data`]), from the same data the city API's cached mode reads.

use super::{InFlight, Site};
use crate::city_data::{
    LOCATION_LATENCIES, Location, SUN_LATENCIES, WEATHER_LATENCIES, location_answer, sun_answer,
    weather_answer,
};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::Arc;

/// The location service: `{"97227, us": {"latitude": …, "longitude": …}}`, or `null` in place
/// of the object for a place it does not know (as the Data Science Toolkit answered).
pub(super) async fn street2coordinates(
    State(site): State<Arc<Site>>,
    Path(key): Path<String>,
) -> Response {
    let _counted = InFlight::enter(&site.stats);
    tokio::time::sleep(site.service_latency(&LOCATION_LATENCIES)).await;
    let (key, found) = location_answer(&key);
    let found = found.map(|place| serde_json::to_value(place.location).unwrap_or_default());
    let mut answer = serde_json::Map::new();
    answer.insert(key, found.unwrap_or(serde_json::Value::Null));
    axum::Json(serde_json::Value::Object(answer)).into_response()
}

/// The sun service: today's times (the course's cached answer) for any valid coordinates.
pub(super) async fn sunrise_sunset(
    State(site): State<Arc<Site>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let _counted = InFlight::enter(&site.stats);
    tokio::time::sleep(site.service_latency(&SUN_LATENCIES)).await;
    let coordinate = |name: &str| query.get(name).and_then(|v| v.parse::<f64>().ok());
    let times = match (coordinate("lat"), coordinate("lng")) {
        (Some(latitude), Some(longitude)) => sun_answer(Location {
            latitude,
            longitude,
        }),
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
pub(super) async fn owm_weather(
    State(site): State<Arc<Site>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let _counted = InFlight::enter(&site.stats);
    tokio::time::sleep(site.service_latency(&WEATHER_LATENCIES)).await;
    let key = query.get("zip").map(String::as_str).unwrap_or("");
    match weather_answer(key) {
        Some(place) => axum::Json(serde_json::json!({
            "coord": { "lon": place.location.longitude, "lat": place.location.latitude },
            "weather": [{ "main": place.description, "description": place.description }],
            "main": { "temp": place.kelvin, "pressure": 1016, "humidity": place.humidity },
            "wind": { "speed": 3.6, "deg": 250 },
            "clouds": { "all": 40 },
            "name": place.city
        }))
        .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            axum::Json(serde_json::json!({ "cod": "404", "message": "city not found" })),
        )
            .into_response(),
    }
}
