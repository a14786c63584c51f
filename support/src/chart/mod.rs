//! Charts drawn from this run's measurements, shown under a notebook cell as SVG.
//!
//! Each chart is a pair: `draw_*`, generic over any plotters [`DrawingBackend`] (so tests and
//! scripts can render the same chart anywhere), and `*_chart`, which draws into an SVG string
//! and returns a [`Figure`]. A cell that ends with a `Figure` shows it (one chart per cell:
//! evcxr keeps one rich output per cell).
//!
//! The SVG is emitted as `image/svg+xml`, the standard Jupyter MIME type for vector images,
//! with the chart's title as a `text/plain` alternative. Text is left to the viewer's
//! `sans-serif` font, so no font files are needed to build or render.

mod bars;
mod cpu;
mod lines;
mod scaling;
mod speedup;
mod timeline;
mod trend;

pub use bars::{bar_chart, bar_chart_with_note, draw_bars, draw_bars_on, log_bar_chart};
pub use cpu::{cpu_chart, draw_cpu};
pub use lines::{draw_lines, line_chart};
pub use scaling::{draw_scaling, scaling_chart};
pub use speedup::{draw_speedup, speedup_chart};
pub use timeline::{draw_timeline, timeline_chart};
pub use trend::{draw_trend, trend_chart};

use crate::error::{Error, Result};
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;
use std::ops::Range;

/// Width of every figure in pixels; notebooks scale SVG to the cell width.
pub const WIDTH: u32 = 760;

/// A rendered chart: an SVG document and its title.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    title: String,
    svg: String,
}

impl Figure {
    /// The chart's title, also used as its plain-text alternative.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The SVG document.
    pub fn svg(&self) -> &str {
        &self.svg
    }

    /// Writes the SVG to a file (for a README or a slide).
    pub fn save(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        std::fs::write(path.as_ref(), &self.svg)
            .map_err(|e| Error::System(format!("could not write {}: {e}", path.as_ref().display())))
    }

    /// Shows the chart under the cell (called by evcxr when a cell ends with a `Figure`).
    pub fn evcxr_display(&self) {
        crate::table::emit(
            "image/svg+xml",
            &self.svg,
            &format!("[chart] {}", self.title),
        );
    }
}

/// A named list of points: one line, one set of markers or one group of bars.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The name shown in the legend.
    pub name: String,
    /// The points, as (x, y).
    pub points: Vec<(f64, f64)>,
}

impl Series {
    /// A series from (x, y) points.
    pub fn new(name: impl Into<String>, points: impl IntoIterator<Item = (f64, f64)>) -> Self {
        Series {
            name: name.into(),
            points: points.into_iter().collect(),
        }
    }

    /// A series of bar heights, one per category in order (x is the category's index).
    pub fn bars(name: impl Into<String>, heights: impl IntoIterator<Item = f64>) -> Self {
        Series::new(
            name,
            heights.into_iter().enumerate().map(|(i, h)| (i as f64, h)),
        )
    }

    fn check(&self) -> Result<()> {
        if self.points.is_empty() {
            return Err(Error::InvalidInput(format!(
                "series {:?} has no points",
                self.name
            )));
        }
        for &(x, y) in &self.points {
            crate::error::finite(x, "a chart's x value")?;
            crate::error::finite(y, "a chart's y value")?;
        }
        Ok(())
    }
}

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for Error {
    fn from(err: DrawingAreaErrorKind<E>) -> Self {
        Error::Chart(err.to_string())
    }
}

/// The Okabe–Ito palette: eight colours that stay distinct for colour-blind readers.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(230, 159, 0),   // orange
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(240, 228, 66),  // yellow
    RGBColor(0, 0, 0),       // black
];

/// The smallest and largest x and y over every point of `series`, as `(x0, x1, y0, y1)`, for a
/// chart with a log-scaled y axis (and x axis too, if `log_x`): errors for no series, a series
/// with no points or a non-finite value, and a value a log axis cannot show (zero or negative).
pub(crate) fn log_bounds(series: &[Series], log_x: bool) -> Result<(f64, f64, f64, f64)> {
    if series.is_empty() {
        return Err(Error::Empty("series"));
    }
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for s in series {
        s.check()?;
        for &(x, y) in &s.points {
            if y <= 0.0 || (log_x && x <= 0.0) {
                return Err(Error::InvalidInput(format!(
                    "a log axis needs positive values; series {:?} has ({x}, {y})",
                    s.name
                )));
            }
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
    }
    Ok((x0, x1, y0, y1))
}

/// The palette colour for the `i`-th series (cycling).
pub fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

pub(crate) const FONT: &str = "sans-serif";

/// Draws `draw` into a `WIDTH × height` SVG and wraps it as a [`Figure`].
pub(crate) fn render(
    title: &str,
    height: u32,
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<()>,
) -> Result<Figure> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        draw(&root)?;
        root.present()?;
    }
    Ok(Figure {
        title: title.to_string(),
        svg,
    })
}

/// Pixels a label of `chars` characters needs at the axis font size (an estimate; SVG text is
/// laid out by the viewer).
pub(crate) fn label_width(chars: usize) -> u32 {
    (chars as u32).saturating_mul(8).clamp(30, 260) + 12
}

/// A categorical axis: `n` equal bands with a tick and label at each band's centre.
/// Band `i` covers `i..i+1`.
#[derive(Debug, Clone)]
pub(crate) struct Bands {
    n: usize,
}

impl Bands {
    pub(crate) fn new(n: usize) -> Self {
        Bands { n: n.max(1) }
    }

    /// The index of the band whose centre is `value`, if it is one.
    pub(crate) fn index(&self, value: f64) -> Option<usize> {
        let i = (value - 0.5).round();
        ((value - 0.5 - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < self.n).then_some(i as usize)
    }
}

impl Ranged for Bands {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let share = value / self.n as f64;
        limit.0 + (share * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.max_num_points() < self.n {
            // Too many categories for the space: label none rather than a misleading subset.
            return Vec::new();
        }
        (0..self.n).map(|i| i as f64 + 0.5).collect()
    }

    fn range(&self) -> Range<f64> {
        0.0..self.n as f64
    }
}

/// A chart builder with the layout every chart shares: title, margins, and room for the axis
/// labels (`y_label_width` pixels on the left).
pub(crate) fn frame<'a, 'b, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    title: &str,
    y_label_width: u32,
) -> ChartBuilder<'a, 'b, DB> {
    let mut builder = ChartBuilder::on(area);
    builder
        .caption(title, (FONT, 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(y_label_width);
    builder
}

/// Draws the legend of `chart` at `position`, in the same style on every chart.
pub(crate) fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .label_font((FONT, 13))
        .draw()?;
    Ok(())
}

/// A "nice" upper bound for an axis that must show `max`.
pub(crate) fn headroom(max: f64) -> f64 {
    if max <= 0.0 { 1.0 } else { max * 1.08 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_label_their_centres() {
        let bands = Bands::new(3);
        assert_eq!(bands.key_points(10usize), vec![0.5, 1.5, 2.5]);
        assert_eq!(bands.index(1.5), Some(1));
        assert_eq!(bands.index(1.0), None);
        assert_eq!(bands.index(3.5), None);
        assert_eq!(bands.map(&1.5, (0, 300)), 150);
    }

    #[test]
    fn series_with_nan_is_rejected() {
        let s = Series::new("bad", [(0.0, f64::NAN)]);
        assert!(matches!(s.check(), Err(Error::NotFinite(_))));
        assert!(Series::new("empty", []).check().is_err());
    }
}
