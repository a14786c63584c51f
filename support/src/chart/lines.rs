//! Measures over time, or against any quantity that starts at zero: lines on linear axes
//! (chapter 10's queue length and memory while a producer outpaces its consumer).

use super::{FONT, Figure, Series, colour, headroom, render};
use crate::error::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;

/// Draws each series as a line on linear axes that start at zero, labelled `x_desc` and
/// `y_desc`, with a legend in the upper left. Series whose name starts with `"bound"` are
/// drawn as thin lines (a limit to compare against, not a measurement).
pub fn draw_lines<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    x_desc: &str,
    y_desc: &str,
    series: &[Series],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    if series.is_empty() {
        return Err(Error::Empty("series"));
    }
    let (mut x1, mut y1) = (0f64, 0f64);
    for s in series {
        s.check()?;
        for &(x, y) in &s.points {
            if x < 0.0 || y < 0.0 {
                return Err(Error::InvalidInput(format!(
                    "a line chart starts at zero; series {:?} has ({x}, {y})",
                    s.name
                )));
            }
            x1 = x1.max(x);
            y1 = y1.max(y);
        }
    }
    area.fill(&WHITE)?;
    let mut chart = super::frame(area, title, 64)
        .build_cartesian_2d(0.0..headroom(x1), 0.0..headroom(y1) * 1.15)?;
    let number = |v: &f64| {
        if v.abs() >= 10.0 || *v == 0.0 {
            super::bars::axis_label(*v)
        } else {
            format!("{v:.1}")
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
        let width = if s.name.starts_with("bound") { 1 } else { 2 };
        chart
            .draw_series(LineSeries::new(
                s.points.iter().copied(),
                c.stroke_width(width),
            ))?
            .label(s.name.as_str())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 14, y)], c.stroke_width(2)));
    }
    super::legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
    Ok(())
}

/// A line chart on linear axes as a [`Figure`].
///
/// ```
/// use support::chart::{line_chart, Series};
/// let queue = Series::new("unbounded", [(0.0, 0.0), (0.5, 120.0), (1.0, 260.0)]);
/// let bounded = Series::new("bounded (16)", [(0.0, 0.0), (0.5, 16.0), (1.0, 16.0)]);
/// let figure = line_chart("Queue length", "seconds", "items waiting", &[queue, bounded])?;
/// assert!(figure.svg().contains("Queue length"));
/// assert!(line_chart("t", "x", "y", &[Series::new("bad", [(-1.0, 1.0)])]).is_err());
/// assert!(line_chart("t", "x", "y", &[]).is_err());
/// # Ok::<(), support::Error>(())
/// ```
pub fn line_chart(title: &str, x_desc: &str, y_desc: &str, series: &[Series]) -> Result<Figure> {
    render(title, 380, |root| {
        draw_lines(root, title, x_desc, y_desc, series)
    })
}
