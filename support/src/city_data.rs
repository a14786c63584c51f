//! What chapter 08's three services know, and how long they take to answer: the places, today's
//! sun times, and the latencies the course measured. Both ways of reaching the services read
//! from here, so they give the same answers: the fake internet's endpoints ([`crate::internet`])
//! and the city API's cached mode ([`crate::city::Services::cached`]).

use rand::RngExt;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};
use std::sync::Mutex;
use std::time::Duration;

/// A place the city services know, and its (invented) current weather.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Place {
    /// The zip code, like `"97227"`.
    pub zip: &'static str,
    /// The two-letter country code, like `"us"`.
    pub country: &'static str,
    /// Where it is.
    pub location: Location,
    /// The city's name.
    pub city: &'static str,
    /// The weather in words, like `"light rain"`.
    pub description: &'static str,
    /// The temperature, in kelvin (as OpenWeatherMap gives it).
    pub kelvin: f64,
    /// Relative humidity, in %.
    pub humidity: u32,
}

/// Where a place is.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Location {
    /// Degrees north.
    pub latitude: f64,
    /// Degrees east.
    pub longitude: f64,
}

const fn place(
    zip: &'static str,
    (latitude, longitude): (f64, f64),
    city: &'static str,
    description: &'static str,
    kelvin: f64,
    humidity: u32,
) -> Place {
    Place {
        zip,
        country: "us",
        location: Location {
            latitude,
            longitude,
        },
        city,
        description,
        kelvin,
        humidity,
    }
}

/// The places the location and weather services know. 97227 is the course's demo zip code
/// (Portland, Oregon); the coordinates are the course's cached ones for it. The others, and
/// every place's weather, are invented.
pub const PLACES: [Place; 5] = [
    place(
        "97227",
        (45.50655, -122.733888),
        "Portland",
        "light rain",
        287.15,
        81,
    ),
    place(
        "10001",
        (40.7506, -73.9972),
        "New York",
        "clear sky",
        293.7,
        52,
    ),
    place(
        "60601",
        (41.8858, -87.6181),
        "Chicago",
        "broken clouds",
        283.4,
        66,
    ),
    place(
        "94103",
        (37.7726, -122.4099),
        "San Francisco",
        "fog",
        288.9,
        90,
    ),
    place(
        "78701",
        (30.2711, -97.7437),
        "Austin",
        "few clouds",
        301.2,
        45,
    ),
];

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

/// Latencies (seconds) of the location service, one drawn per answer: the 13 the course
/// measured for its cached mode (its `location_service.py`), between 0.288 and 0.536 s, with a
/// mean of 0.41021 s.
///
/// ```
/// use support::city_data::{mean_latency, LOCATION_LATENCIES, SUN_LATENCIES};
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

fn find(zip: &str, country: &str) -> Option<&'static Place> {
    PLACES
        .iter()
        .find(|p| p.zip == zip && p.country.eq_ignore_ascii_case(country))
}

/// What the location service answers for `{zip}+{country}` (its path's last segment): the key
/// it answers under (`"97227, us"`) and the place, if it knows it.
pub(crate) fn location_answer(key: &str) -> (String, Option<&'static Place>) {
    let (zip, country) = key.split_once(['+', ' ']).unwrap_or((key, ""));
    let (zip, country) = (zip.trim(), country.trim());
    (format!("{zip}, {country}"), find(zip, country))
}

/// What the weather service answers for `zip={zip},{country}` (the query's value): the place,
/// if it knows it (a missing country means `us`, as OpenWeatherMap assumed).
pub(crate) fn weather_answer(key: &str) -> Option<&'static Place> {
    let (zip, country) = key.split_once(',').unwrap_or((key, "us"));
    find(zip.trim(), country.trim())
}

/// What the sun service answers at `at`: today's times (the course's cached answer, the same
/// for every place), or `None` for coordinates off the globe.
pub(crate) fn sun_answer(at: Location) -> Option<SunTimes> {
    if !(at.latitude.abs() <= 90.0 && at.longitude.abs() <= 180.0) {
        return None;
    }
    let time = |t: &str| t.to_string();
    Some(SunTimes {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_services_know_the_same_places() {
        let (key, found) = location_answer("97227+us");
        assert_eq!(key, "97227, us");
        assert_eq!(found.map(|p| p.city), Some("Portland"));
        assert_eq!(location_answer("97227+CA").1, None);
        assert_eq!(weather_answer("10001").map(|p| p.city), Some("New York"));
        assert_eq!(weather_answer("10001,US").map(|p| p.humidity), Some(52));
        assert!(sun_answer(PLACES[0].location).is_some());
        for off in [(91.0, 0.0), (0.0, 181.0), (f64::NAN, 0.0)] {
            let at = Location {
                latitude: off.0,
                longitude: off.1,
            };
            assert!(sun_answer(at).is_none(), "{at:?}");
        }
    }
}
