//! Timelines (Gantt charts) of recorded spans: one row per lane, one colour per label.

use super::{Bands, FONT, Figure, colour, label_width, render};
use crate::error::{Error, Result};
use crate::record::Span;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Draws `spans` as a timeline on any backend: lanes top to bottom in order of first
/// appearance, time on the x axis in seconds, a legend of labels.
pub fn draw_timeline<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    spans: &[Span],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    if spans.is_empty() {
        return Err(Error::Empty("spans"));
    }
    let mut lanes: Vec<&str> = Vec::new();
    let mut labels: Vec<&str> = Vec::new();
    let mut end = 0f64;
    for span in spans {
        crate::error::finite(span.start, "a span's start")?;
        crate::error::finite(span.end, "a span's end")?;
        if !lanes.contains(&span.lane.as_str()) {
            lanes.push(&span.lane);
        }
        if !labels.contains(&span.label.as_str()) {
            labels.push(&span.label);
        }
        end = end.max(span.end);
    }
    let n = lanes.len();
    // Lane 0 is drawn at the top; the bottom bands are left free for the legend.
    let free = legend_bands(labels.len());
    let bands = n + free;
    let row =
        |lane: &str| (n + free - 1 - lanes.iter().position(|l| *l == lane).unwrap_or(0)) as f64;
    let widest = lanes.iter().map(|l| l.chars().count()).max().unwrap_or(1);

    area.fill(&WHITE)?;
    let mut chart = super::frame(area, title, label_width(widest))
        .build_cartesian_2d(0f64..(end * 1.02).max(1e-3), Bands::new(bands))?;
    let lane_name = |v: &f64| {
        Bands::new(bands)
            .index(*v)
            .filter(|&i| i >= free && i < bands)
            .map(|i| lanes[n + free - 1 - i].to_string())
            .unwrap_or_default()
    };
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .disable_y_mesh()
        .y_labels(bands)
        .y_label_formatter(&lane_name)
        .x_desc("time since start (s)")
        .axis_desc_style((FONT, 14))
        .label_style((FONT, 13))
        .draw()?;
    for (i, label) in labels.iter().enumerate() {
        let fill = colour(i);
        chart
            .draw_series(spans.iter().filter(|s| s.label == *label).map(|s| {
                let y = row(&s.lane);
                Rectangle::new([(s.start, y + 0.18), (s.end, y + 0.82)], fill.filled())
            }))?
            .label(*label)
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], fill.filled()));
    }
    // A thin white edge keeps back-to-back spans apart (twenty sleeps in a row stay twenty
    // bars); spans under 1% of the axis are left alone so the edge cannot hide them.
    let edge = WHITE.stroke_width(1);
    chart.draw_series(spans.iter().filter(|s| s.duration() > 0.01 * end).map(|s| {
        let y = row(&s.lane);
        Rectangle::new([(s.start, y + 0.18), (s.end, y + 0.82)], edge)
    }))?;
    super::legend(&mut chart, SeriesLabelPosition::LowerRight)?;
    Ok(())
}

/// Rows kept free under the lanes for the legend: one per two labels.
fn legend_bands(labels: usize) -> usize {
    labels.div_ceil(2).max(1)
}

/// A timeline of `spans` as a [`Figure`], sized to the number of lanes.
///
/// ```
/// use support::{chart::timeline_chart, record::Recorder};
/// let rec = Recorder::new();
/// rec.time("request 1", "cpu", || support::work::spin_for(std::time::Duration::from_millis(2)));
/// let figure = timeline_chart("One request", &rec.spans())?;
/// assert!(figure.svg().contains("request 1"));
/// assert!(timeline_chart("Nothing", &[]).is_err());
/// # Ok::<(), support::Error>(())
/// ```
pub fn timeline_chart(title: &str, spans: &[Span]) -> Result<Figure> {
    let distinct = |names: Vec<&str>| {
        let mut names = names;
        names.sort_unstable();
        names.dedup();
        names.len()
    };
    let lanes = distinct(spans.iter().map(|s| s.lane.as_str()).collect()).clamp(1, 40);
    let labels = distinct(spans.iter().map(|s| s.label.as_str()).collect()).clamp(1, 40);
    let height = 130 + 42 * (lanes + legend_bands(labels)) as u32;
    render(title, height, |root| draw_timeline(root, title, spans))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(lane: &str, label: &str, start: f64, end: f64) -> Span {
        Span {
            lane: lane.into(),
            label: label.into(),
            start,
            end,
        }
    }

    #[test]
    fn every_span_becomes_a_rectangle() {
        let spans = [
            span("a", "cpu", 0.0, 1.0),
            span("b", "wait", 0.5, 2.0),
            span("a", "wait", 1.0, 1.5),
        ];
        let svg = timeline_chart("t", &spans).unwrap().svg().to_string();
        // Three spans, three legend swatches, plus the white background.
        assert!(svg.matches("<rect").count() >= 6, "{svg}");
        assert!(svg.contains("\na\n") && svg.contains("\nb\n"));
        assert!(svg.contains("cpu") && svg.contains("wait"));
    }

    #[test]
    fn nan_is_rejected() {
        let err = timeline_chart("t", &[span("a", "x", f64::NAN, 1.0)]).unwrap_err();
        assert!(matches!(err, Error::NotFinite(_)));
    }
}
