//! Per-core utilisation over time, from a [`CpuTrace`].

use super::{FONT, Figure, colour, render};
use crate::cpu::CpuTrace;
use crate::error::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;

/// Cores drawn one by one with a legend; above this, cores are thin grey lines.
const NAMED_CORES: usize = 8;

/// Draws one line per logical core (percent busy over time) and the mean over all cores.
pub fn draw_cpu<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    trace: &CpuTrace,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    if trace.times.is_empty() {
        return Err(Error::InvalidInput(
            "the trace has no samples: run the work for at least one sampling interval".into(),
        ));
    }
    if let Some((core, samples)) = trace
        .per_core
        .iter()
        .enumerate()
        .find(|(_, samples)| samples.len() != trace.times.len())
    {
        return Err(Error::InvalidInput(format!(
            "core {core} has {} samples for {} sampling times: every core needs one per time",
            samples.len(),
            trace.times.len()
        )));
    }
    if trace
        .times
        .iter()
        .chain(trace.per_core.iter().flatten())
        .any(|x| !x.is_finite())
    {
        return Err(Error::NotFinite("a time or utilisation of the trace"));
    }
    let end = trace.times.last().copied().unwrap_or(1.0).max(1e-3);
    area.fill(&WHITE)?;
    // The legend sits above the 100% line, in room of its own, so it hides no core's line (an
    // idle core's line along the bottom is often the point of the chart).
    let entries = if trace.cores() > NAMED_CORES {
        1
    } else {
        trace.cores() + 1
    };
    let top = 112.0 + 8.0 * entries as f64;
    let mut chart =
        super::frame(area, title, 56).build_cartesian_2d(0f64..end * 1.02, 0f64..top)?;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .x_desc("time since start (s)")
        .y_desc("core busy (%)")
        .y_label_formatter(&|y| {
            if *y <= 100.5 {
                format!("{y:.0}")
            } else {
                String::new()
            }
        })
        .axis_desc_style((FONT, 14))
        .label_style((FONT, 13))
        .draw()?;
    let many = trace.cores() > NAMED_CORES;
    for (core, samples) in trace.per_core.iter().enumerate() {
        let points = trace.times.iter().copied().zip(samples.iter().copied());
        if many {
            chart.draw_series(LineSeries::new(
                points,
                RGBColor(170, 170, 170).stroke_width(1),
            ))?;
        } else {
            let c = colour(core);
            chart
                .draw_series(LineSeries::new(points, c.stroke_width(2)))?
                .label(format!("core {core}"))
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], c.stroke_width(2)));
        }
    }
    let cores = trace.cores().max(1) as f64;
    let mean: Vec<(f64, f64)> = (0..trace.times.len())
        .map(|i| {
            let sum: f64 = trace.per_core.iter().map(|c| c[i]).sum();
            (trace.times[i], sum / cores)
        })
        .collect();
    let black = BLACK;
    chart
        .draw_series(DashedLineSeries::new(mean, 8, 4, black.stroke_width(2)))?
        .label("whole machine (mean of all cores)")
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], black.stroke_width(2)));
    super::legend(&mut chart, SeriesLabelPosition::UpperRight)?;
    Ok(())
}

/// A per-core utilisation chart as a [`Figure`].
///
/// ```
/// use support::{chart::cpu_chart, cpu::CpuTrace};
/// let trace = CpuTrace {
///     times: vec![0.2, 0.4],
///     per_core: vec![vec![100.0, 100.0], vec![3.0, 1.0]],
///     process_cpu_seconds: 0.4,
///     wall_seconds: 0.4,
///     share: None,
/// };
/// assert!(cpu_chart("One busy core", &trace)?.svg().contains("core 1"));
/// let ragged = CpuTrace { per_core: vec![vec![100.0], vec![3.0, 1.0]], ..trace };
/// assert!(cpu_chart("Ragged", &ragged).is_err());
/// let broken = CpuTrace { per_core: vec![vec![f64::NAN, 100.0], vec![3.0, 1.0]], ..ragged };
/// assert!(cpu_chart("Broken", &broken).is_err());
/// # Ok::<(), support::Error>(())
/// ```
pub fn cpu_chart(title: &str, trace: &CpuTrace) -> Result<Figure> {
    render(title, 380, |root| draw_cpu(root, title, trace))
}
