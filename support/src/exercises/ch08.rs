//! Checkers for the exercises of chapter 08, "async web frameworks". Each starts a fake
//! internet whose city services answer ten times faster than the course's, runs the learner's
//! async function on a fresh event loop, and stops both.

use super::{Check, attempt, judge};
use crate::city::{CityError, Services, SunTimes, Weather};
use crate::internet::FakeInternet;
use crate::rt::block_on;
use std::future::Future;
use std::time::{Duration, Instant};

const SOLUTIONS: &str = "support/src/solutions/ch08.rs";

fn internet() -> Result<(FakeInternet, Services), String> {
    let internet = FakeInternet::builder()
        .service_latency_scale(0.1)
        .start()
        .map_err(|e| e.to_string())?;
    let services = Services::new(&internet).map_err(|e| e.to_string())?;
    Ok((internet, services))
}

fn kind(answer: &Result<impl std::fmt::Debug, CityError>) -> &'static str {
    match answer {
        Ok(_) => "Ok",
        Err(CityError::BadRequest(_)) => "BadRequest",
        Err(CityError::NotFound(_)) => "NotFound",
        Err(CityError::Upstream(_)) => "Upstream",
    }
}

/// Exercise 08.1: checks `weather_for(services, zip, country)`, the weather endpoint's logic:
/// Portland's weather for 97227/us, `NotFound` for an unknown zip code, `BadRequest` for a
/// malformed or oversized zip or country code *without calling the service*, and eight
/// lookups at once on one thread taking about as long as one (it must await, not block).
///
/// ```
/// let check = support::exercises::ch08::check_weather_for(support::solutions::ch08::weather_for);
/// assert!(check.passed());
/// ```
pub fn check_weather_for<F, Fut>(weather_for: F) -> Check
where
    F: Fn(Services, String, String) -> Fut,
    Fut: Future<Output = Result<Weather, CityError>>,
{
    let result = attempt(|| {
        let (internet, services) = internet()?;
        let ask = |zip: &str, country: &str| {
            block_on(weather_for(services.clone(), zip.into(), country.into()))
                .map_err(|e| e.to_string())
        };
        match ask("97227", "us")? {
            Ok(w) if w.city == "Portland" => {}
            other => {
                return Err(format!(
                    "97227/us gave {other:?}, expected Portland's weather"
                ));
            }
        }
        let answer = ask("99999", "us")?;
        if kind(&answer) != "NotFound" {
            return Err(format!(
                "99999/us gave {answer:?}, expected a NotFound error"
            ));
        }
        let served = internet.pages_served();
        let long = "9".repeat(200);
        for (zip, country) in [
            ("97227", "usa"),
            ("97 27", "us"),
            (long.as_str(), "us"),
            ("", "us"),
        ] {
            let answer = ask(zip, country)?;
            if kind(&answer) != "BadRequest" {
                return Err(format!(
                    "zip {:?}, country {country:?} gave {answer:?}, expected a BadRequest error \
                     (hint: support::city::check_place)",
                    zip.chars().take(12).collect::<String>()
                ));
            }
        }
        if internet.pages_served() != served {
            return Err(
                "bad requests were turned down, but only after calling the weather \
                        service: check the input first"
                    .into(),
            );
        }
        let started = Instant::now();
        let answers = block_on(async {
            let lookups =
                (0..8).map(|_| weather_for(services.clone(), "10001".into(), "us".into()));
            futures_util::future::join_all(lookups).await
        })
        .map_err(|e| e.to_string())?;
        let took = started.elapsed();
        if answers.iter().any(|a| kind(a) != "Ok") {
            return Err("eight lookups at once did not all succeed".into());
        }
        if took > Duration::from_millis(150) {
            return Err(format!(
                "eight lookups of about 30 ms at once took {:.0} ms: await the async service \
                 (services.weather) instead of blocking the thread",
                took.as_secs_f64() * 1000.0
            ));
        }
        Ok(format!(
            "good, unknown, malformed and oversized places; eight at once in {:.0} ms",
            took.as_secs_f64() * 1000.0
        ))
    });
    judge("08.1 the weather endpoint", SOLUTIONS, result)
}

