//! Grouped bar charts: one group per category, one bar per series.

use super::{Bands, FONT, Figure, Series, colour, headroom, render};
use crate::error::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;

/// Draws grouped bars on any backend. `series[s].points[c].1` is the height of series `s` in
/// category `c`; every series needs one value per category, none negative.
pub fn draw_bars<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    y_desc: &str,
    categories: &[&str],
    series: &[Series],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    if categories.is_empty() {
        return Err(Error::Empty("categories"));
    }
    if series.is_empty() {
        return Err(Error::Empty("series"));
    }
    let mut max = 0f64;
    for s in series {
        s.check()?;
        if s.points.len() != categories.len() {
            return Err(Error::InvalidInput(format!(
                "series {:?} has {} values for {} categories",
                s.name,
                s.points.len(),
                categories.len()
            )));
        }
        for &(_, y) in &s.points {
            if y < 0.0 {
                return Err(Error::InvalidInput(format!(
                    "bar heights must not be negative; series {:?} has {y}",
                    s.name
                )));
            }
            max = max.max(y);
        }
    }
    let n = categories.len();
    let width = 0.8 / series.len() as f64;

    area.fill(&WHITE)?;
    let mut chart = super::frame(area, title, 64)
        // Extra room above the bars keeps the legend clear of them.
        .build_cartesian_2d(Bands::new(n), 0f64..headroom(max) * 1.25)?;
    let category = |v: &f64| {
        Bands::new(n)
            .index(*v)
            .map(|i| categories[i].to_string())
            .unwrap_or_default()
    };
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .disable_x_mesh()
        .x_label_formatter(&category)
        .y_desc(y_desc)
        .axis_desc_style((FONT, 14))
        .label_style((FONT, 13))
        .draw()?;
    for (s, one) in series.iter().enumerate() {
        let fill = colour(s);
        let left = |c: usize| c as f64 + 0.1 + width * s as f64;
        chart
            .draw_series(one.points.iter().enumerate().map(|(c, &(_, y))| {
                Rectangle::new([(left(c), 0.0), (left(c) + width * 0.92, y)], fill.filled())
            }))?
            .label(one.name.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], fill.filled()));
    }
    super::legend(&mut chart, SeriesLabelPosition::UpperRight)?;
    Ok(())
}

/// A grouped bar chart as a [`Figure`].
///
/// ```
/// use support::chart::{bar_chart, Series};
/// let figure = bar_chart(
///     "Response time per request",
///     "seconds",
///     &["request 1", "request 2"],
///     &[Series::bars("one at a time", [0.4, 0.7]), Series::bars("concurrent", [0.4, 0.35])],
/// )?;
/// assert!(figure.svg().contains("concurrent"));
/// // Two series need two values each.
/// assert!(bar_chart("t", "s", &["a", "b"], &[Series::bars("x", [1.0])]).is_err());
/// # Ok::<(), support::Error>(())
/// ```
pub fn bar_chart(
    title: &str,
    y_desc: &str,
    categories: &[&str],
    series: &[Series],
) -> Result<Figure> {
    render(title, 380, |root| {
        draw_bars(root, title, y_desc, categories, series)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_bars_are_rejected() {
        let err = bar_chart("t", "s", &["a"], &[Series::bars("x", [-1.0])]).unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)));
    }

    #[test]
    fn all_bars_are_drawn() {
        let svg = bar_chart(
            "t",
            "s",
            &["a", "b", "c"],
            &[
                Series::bars("x", [1.0, 2.0, 3.0]),
                Series::bars("y", [3.0, 2.0, 1.0]),
            ],
        )
        .unwrap()
        .svg()
        .to_string();
        // six bars + two legend swatches + background
        assert!(svg.matches("<rect").count() >= 9);
    }
}
