//! Long-run trends on a logarithmic axis (the microprocessor data of chapter 01).

use super::{FONT, Figure, Series, colour, render};
use crate::error::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Draws each series as markers on a log-scaled y axis against the year, with `credit` (the
/// data source) written under the plot.
pub fn draw_trend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    series: &[Series],
    credit: &str,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let (x0, x1, y0, y1) = super::log_bounds(series, false)?;
    area.fill(&WHITE)?;
    let (plot, footer) = area.split_vertically(area.dim_in_pixel().1.saturating_sub(26));
    let mut chart = super::frame(&plot, title, 64)
        .build_cartesian_2d((x0 - 1.0)..(x1 + 1.0), (y0 / 2.0..y1 * 2.0).log_scale())?;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .x_desc("year")
        .y_desc("value (log scale)")
        .axis_desc_style((FONT, 14))
        .label_style((FONT, 13))
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| {
            if *y >= 1.0 {
                format!("{y:.0}")
            } else {
                format!("{y}")
            }
        })
        .draw()?;
    for (i, s) in series.iter().enumerate() {
        let c = colour(i);
        chart
            .draw_series(s.points.iter().map(|&p| Circle::new(p, 3, c.filled())))?
            .label(s.name.as_str())
            .legend(move |(x, y)| Circle::new((x + 6, y), 4, c.filled()));
    }
    super::legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
    footer.draw(&Text::new(
        credit.to_string(),
        (14, 4),
        (FONT, 12).into_font().color(&RGBColor(90, 90, 90)),
    ))?;
    Ok(())
}

/// A trend chart as a [`Figure`].
///
/// ```
/// use support::chart::{trend_chart, Series};
/// let cores = Series::new("logical cores", [(1990.0, 1.0), (2020.0, 64.0)]);
/// let figure = trend_chart("Cores", &[cores], "Data: example")?;
/// assert!(figure.svg().contains("Data: example"));
/// # Ok::<(), support::Error>(())
/// ```
pub fn trend_chart(title: &str, series: &[Series], credit: &str) -> Result<Figure> {
    render(title, 460, |root| draw_trend(root, title, series, credit))
}
