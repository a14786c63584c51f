//! Workloads of known cost and a small timing harness.
//!
//! The code a chapter teaches stays in the notebook; what lives here is the scaffolding around
//! it: CPU work that lasts a given time, and repeated timing that reports a median.

use crate::error::{Error, Result};
use crate::share::Share;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Keeps the calling thread's core busy for `duration` (a busy loop, not a sleep) and returns
/// how many rounds of the loop ran. Stands in for request parsing, template rendering and other
/// CPU work of a known length.
///
/// ```
/// use std::time::{Duration, Instant};
/// let start = Instant::now();
/// let rounds = support::work::spin_for(Duration::from_millis(20));
/// assert!(start.elapsed() >= Duration::from_millis(20));
/// assert!(rounds > 0);
/// ```
pub fn spin_for(duration: Duration) -> u64 {
    let start = Instant::now();
    let mut rounds = 0u64;
    while start.elapsed() < duration {
        // A little arithmetic between clock reads, so the loop is mostly computing.
        for i in 0..64u64 {
            rounds = black_box(rounds.wrapping_add(i));
        }
    }
    rounds
}

/// How many steps of `work` last about `target` on one thread here. `work(n)` must do `n` steps
/// of the same size; its result goes through [`black_box`], so the compiler cannot skip them.
///
/// It times doubling counts, from one step, until one run lasts at least a twentieth of
/// `target` (at least 2 ms), then scales the fastest of three runs at that count. So a chapter's
/// workload lasts about as long on a processor that runs its loop in a fifth of a nanosecond
/// a step as on one that takes three nanoseconds, and calibrating costs about a third of
/// `target`. `target` must be from 1 ms to 60 s; an error too if a trillion steps last under
/// the probe's time (the work does not grow with `n`).
///
/// ```
/// use std::time::{Duration, Instant};
/// let add_up = |n: u64| (0..n).fold(0u64, |x, i| std::hint::black_box(x ^ i));
/// let steps = support::work::steps_lasting(Duration::from_millis(20), add_up)?;
/// let start = Instant::now();
/// add_up(steps);
/// assert!(start.elapsed() > Duration::from_millis(2));
/// // Slow steps (5 ms each, at least): a handful, found without overshooting.
/// let slow = |n: u64| support::work::spin_for(Duration::from_millis(5 * n));
/// assert!((1..=4).contains(&support::work::steps_lasting(Duration::from_millis(20), slow)?));
/// assert!(support::work::steps_lasting(Duration::ZERO, add_up).is_err());
/// assert!(support::work::steps_lasting(Duration::from_millis(20), |_n| 0).is_err());
/// # Ok::<(), support::Error>(())
/// ```
pub fn steps_lasting<T>(target: Duration, mut work: impl FnMut(u64) -> T) -> Result<u64> {
    const MOST_STEPS: u64 = 1_000_000_000_000;
    if !(Duration::from_millis(1)..=Duration::from_secs(60)).contains(&target) {
        return Err(Error::InvalidInput(format!(
            "target must be from 1 ms to 60 s, got {target:?}"
        )));
    }
    let probe_time = (target / 20).max(Duration::from_millis(2));
    let mut timed = |steps: u64| {
        let start = Instant::now();
        black_box(work(black_box(steps)));
        start.elapsed()
    };
    let mut steps = 1u64;
    while timed(steps) < probe_time {
        if steps >= MOST_STEPS {
            return Err(Error::InvalidInput(format!(
                "{steps} steps of the work took under {probe_time:?}: it does not grow with \
                 its count of steps (did the compiler skip it?)"
            )));
        }
        steps *= 2;
    }
    let fastest = (0..3).map(|_| timed(steps)).min().unwrap_or(probe_time);
    let scaled = steps as f64 * target.as_secs_f64() / fastest.as_secs_f64().max(1e-9);
    Ok((scaled as u64).max(1))
}

/// Wall-clock times of repeated runs of the same work.
#[derive(Debug, Clone, PartialEq)]
pub struct Timing {
    /// Each run's time, in the order they ran.
    pub runs: Vec<Duration>,
    /// Each run's share of the machine, when it was watched (a
    /// [`Bench`](crate::bench::Bench)); empty otherwise.
    pub shares: Vec<Share>,
}

