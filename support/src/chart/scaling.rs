//! How a measure grows with load: lines with markers on log–log axes (chapter 08's
//! requests per second and latency against the number of connections).

use super::{FONT, Figure, Series, colour, render};
use crate::error::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Draws each series as a line with markers, both axes on a log scale, labelled `x_desc` and
/// `y_desc`. Series whose name starts with `"bound"` are drawn as dashed lines without markers
/// (a limit to compare against, not a measurement); give them after the measured series, so
/// that they are drawn on top.
pub fn draw_scaling<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    x_desc: &str,
    y_desc: &str,
    series: &[Series],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let (x0, x1, y0, y1) = super::log_bounds(series, true)?;
    area.fill(&WHITE)?;
    let mut chart = super::frame(area, title, 64).build_cartesian_2d(
        (x0 / 1.5..x1 * 1.5).log_scale(),
        (y0 / 2.0..y1 * 2.0).log_scale(),
    )?;
    let number = |v: &f64| {
        if *v >= 1.0 {
            format!("{v:.0}")
        } else {
            format!("{v:.2}")
        }
    };
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .x_desc(x_desc)
        .y_desc(y_desc)
        .axis_desc_style((FONT, 14))
        .label_style((FONT, 13))
        .x_label_formatter(&number)
        .y_label_formatter(&number)
        .draw()?;
    for (i, s) in series.iter().enumerate() {
        let c = colour(i);
        if s.name.starts_with("bound") {
            // Dashed, so that a measured line lying on the bound leaves it visible.
            let style = c.stroke_width(2);
            chart
                .draw_series(DashedLineSeries::new(s.points.iter().copied(), 7, 5, style))?
                .label(s.name.as_str())
                .legend(move |(x, y)| {
                    plotters::element::DashedPathElement::new([(x, y), (x + 16, y)], 5, 3, style)
                });
        } else {
            chart.draw_series(LineSeries::new(s.points.iter().copied(), c.stroke_width(2)))?;
            chart
                .draw_series(s.points.iter().map(|&p| Circle::new(p, 4, c.filled())))?
                .label(s.name.as_str())
                .legend(move |(x, y)| Circle::new((x + 6, y), 4, c.filled()));
        }
    }
    super::legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
    Ok(())
}

/// A log–log scaling chart as a [`Figure`].
///
/// ```
/// use support::chart::{scaling_chart, Series};
/// let measured = Series::new("async", [(20.0, 21.0), (200.0, 205.0), (2000.0, 1500.0)]);
/// let bound = Series::new("bound: connections / latency", [(20.0, 21.2), (2000.0, 2116.0)]);
/// let figure = scaling_chart("Throughput", "connections", "requests per second", &[measured, bound])?;
/// assert!(figure.svg().contains("Throughput"));
/// assert!(scaling_chart("t", "x", "y", &[Series::new("bad", [(0.0, 1.0)])]).is_err());
/// # Ok::<(), support::Error>(())
/// ```
pub fn scaling_chart(title: &str, x_desc: &str, y_desc: &str, series: &[Series]) -> Result<Figure> {
    render(title, 440, |root| {
        draw_scaling(root, title, x_desc, y_desc, series)
    })
}
