//! How busy the machine's cores are while some work runs.
//!
//! Two views of the same run: the machine's per-core utilisation over time (what a task manager
//! shows, including other programs) and this process's own CPU time divided by wall time (how many
//! cores *our* work kept busy, which other programs cannot disturb). Claims in the notebooks use
//! the second; charts show the first.

use crate::error::{Error, Result};
use crate::share::{Disturbance, Share, Watch};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};
use sysinfo::System;

/// The shortest sampling interval the operating system's counters support.
pub const MIN_INTERVAL: Duration = sysinfo::MINIMUM_CPU_UPDATE_INTERVAL;

/// Per-core utilisation sampled while some work ran, plus the process's own CPU time.
#[derive(Debug, Clone, PartialEq)]
pub struct CpuTrace {
    /// End of each sampling interval, in seconds since the work started.
    pub times: Vec<f64>,
    /// `per_core[c][i]`: utilisation of logical core `c` in interval `i`, in percent (0–100).
    pub per_core: Vec<Vec<f64>>,
    /// CPU time (user + system) this process used while the work ran, in seconds.
    pub process_cpu_seconds: f64,
    /// Wall-clock time the work took, in seconds.
    pub wall_seconds: f64,
    /// What the work got of the machine and what competed with it, with the cores it keeps
    /// busy when nothing competes; `None` for a trace made by hand.
    pub share: Option<Share>,
}

impl CpuTrace {
    /// Number of logical cores the operating system reported.
    pub fn cores(&self) -> usize {
        self.per_core.len()
    }

    /// Cores this process kept busy on average: its CPU time divided by wall time.
    /// One thread spinning gives about 1.0; `n` spinning threads on `n` free cores give about `n`.
    pub fn busy_cores(&self) -> f64 {
        if self.wall_seconds > 0.0 {
            self.process_cpu_seconds / self.wall_seconds
        } else {
            0.0
        }
    }

    /// Cores the whole machine kept busy on average (all programs), from the per-core samples.
    pub fn machine_busy_cores(&self) -> f64 {
        let samples = self.times.len();
        if samples == 0 {
            return 0.0;
        }
        let total: f64 = self.per_core.iter().flatten().sum();
        total / 100.0 / samples as f64
    }
}

impl Disturbance for CpuTrace {
    /// Whether other programs competed with the traced work (see [`crate::share`]).
    fn disturbance(&self) -> Option<String> {
        self.share.as_ref().and_then(Share::disturbance)
    }
}

/// Runs `work`, which keeps `busy` cores busy when nothing competes (1.0 for one thread
/// computing), while sampling every core four times a second; measures again, up to three
/// times, while other programs compete with it. The trace says what the work kept busy, and
/// judges the claims made on it.
///
/// ```
/// use std::time::Duration;
/// use support::{cpu::watch_cpu, work::spin_for};
/// let trace = watch_cpu(1.0, || spin_for(Duration::from_millis(300)))?;
/// assert!(trace.busy_cores() > 0.0 && trace.share.is_some());
/// assert!(watch_cpu(-1.0, || ()).is_err());
/// # Ok::<(), support::Error>(())
/// ```
pub fn watch_cpu<T>(busy: f64, mut work: impl FnMut() -> T) -> Result<CpuTrace> {
    let (trace, _) = crate::share::until_undisturbed(3, || {
        let watch = Watch::start(busy)?;
        let (_, mut trace) = sample_cpu(Duration::from_millis(250), &mut work)?;
        trace.share = Some(watch.stop()?);
        Ok(trace)
    })?;
    Ok(trace)
}

/// Runs `work` on the calling thread while a helper thread samples every core's utilisation
/// each `interval`. Returns the work's value and the trace. The helper is joined before this
/// returns, even if `work` panics, so nothing is left running.
///
/// `interval` must be at least [`MIN_INTERVAL`] (the operating system's counter resolution) and
/// at most 10 s.
///
/// ```
/// use std::time::Duration;
/// use support::{cpu::sample_cpu, work::spin_for};
/// let (_, trace) = sample_cpu(Duration::from_millis(200), || spin_for(Duration::from_millis(450)))?;
/// assert!(trace.times.len() >= 2);
/// assert!(trace.per_core.iter().all(|core| core.len() == trace.times.len()));
/// // About 1.0 on an idle machine; less when other programs compete for the cores.
/// assert!(trace.busy_cores() > 0.0 && trace.busy_cores() < 1.5);
/// # Ok::<(), support::Error>(())
/// ```
pub fn sample_cpu<T>(interval: Duration, work: impl FnOnce() -> T) -> Result<(T, CpuTrace)> {
    if interval < MIN_INTERVAL || interval > Duration::from_secs(10) {
        return Err(Error::InvalidInput(format!(
            "the sampling interval must be between {MIN_INTERVAL:?} and 10s, got {interval:?}"
        )));
    }
    let mut system = System::new().map_err(|e| Error::System(e.to_string()))?;
    system.refresh_cpu_usage();
    let cpu_before = crate::os::process_cpu()?;
    let cores = system.cpus().len();

    let start = Instant::now();
    let (value, (times, per_core, system)) = std::thread::scope(|scope| {
        let (stop, stopped) = mpsc::channel::<()>();
        let sampler = scope.spawn(move || {
            let mut times = Vec::new();
            let mut per_core = vec![Vec::new(); cores];
            let mut next = start + interval;
            loop {
                let wait = next.saturating_duration_since(Instant::now());
                match stopped.recv_timeout(wait) {
                    Err(RecvTimeoutError::Timeout) => {}
                    // Stop asked (or the sender dropped because `work` panicked).
                    _ => break,
                }
                system.refresh_cpu_usage();
                times.push(start.elapsed().as_secs_f64());
                for (core, cpu) in per_core.iter_mut().zip(system.cpus()) {
                    core.push(f64::from(cpu.usage()).clamp(0.0, 100.0));
                }
                next += interval;
            }
            (times, per_core, system)
        });
        let value = work();
        drop(stop);
        // The sampler only panics if sysinfo does; pass such a panic on unchanged.
        let samples = sampler
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (value, samples)
    });
    let wall_seconds = start.elapsed().as_secs_f64();
    drop(system);
    let cpu_after = crate::os::process_cpu()?;
    Ok((
        value,
        CpuTrace {
            times,
            per_core,
            process_cpu_seconds: cpu_after.saturating_sub(cpu_before).as_secs_f64(),
            wall_seconds,
            share: None,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_short_an_interval_is_an_error() {
        let err = sample_cpu(Duration::from_millis(1), || ()).unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)), "{err}");
    }

    // The idle-CPU check lives in tests/cpu_idle.rs: it measures the whole process, so it
    // needs a test binary to itself.

    #[test]
    fn a_panic_in_work_still_stops_the_sampler() {
        let result = std::panic::catch_unwind(|| sample_cpu(MIN_INTERVAL, || panic!("boom")));
        assert!(result.is_err());
    }
}