impl Timing {
    /// The median run, the figure the notebooks quote (robust to one slow run on a busy
    /// machine); zero when there are no runs.
    pub fn median(&self) -> Duration {
        let mut sorted = self.runs.clone();
        sorted.sort();
        sorted.get(sorted.len() / 2).copied().unwrap_or_default()
    }

    /// The fastest run.
    pub fn min(&self) -> Duration {
        self.runs.iter().copied().min().unwrap_or_default()
    }

    /// The median, in seconds.
    pub fn secs(&self) -> f64 {
        self.median().as_secs_f64()
    }

    /// The index of the fastest run that got the cores it asked for, or of the fastest run if
    /// none did (or the runs were not watched).
    fn best_index(&self) -> usize {
        let fastest =
            |indices: &mut dyn Iterator<Item = usize>| indices.min_by_key(|&i| self.runs[i]);
        let undisturbed = (0..self.runs.len()).filter(|&i| {
            self.shares
                .get(i)
                .is_some_and(|s| s.disturbance().is_none())
        });
        fastest(&mut undisturbed.into_iter())
            .or_else(|| fastest(&mut (0..self.runs.len())))
            .unwrap_or(0)
    }

    /// The fastest run that nothing competed with, in seconds (the fastest run of all when
    /// every run met competition; its [`Timing::best_share`] then says so). The figure a
    /// speed-up is judged on.
    ///
    /// ```
    /// use std::time::Duration;
    /// let timing = support::work::measure(3, || support::work::spin_for(Duration::from_millis(5)))?;
    /// assert!(timing.best() >= 0.005 && timing.best_share().is_none());
    /// # Ok::<(), support::Error>(())
    /// ```
    pub fn best(&self) -> f64 {
        self.runs
            .get(self.best_index())
            .map_or(0.0, Duration::as_secs_f64)
    }

    /// The share of the machine that [`Timing::best`]'s run got, when the runs were watched.
    pub fn best_share(&self) -> Option<&Share> {
        self.shares.get(self.best_index())
    }
}

/// Runs `work` `repeats` times and times each run; the results are passed through
/// [`black_box`] so the compiler cannot skip the work. `repeats` must be 1 to 1,000.
///
/// ```
/// let timing = support::work::measure(3, || (0..1_000u64).sum::<u64>())?;
/// assert_eq!(timing.runs.len(), 3);
/// assert!(timing.min() <= timing.median());
/// # Ok::<(), support::Error>(())
/// ```
pub fn measure<T>(repeats: usize, mut work: impl FnMut() -> T) -> Result<Timing> {
    if !(1..=1000).contains(&repeats) {
        return Err(Error::InvalidInput(format!(
            "repeats must be between 1 and 1000, got {repeats}"
        )));
    }
    let runs = (0..repeats)
        .map(|_| {
            let start = Instant::now();
            black_box(work());
            start.elapsed()
        })
        .collect();
    Ok(Timing {
        runs,
        shares: Vec::new(),
    })
}

/// Times several pieces of work against each other: `rounds` rounds, each running every job
/// once in turn, so a disturbance on a busy machine (another process, a compiler in the
/// background) falls on all of them rather than on every run of one. Returns one [`Timing`]
/// per job, in the order given; compare their [`Timing::min`]s. `rounds` must be 1 to 1,000
/// and there must be at least one job.
///
/// ```
/// use support::work::measure_interleaved;
/// let (mut short, mut long) = (|| (0..1_000u64).sum::<u64>(), || (0..100_000u64).sum::<u64>());
/// let timings = measure_interleaved(5, &mut [&mut || { short(); }, &mut || { long(); }])?;
/// assert_eq!(timings.len(), 2);
/// assert!(timings.iter().all(|t| t.runs.len() == 5));
/// # Ok::<(), support::Error>(())
/// ```
pub fn measure_interleaved(rounds: usize, jobs: &mut [&mut dyn FnMut()]) -> Result<Vec<Timing>> {
    let mut timings = no_timings_yet(rounds, jobs.len())?;
    for _ in 0..rounds {
        for (job, timing) in jobs.iter_mut().zip(&mut timings) {
            let start = Instant::now();
            job();
            timing.runs.push(start.elapsed());
        }
    }
    Ok(timings)
}

