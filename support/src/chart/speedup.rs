//! Speed-up against the number of workers, with the ideal line and Amdahl's bounds.

use super::{FONT, Figure, Series, colour, render};
use crate::error::{Error, Result};
use crate::work::amdahl;
use plotters::coord::Shift;
use plotters::prelude::*;

/// How far the Amdahl curves reach at least, in workers.
const AMDAHL_WORKERS: f64 = 8.0;

/// Draws measured speed-ups (x = workers, y = speed-up over one worker) on any backend, with
/// the ideal line `y = x` and one dashed Amdahl curve per parallel fraction in `amdahl_fractions`.
pub fn draw_speedup<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    measured: &[Series],
    amdahl_fractions: &[f64],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    if measured.is_empty() && amdahl_fractions.is_empty() {
        return Err(Error::Empty("measured series and Amdahl fractions"));
    }
    let mut max_workers = 2f64;
    let mut max_speedup = 1f64;
    for s in measured {
        s.check()?;
        for &(x, y) in &s.points {
            if x < 1.0 || y < 0.0 {
                return Err(Error::InvalidInput(format!(
                    "series {:?}: workers must be at least 1 and speed-ups not negative, got ({x}, {y})",
                    s.name
                )));
            }
            max_workers = max_workers.max(x);
            max_speedup = max_speedup.max(y);
        }
    }
    for &p in amdahl_fractions {
        amdahl(p, 1)?; // validates the fraction
    }
    if !amdahl_fractions.is_empty() {
        // Draw the bounds far enough out to show them flatten, even on a 2-core machine.
        max_workers = max_workers.max(AMDAHL_WORKERS);
    }
    let top = max_workers.max(max_speedup) * 1.1;

    area.fill(&WHITE)?;
    let mut chart =
        super::frame(area, title, 56).build_cartesian_2d(0.8f64..max_workers + 0.2, 0f64..top)?;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .x_desc("workers (threads)")
        .y_desc("speed-up over 1 worker (×)")
        .axis_desc_style((FONT, 14))
        .label_style((FONT, 13))
        .x_label_formatter(&|x| {
            if (x - x.round()).abs() < 1e-9 {
                format!("{x:.0}")
            } else {
                String::new()
            }
        })
        .draw()?;

    let grey = RGBColor(120, 120, 120);
    chart
        .draw_series(LineSeries::new(
            [(1.0, 1.0), (max_workers, max_workers)],
            grey.stroke_width(2),
        ))?
        .label("ideal (speed-up = workers)")
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], grey.stroke_width(2)));

    let steps = 60;
    for (i, &p) in amdahl_fractions.iter().enumerate() {
        let shade = colour(i + measured.len());
        let curve: Vec<(f64, f64)> = (0..=steps)
            .map(|k| {
                let n = 1.0 + (max_workers - 1.0) * k as f64 / steps as f64;
                (n, 1.0 / ((1.0 - p) + p / n))
            })
            .collect();
        chart
            .draw_series(DashedLineSeries::new(curve, 6, 4, shade.stroke_width(2)))?
            .label(if p < 1.0 {
                format!(
                    "Amdahl bound, {:.0}% parallel (never above {:.1}×)",
                    p * 100.0,
                    1.0 / (1.0 - p)
                )
            } else {
                "Amdahl bound, 100% parallel".to_string()
            })
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], shade.stroke_width(2)));
    }

    for (i, s) in measured.iter().enumerate() {
        let c = colour(i);
        chart
            .draw_series(LineSeries::new(s.points.iter().copied(), c.stroke_width(2)))?
            .label(s.name.as_str())
            .legend(move |(x, y)| Circle::new((x + 9, y), 4, c.filled()));
        chart.draw_series(
            s.points
                .iter()
                .map(|&(x, y)| Circle::new((x, y), 4, c.filled())),
        )?;
    }
    super::legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
    Ok(())
}

/// A speed-up chart as a [`Figure`].
///
/// ```
/// use support::chart::{speedup_chart, Series};
/// let measured = Series::new("x += 1 on threads", [(1.0, 1.0), (2.0, 1.9)]);
/// let figure = speedup_chart("Threads", &[measured], &[0.5, 0.9])?;
/// assert!(figure.svg().contains("Amdahl"));
/// assert!(speedup_chart("t", &[], &[1.5]).is_err()); // a fraction above 1
/// # Ok::<(), support::Error>(())
/// ```
pub fn speedup_chart(title: &str, measured: &[Series], amdahl_fractions: &[f64]) -> Result<Figure> {
    render(title, 420, |root| {
        draw_speedup(root, title, measured, amdahl_fractions)
    })
}
