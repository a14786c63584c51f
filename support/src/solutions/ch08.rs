//! Solutions to the exercises of chapter 08, "async web frameworks".

use crate::city::{CityError, Services, SunTimes, Weather, check_place};

// ANCHOR: weather_for
/// Exercise 08.1: checks the place, then awaits the weather service. A bad zip or country
/// code is answered before any service is called.
pub async fn weather_for(
    services: Services,
    zip: String,
    country: String,
) -> Result<Weather, CityError> {
    check_place(&zip, &country)?;
    services.weather(&zip, &country).await
}
// ANCHOR_END: weather_for

// ANCHOR: sun_and_weather
/// Exercise 08.2: the sun times (location, then sun) and the weather, the two lookups at the
/// same time: `tokio::try_join!` polls both and returns the first error, if any.
pub async fn sun_and_weather(
    services: Services,
    zip: String,
    country: String,
) -> Result<(SunTimes, Weather), CityError> {
    check_place(&zip, &country)?;
    let sun = async {
        let at = services.location(&zip, &country).await?;
        services.sun_for_today(&at).await
    };
    tokio::try_join!(sun, services.weather(&zip, &country))
}
// ANCHOR_END: sun_and_weather

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exercises::ch08::{check_sun_and_weather, check_weather_for};

    #[test]
    fn reference_solutions_pass() {
        let check = check_weather_for(weather_for);
        assert!(check.passed(), "{check:?}");
        let check = check_sun_and_weather(sun_and_weather);
        assert!(check.passed(), "{check:?}");
    }
}
