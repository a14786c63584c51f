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
    categories: &[impl AsRef<str>],
    series: &[Series],
    note: &str,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    draw_bars_on(area, title, y_desc, categories, series, note, false)
}

/// [`draw_bars`] with a logarithmic y axis when `log` is true: bars that differ a thousandfold
/// all stay visible (each still labelled with its value). On a log axis every bar must be above
/// zero.
pub fn draw_bars_on<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    y_desc: &str,
    categories: &[impl AsRef<str>],
    series: &[Series],
    note: &str,
    log: bool,
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
            if log && y <= 0.0 {
                return Err(Error::InvalidInput(format!(
                    "on a log axis every bar must be above zero; series {:?} has {y}",
                    s.name
                )));
            }
            max = max.max(y);
        }
    }
    let min = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .fold(f64::INFINITY, f64::min);
    // On a log axis bars are drawn in decades (log10 of the value) from a floor one decade
    // below the smallest bar, and the axis labels turn decades back into values.
    let floor = if log { min.log10().floor() - 1.0 } else { 0.0 };
    let height = |y: f64| if log { y.log10() } else { y };
    let top = if log {
        max.log10().ceil().max(floor + 1.0) + 0.6
    } else {
        headroom(max) * 1.25
    };
    let n = categories.len();
    let width = 0.8 / series.len() as f64;

    area.fill(&WHITE)?;
    let note_lines: Vec<&str> = note.lines().filter(|l| !l.trim().is_empty()).collect();
    let footer_height = 18 * note_lines.len() as u32 + if note_lines.is_empty() { 0 } else { 8 };
    let (plot, footer) = area.split_vertically(area.dim_in_pixel().1.saturating_sub(footer_height));
    let mut chart = super::frame(&plot, title, 64)
        // Extra room above the bars keeps the legend clear of them.
        .build_cartesian_2d(Bands::new(n), floor..top)?;
    let category = |v: &f64| {
        Bands::new(n)
            .index(*v)
            .map(|i| categories[i].as_ref().to_string())
            .unwrap_or_default()
    };
    let decade = |v: &f64| {
        if !log {
            axis_label(*v)
        } else if (v - v.round()).abs() < 1e-9 {
            value_label(10f64.powf(v.round()))
        } else {
            String::new()
        }
    };
    let y_desc = if log {
        format!("{y_desc} (log scale)")
    } else {
        y_desc.to_string()
    };
    let mut mesh = chart.configure_mesh();
    mesh.light_line_style(TRANSPARENT)
        .disable_x_mesh()
        .x_labels(n)
        .x_label_formatter(&category);
    if log {
        mesh.y_labels(((top - floor).ceil() as usize + 1) * 4);
    }
    mesh.y_label_formatter(&decade);
    mesh.y_desc(y_desc)
        .axis_desc_style((FONT, 14))
        .label_style((FONT, 13))
        .draw()?;
    for (s, one) in series.iter().enumerate() {
        let fill = colour(s);
        let left = |c: usize| c as f64 + 0.1 + width * s as f64;
        chart
            .draw_series(one.points.iter().enumerate().map(|(c, &(_, y))| {
                Rectangle::new(
                    [(left(c), floor), (left(c) + width * 0.92, height(y))],
                    fill.filled(),
                )
            }))?
            .label(one.name.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], fill.filled()));
        if n * series.len() <= 12 {
            chart.draw_series(one.points.iter().enumerate().map(|(c, &(_, y))| {
                Text::new(
                    value_label(y),
                    (left(c) + width * 0.46, height(y)),
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

/// A tick on a linear axis: whole numbers as counts ("10,000", "0"), others with at most three
/// decimals and no trailing zeros ("0.25", not "0.250").
pub(crate) fn axis_label(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        value_label(v.round().abs() * v.signum().max(0.0))
    } else {
        let text = format!("{v:.3}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// A bar's value with about three significant figures.
fn value_label(v: f64) -> String {
    if v == 0.0 {
        "0".to_string()
    } else if v >= 1.0 && v.fract() == 0.0 && v < 1e15 {
        // A count: whole, with thousands separated ("10,000", not "10000.0").
        let digits = format!("{}", v as u64);
        let mut out = String::new();
        for (i, d) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(d);
        }
        out
    } else if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else if v >= 0.01 {
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
    categories: &[impl AsRef<str>],
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
    categories: &[impl AsRef<str>],
    series: &[Series],
    note: &str,
) -> Result<Figure> {
    bars_figure(title, y_desc, categories, series, note, false)
}

/// A grouped bar chart on a logarithmic y axis, with `note` under it (may be empty): for bars
/// that differ by orders of magnitude (a thread's start against a task's), which on a linear axis
/// leave the small ones invisible. Every bar must be above zero.
///
/// ```
/// use support::chart::{log_bar_chart, Series};
/// let labels = vec![String::from("thread"), String::from("task")];
/// let figure = log_bar_chart("Start and join", "microseconds", &labels,
///                            &[Series::bars("this run", [19.1, 0.4])], "")?;
/// assert!(figure.svg().contains("log scale") && figure.svg().contains("0.40"));
/// assert!(log_bar_chart("t", "s", &["a"], &[Series::bars("x", [0.0])], "").is_err());
/// # Ok::<(), support::Error>(())
/// ```
pub fn log_bar_chart(
    title: &str,
    y_desc: &str,
    categories: &[impl AsRef<str>],
    series: &[Series],
    note: &str,
) -> Result<Figure> {
    bars_figure(title, y_desc, categories, series, note, true)
}

/// The figure behind [`bar_chart_with_note`] and [`log_bar_chart`]: taller by a line per line of
/// `note`.
fn bars_figure(
    title: &str,
    y_desc: &str,
    categories: &[impl AsRef<str>],
    series: &[Series],
    note: &str,
    log: bool,
) -> Result<Figure> {
    let lines = note.lines().filter(|l| !l.trim().is_empty()).count() as u32;
    render(title, 380 + 18 * lines, |root| {
        draw_bars_on(root, title, y_desc, categories, series, note, log)
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
        assert_eq!(value_label(0.0), "0");
        assert_eq!(value_label(10000.0), "10,000");
        assert_eq!(value_label(336.0), "336");
        assert_eq!(value_label(1234567.0), "1,234,567");
        assert_eq!(axis_label(10000.0), "10,000");
        assert_eq!(axis_label(0.0), "0");
        assert_eq!(axis_label(0.25), "0.25");
        assert_eq!(axis_label(1.5), "1.5");
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