/// Exercise 08.2: checks `sun_and_weather(services, zip, country)`, which must return the sun
/// times (location, then sun) and the weather, with the weather lookup running *while* the
/// location and sun lookups do: the fake internet must see two requests in flight at once.
/// Errors as in 08.1.
///
/// ```
/// let check = support::exercises::ch08::check_sun_and_weather(
///     support::solutions::ch08::sun_and_weather);
/// assert!(check.passed());
/// ```
pub fn check_sun_and_weather<F, Fut>(sun_and_weather: F) -> Check
where
    F: Fn(Services, String, String) -> Fut,
    Fut: Future<Output = Result<(SunTimes, Weather), CityError>>,
{
    let result = attempt(|| {
        let (internet, services) = internet()?;
        let ask = |zip: &str, country: &str| {
            block_on(sun_and_weather(
                services.clone(),
                zip.into(),
                country.into(),
            ))
            .map_err(|e| e.to_string())
        };
        match ask("60601", "us")? {
            Ok((sun, weather)) if sun.sunrise == "06:04:09 AM" && weather.city == "Chicago" => {}
            other => {
                return Err(format!(
                    "60601/us gave {other:?}, expected today's sun times and Chicago's weather"
                ));
            }
        }
        if internet.peak_in_flight() < 2 {
            return Err(
                "the answer is right, but the lookups ran one after another: start \
                        the weather lookup while the location and sun lookups run (hint: \
                        tokio::try_join!)"
                    .into(),
            );
        }
        let answer = ask("99999", "us")?;
        if kind(&answer) != "NotFound" {
            return Err(format!(
                "99999/us gave {answer:?}, expected a NotFound error"
            ));
        }
        let answer = ask("60601", "u5")?;
        if kind(&answer) != "BadRequest" {
            return Err(format!(
                "60601/u5 gave {answer:?}, expected a BadRequest error"
            ));
        }
        Ok("sun and weather together, errors for unknown and malformed places".to_string())
    });
    judge("08.2 two lookups at once", SOLUTIONS, result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exercises::Outcome;

    #[test]
    fn todo_means_not_attempted() {
        let check = check_weather_for(|_, _, _| async { todo!() });
        assert_eq!(check.outcome, Outcome::NotAttempted);
        let check = check_sun_and_weather(|_, _, _| async { todo!() });
        assert_eq!(check.outcome, Outcome::NotAttempted);
    }

    #[test]
    fn blocking_and_unchecked_answers_are_caught() {
        let blocking = |s: Services, zip: String, country: String| async move {
            crate::city::check_place(&zip, &country)?;
            s.weather_blocking(&zip, &country)
        };
        let check = check_weather_for(blocking);
        assert!(
            matches!(&check.outcome, Outcome::Wrong(why) if why.contains("await")),
            "{check:?}"
        );
        let unchecked = |s: Services, zip: String, country: String| async move {
            let answer = s.weather(&zip, &country).await;
            crate::city::check_place(&zip, &country)?;
            answer
        };
        let check = check_weather_for(unchecked);
        assert!(
            matches!(&check.outcome, Outcome::Wrong(why) if why.contains("check the input first")),
            "{check:?}"
        );
    }

    #[test]
    fn one_after_another_is_caught() {
        let sequential = |s: Services, zip: String, country: String| async move {
            crate::city::check_place(&zip, &country)?;
            let at = s.location(&zip, &country).await?;
            let sun = s.sun_for_today(&at).await?;
            Ok((sun, s.weather(&zip, &country).await?))
        };
        let check = check_sun_and_weather(sequential);
        assert!(
            matches!(&check.outcome, Outcome::Wrong(why) if why.contains("one after another")),
            "{check:?}"
        );
    }
}
