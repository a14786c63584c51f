//! Grouped bar charts: one group per category, one bar per series.

use super::{Bands, FONT, Figure, Series, colour, headroom, render};
use crate::error::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Draws grouped bars on any backend. `series[s].points[c].1` is the height of series `s` in
/// category `c`; every series needs one value per category, none negative. When there are at
/// most 12 bars each is labelled with its value. A non-empty `note` is written under the plot
/// (for a source, or figures quoted from elsewhere).
pub fn draw_bars<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    y_desc: &str,
    categories: &[&str],
    series: &[Series],
    note: &str,
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
    let note_lines: Vec<&str> = note.lines().filter(|l| !l.trim().is_empty()).collect();
    let footer_height = 18 * note_lines.len() as u32 + if note_lines.is_empty() { 0 } else { 8 };
    let (plot, footer) = area.split_vertically(area.dim_in_pixel().1.saturating_sub(footer_height));
    let mut chart = super::frame(&plot, title, 64)
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
        .x_labels(n)
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
        if n * series.len() <= 12 {
            chart.draw_series(one.points.iter().enumerate().map(|(c, &(_, y))| {
                Text::new(
                    value_label(y),
                    (left(c) + width * 0.46, y),
                    (FONT, 12)
                        .into_font()
                        .color(&BLACK)
                        .pos(Pos::new(HPos::Center, VPos::Bottom)),
                )
            }))?;
        }
    }
    super::legend(&mut chart, SeriesLabelPosition::UpperRight)?;
    for (i, line) in note_lines.iter().enumerate() {
        footer.draw(&Text::new(
            line.to_string(),
            (14, 4 + 18 * i as i32),
            (FONT, 12).into_font().color(&RGBColor(90, 90, 90)),
        ))?;
    }
    Ok(())
}

/// A bar's value with about three significant figures.
fn value_label(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else if v >= 0.01 || v == 0.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.1e}")
    }
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
    bar_chart_with_note(title, y_desc, categories, series, "")
}

/// A grouped bar chart with `note` (one or more lines) written under it: where figures quoted
/// from elsewhere go, so they sit beside this run's bars without pretending to be measured here.
///
/// ```
/// use support::chart::{bar_chart_with_note, Series};
/// let figure = bar_chart_with_note(
///     "Loop benchmark", "seconds", &["asyncio", "tokio"],
///     &[Series::bars("this machine", [1.6, 0.2])],
///     "The course measured asyncio at 8.7 s on a 2018 laptop.",
/// )?;
/// assert!(figure.svg().contains("8.7 s"));
/// assert!(figure.svg().contains("1.60")); // bars are labelled with their values
/// # Ok::<(), support::Error>(())
/// ```
pub fn bar_chart_with_note(
    title: &str,
    y_desc: &str,
    categories: &[&str],
    series: &[Series],
    note: &str,
) -> Result<Figure> {
    let lines = note.lines().filter(|l| !l.trim().is_empty()).count() as u32;
    render(title, 380 + 18 * lines, |root| {
        draw_bars(root, title, y_desc, categories, series, note)
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
    fn value_labels_keep_three_figures() {
        assert_eq!(value_label(2.4812), "2.48");
        assert_eq!(value_label(16.21), "16.2");
        assert_eq!(value_label(250.4), "250");
        assert_eq!(value_label(0.0), "0.00");
        assert_eq!(value_label(0.0042), "4.2e-3");
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
