//! Fifty years of microprocessor data, shipped with the crate.
//!
//! Data by Karl Rupp, <https://github.com/karlrupp/microprocessor-trend-data> (folder `50yrs`),
//! licensed CC BY 4.0; see `support/data/microprocessor-trend/SOURCE.md`. Any chart drawn from it
//! must carry [`CREDIT`].

use crate::error::{Error, Result};

/// The credit line to show under any chart drawn from this data.
pub const CREDIT: &str = "Data: Karl Rupp, microprocessor-trend-data (50yrs), CC BY 4.0";

/// One of the five measures in the data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// Transistors per chip, in thousands.
    Transistors,
    /// Single-thread performance, SpecINT × 10³.
    SingleThread,
    /// Clock frequency, in MHz.
    Frequency,
    /// Typical power, in watts.
    Power,
    /// Logical cores per chip.
    Cores,
}

impl Measure {
    /// Every measure, in the order of the data set.
    pub const ALL: [Measure; 5] = [
        Measure::Transistors,
        Measure::SingleThread,
        Measure::Frequency,
        Measure::Power,
        Measure::Cores,
    ];

    /// A label with units, for legends.
    pub fn label(self) -> &'static str {
        match self {
            Measure::Transistors => "transistors (thousands)",
            Measure::SingleThread => "single-thread performance (SpecINT × 10³)",
            Measure::Frequency => "frequency (MHz)",
            Measure::Power => "typical power (W)",
            Measure::Cores => "logical cores",
        }
    }

    fn raw(self) -> &'static str {
        match self {
            Measure::Transistors => include_str!("../data/microprocessor-trend/transistors.dat"),
            Measure::SingleThread => include_str!("../data/microprocessor-trend/specint.dat"),
            Measure::Frequency => include_str!("../data/microprocessor-trend/frequency.dat"),
            Measure::Power => include_str!("../data/microprocessor-trend/watts.dat"),
            Measure::Cores => include_str!("../data/microprocessor-trend/cores.dat"),
        }
    }
}

/// The (year, value) points of one measure, sorted by year. Separator lines in the files
/// (`####`) are skipped.
///
/// ```
/// use support::trend::{points, Measure};
/// let cores = points(Measure::Cores)?;
/// assert!(cores.len() > 50);
/// assert!(cores.first().unwrap().0 < 1975.0 && cores.last().unwrap().0 > 2019.0);
/// # Ok::<(), support::Error>(())
/// ```
pub fn points(measure: Measure) -> Result<Vec<(f64, f64)>> {
    let mut points = parse(measure.raw())?;
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(points)
}

fn parse(text: &str) -> Result<Vec<(f64, f64)>> {
    let mut points = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.split_whitespace().map(str::parse::<f64>);
        match (fields.next(), fields.next()) {
            (Some(Ok(year)), Some(Ok(value))) => points.push((year, value)),
            _ => {
                return Err(Error::InvalidInput(format!(
                    "line {} is not `year value`: {line:?}",
                    number + 1
                )));
            }
        }
    }
    Ok(points)
}

/// The median value of the points whose year lies in `from..to`.
///
/// ```
/// let pts = [(2000.5, 1.0), (2001.0, 3.0), (2001.5, 2.0), (2010.0, 9.0)];
/// assert_eq!(support::trend::median_between(&pts, 2000.0, 2005.0)?, 2.0);
/// assert!(support::trend::median_between(&pts, 1990.0, 1991.0).is_err());
/// # Ok::<(), support::Error>(())
/// ```
pub fn median_between(points: &[(f64, f64)], from: f64, to: f64) -> Result<f64> {
    let mut values: Vec<f64> = points
        .iter()
        .filter(|(year, _)| (from..to).contains(year))
        .map(|&(_, v)| v)
        .collect();
    if values.is_empty() {
        return Err(Error::InvalidInput(format!(
            "no data points between {from} and {to}"
        )));
    }
    values.sort_by(f64::total_cmp);
    Ok(values[values.len() / 2])
}

/// Average yearly growth of the points in `from..to`, from a least-squares fit of
/// `ln(value)` against the year: 0.5 means +50% a year. Needs at least two distinct years.
///
/// ```
/// // Doubling every year:
/// let pts: Vec<(f64, f64)> = (0..10).map(|i| (2000.0 + i as f64, 2f64.powi(i))).collect();
/// let growth = support::trend::growth_per_year(&pts, 2000.0, 2010.0)?;
/// assert!((growth - 1.0).abs() < 1e-9);
/// # Ok::<(), support::Error>(())
/// ```
pub fn growth_per_year(points: &[(f64, f64)], from: f64, to: f64) -> Result<f64> {
    let fit: Vec<(f64, f64)> = points
        .iter()
        .filter(|(year, v)| (from..to).contains(year) && *v > 0.0)
        .map(|&(year, v)| (year, v.ln()))
        .collect();
    let n = fit.len() as f64;
    let mean_x = fit.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = fit.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = fit.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    if fit.len() < 2 || sxx == 0.0 {
        return Err(Error::InvalidInput(format!(
            "need points from at least two different years between {from} and {to}"
        )));
    }
    let sxy: f64 = fit.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    Ok((sxy / sxx).exp() - 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_measure_parses() {
        for m in Measure::ALL {
            let pts = points(m).unwrap();
            assert!(pts.len() > 40, "{m:?}");
            assert!(
                pts.iter()
                    .all(|&(y, v)| (1970.0..2030.0).contains(&y) && v > 0.0)
            );
        }
    }

    #[test]
    fn bad_lines_are_reported() {
        assert!(parse("1999 1\nnot a number\n").is_err());
        assert_eq!(parse("####\n1999 2\n").unwrap(), vec![(1999.0, 2.0)]);
    }
}