/// Checks `rounds` (1 to 1,000) and that there are jobs, and gives each job an empty [`Timing`].
fn no_timings_yet(rounds: usize, jobs: usize) -> Result<Vec<Timing>> {
    if !(1..=1000).contains(&rounds) {
        return Err(Error::InvalidInput(format!(
            "rounds must be between 1 and 1000, got {rounds}"
        )));
    }
    if jobs == 0 {
        return Err(Error::Empty("jobs to time"));
    }
    Ok((0..jobs)
        .map(|_| Timing {
            runs: Vec::new(),
            shares: Vec::new(),
        })
        .collect())
}

/// Amdahl's law: the speed-up of a job whose `parallel_fraction` of the run time spreads
/// perfectly over `workers` workers while the rest stays serial.
///
/// ```
/// // The course's example: 15% + 5% of the run time can run in parallel.
/// let bound = support::work::amdahl(0.20, usize::MAX)?;
/// assert!((bound - 1.25).abs() < 1e-9); // the run time can shrink by at most 20%
/// assert!((support::work::amdahl(0.5, 2)? - 4.0 / 3.0).abs() < 1e-9);
/// assert!(support::work::amdahl(1.5, 2).is_err());
/// # Ok::<(), support::Error>(())
/// ```
pub fn amdahl(parallel_fraction: f64, workers: usize) -> Result<f64> {
    let p = crate::error::finite(parallel_fraction, "parallel_fraction")?;
    if !(0.0..=1.0).contains(&p) {
        return Err(Error::InvalidInput(format!(
            "parallel_fraction is a share of the run time, between 0 and 1; got {p}"
        )));
    }
    let n = crate::error::workers(workers)? as f64;
    Ok(1.0 / ((1.0 - p) + p / n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleaved_jobs_take_turns() {
        let order = std::cell::RefCell::new(Vec::new());
        let timings = measure_interleaved(
            3,
            &mut [&mut || order.borrow_mut().push('a'), &mut || {
                order.borrow_mut().push('b')
            }],
        )
        .unwrap();
        assert_eq!(order.into_inner(), ['a', 'b', 'a', 'b', 'a', 'b']);
        assert_eq!(timings[1].runs.len(), 3);
        assert!(measure_interleaved(0, &mut [&mut || ()]).is_err());
        assert!(measure_interleaved(3, &mut []).is_err());
    }

    #[test]
    fn zero_repeats_is_an_error() {
        assert!(measure(0, || ()).is_err());
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        let ms = Duration::from_millis;
        let t = Timing {
            runs: vec![ms(3), ms(1), ms(2)],
            shares: Vec::new(),
        };
        assert_eq!(t.median(), ms(2));
        let t = Timing {
            runs: vec![ms(4), ms(1), ms(2), ms(3)],
            shares: Vec::new(),
        };
        assert_eq!(t.median(), ms(3));
    }

    #[test]
    fn best_is_the_fastest_undisturbed_run() {
        let ms = Duration::from_millis;
        let share = |others: f64| Share {
            busy: 2.0,
            cores: 2,
            wall_seconds: 1.0,
            cpu_seconds: 1.9,
            machine: Some(crate::share::MachineCpu {
                busy: 1.9 + others,
                stolen: 0.0,
                cpus: 2,
            }),
            group: None,
        };
        let t = Timing {
            runs: vec![ms(30), ms(10), ms(20)],
            shares: vec![share(0.0), share(0.9), share(0.05)],
        };
        assert_eq!(t.best(), 0.020); // another program had most of a core during the 10 ms run
        assert!(t.best_share().unwrap().disturbance().is_none());
        let all_busy = Timing {
            runs: vec![ms(30), ms(10)],
            shares: vec![share(0.9), share(1.0)],
        };
        assert_eq!(all_busy.best(), 0.010);
        assert!(all_busy.best_share().unwrap().disturbance().is_some());
        let unwatched = Timing {
            runs: vec![ms(3), ms(2)],
            shares: Vec::new(),
        };
        assert_eq!(unwatched.best(), 0.002);
        assert_eq!(
            Timing {
                runs: vec![],
                shares: vec![]
            }
            .median(),
            Duration::ZERO
        );
    }

    #[test]
    fn amdahl_limits() {
        assert_eq!(amdahl(0.0, 64).unwrap(), 1.0);
        assert_eq!(amdahl(1.0, 8).unwrap(), 8.0);
        assert!(amdahl(f64::NAN, 2).is_err());
        assert!(amdahl(0.5, 0).is_err());
    }
}
