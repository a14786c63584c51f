//! Timing ways of doing a job against what this machine delivers right now.
//!
//! "Two threads are 1.9× faster" means little on its own: a laptop's efficiency cores, a
//! virtual machine whose host is busy, or a browser in the background can each hold a correct
//! program to 1.4×, and a program whose threads each do all the work would read 1.0× on any
//! machine. So a [`Bench`] times the runs a claim compares in interleaved rounds and, beside
//! them, a **reference workload** of fixed work per thread: plain integer arithmetic, each step
//! depending on the last, touching no shared memory. How much faster that runs on `t` threads
//! than on one is this machine's **ceiling** for `t` threads *at that moment*
//! ([`Measured::ceiling`]), and a speed-up claim compares its runs with it: a correct program
//! reaches about 1.0 of the ceiling whatever the machine, a program that wastes its cores
//! falls short of it on every machine.
//!
//! A run counts as disturbed only on evidence independent of the work being judged (see
//! [`crate::share`]): other programs on the cores it needed, steal time, another process in
//! its CPU quota, or a ceiling too low to tell a bug from a saturated machine (under
//! [`LOWEST_CEILING`]× on 2 threads where this process may use 2 cores or more). A disturbed
//! bench is measured again, up to three times; if it stays disturbed, the claims judged on it
//! show *not judged*, whether they came out true or false.

use crate::chart::Series;
use crate::error::{Error, Result};
use crate::share::{Disturbance, Share, timed};
use crate::table::Table;
use crate::work::Timing;
use std::cell::RefCell;
use std::hint::black_box;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// Below this ceiling on 2 threads (where this process may use 2 cores or more) the machine is
/// too busy to tell a program that wastes its cores from one that does not: the claims judged
/// on the bench are *not judged*. For `t` threads the floor is `1 + (LOWEST_CEILING − 1) ×
/// (t − 1)`, as far as the cores go.
pub const LOWEST_CEILING: f64 = 1.3;

/// How long one thread's share of the reference workload takes, roughly.
const REFERENCE_TIME: Duration = Duration::from_millis(60);

/// The most threads a run may say it uses: a guard against a typo starting thousands.
const MAX_THREADS: usize = 256;

/// The reference workload: `steps` steps of integer arithmetic, each depending on the last,
/// in registers only. Its speed on `t` threads against one is the machine's ceiling.
///
/// ```
/// assert_ne!(support::bench::reference_work(1_000), support::bench::reference_work(1_001));
/// ```
pub fn reference_work(steps: u64) -> u64 {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in 0..steps {
        x = (x.wrapping_mul(0x5851_F42D_4C95_7F2D).wrapping_add(i)) ^ (x >> 29);
    }
    black_box(x)
}

/// The reference workload on `threads` threads, `steps` each, joined before it returns.
fn reference_on(threads: usize, steps: u64) -> u64 {
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| s.spawn(move || reference_work(steps)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or(0))
            .fold(0, u64::wrapping_add)
    })
}

/// The ceiling on `threads` threads from the reference's time alone (`one`) and on them
/// (`many`): never more than `threads`, nor than this process's CPU quota (Binder's 1 CPU),
/// since threads may burst past a quota within a period, which a short round can catch.
fn capped_ceiling(threads: usize, one: f64, many: f64) -> f64 {
    let quota = crate::os::Cgroup::detect().quota().unwrap_or(f64::INFINITY);
    (threads as f64 * one / many)
        .min(threads as f64)
        .min(quota.max(1.0))
}

/// `threads` copies of `work` at once, one per thread, joined before it returns.
fn copies_on(threads: usize, work: &(dyn Fn() + Sync)) {
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(work);
        }
    });
}

/// Steps of [`reference_work`] that take about [`REFERENCE_TIME`] on one core here.
fn calibrate() -> u64 {
    let probe = 2_000_000;
    let fastest = (0..3)
        .map(|_| {
            let start = Instant::now();
            reference_work(probe);
            start.elapsed()
        })
        .min()
        .unwrap_or(Duration::from_millis(1))
        .max(Duration::from_micros(100));
    let steps = probe as f64 * REFERENCE_TIME.as_secs_f64() / fastest.as_secs_f64();
    (steps as u64).clamp(1_000_000, 2_000_000_000)
}

type Work<'a> = Box<dyn FnMut() -> std::result::Result<(), String> + 'a>;

struct Job<'a> {
    name: String,
    threads: usize,
    work: Work<'a>,
}

/// Runs to time against each other and against this machine's ceiling: build one with
/// [`Bench::new`] and [`Bench::run`] (or [`Bench::threads`] for a job on 1, 2, … threads),
/// then [`Bench::measure`].
///
/// ```
/// use support::bench::Bench;
/// use support::work::spin_for;
/// use std::time::Duration;
/// let mut calls = 0;
/// let measured = Bench::new()
///     .rounds(2)
///     .run("short", 1, || spin_for(Duration::from_millis(5)))
///     .run("long", 1, || { calls += 1; spin_for(Duration::from_millis(15)) })
///     .measure()?;
/// assert!(measured.speedup("long")? < 1.0);
/// assert!(measured.secs("nothing").is_err());
/// # Ok::<(), support::Error>(())
/// ```
pub struct Bench<'a> {
    rounds: usize,
    tries: usize,
    jobs: Vec<Job<'a>>,
    reference: Option<Reference<'a>>,
}

/// A reference workload given with [`Bench::reference`]: its description and its work.
struct Reference<'a> {
    name: String,
    work: Box<dyn Fn() + Sync + 'a>,
}

impl Default for Bench<'_> {
    fn default() -> Self {
        Bench::new()
    }
}

impl<'a> Bench<'a> {
    /// No runs yet; three rounds, measured up to three times if disturbed.
    pub fn new() -> Self {
        Bench {
            rounds: 3,
            tries: 3,
            jobs: Vec::new(),
            reference: None,
        }
    }

    /// How many rounds (1 to 100): each round runs every job once, in turn, each kept at its
    /// fastest undisturbed run.
    pub fn rounds(mut self, rounds: usize) -> Self {
        self.rounds = rounds;
        self
    }

    /// How many times (1 to 10) the whole bench is measured if other programs competed with it.
    pub fn tries(mut self, tries: usize) -> Self {
        self.tries = tries;
        self
    }

    /// Measures the ceiling on `work` instead of plain integer arithmetic: `t` copies of it at
    /// once, one per thread, against one copy alone. Give it the one-thread share of the job
    /// being judged when that job leans on parts of a core that two hyperthreads share (a
    /// square root or a division at every step): on sibling hyperthreads such a loop gains
    /// almost nothing while plain arithmetic nearly doubles, so only a ceiling measured on the
    /// same instructions says what this machine can deliver for them. `name` says what it is
    /// in the table (e.g. "do_math, 30 million steps").
    ///
    /// ```
    /// use support::bench::Bench;
    /// use support::work::spin_for;
    /// use std::time::Duration;
    /// let measured = Bench::new()
    ///     .rounds(1)
    ///     .reference("a 5 ms spin", || spin_for(Duration::from_millis(5)))
    ///     .run("1 thread", 1, || spin_for(Duration::from_millis(5)))
    ///     .measure()?;
    /// assert_eq!(measured.reference_name.as_deref(), Some("a 5 ms spin"));
    /// assert!(measured.to_table().to_text().contains("a 5 ms spin"));
    /// # Ok::<(), support::Error>(())
    /// ```
    pub fn reference<T>(
        mut self,
        name: impl Into<String>,
        work: impl Fn() -> T + Sync + 'a,
    ) -> Self {
        self.reference = Some(Reference {
            name: name.into(),
            work: Box::new(move || {
                black_box(work());
            }),
        });
        self
    }

    /// Adds a run called `name` whose work computes on `threads` threads (1 for serial work;
    /// a run on more threads than there are cores still keeps only the cores busy). The first
    /// run is the one the others' speed-ups are measured against.
    pub fn run<T>(
        self,
        name: impl Into<String>,
        threads: usize,
        mut work: impl FnMut() -> T + 'a,
    ) -> Self {
        self.push(
            name.into(),
            threads,
            Box::new(move || {
                black_box(work());
                Ok(())
            }),
        )
    }

    /// Like [`Bench::run`], for work that can fail: the first error stops the bench and is
    /// returned by [`Bench::measure`].
    pub fn try_run<T, E: std::fmt::Display>(
        self,
        name: impl Into<String>,
        threads: usize,
        mut work: impl FnMut() -> std::result::Result<T, E> + 'a,
    ) -> Self {
        self.push(
            name.into(),
            threads,
            Box::new(move || {
                work()
                    .map(|v| {
                        black_box(v);
                    })
                    .map_err(|e| e.to_string())
            }),
        )
    }

    /// A bench of one job run on each of `counts` threads ("1 thread", "2 threads", …), for a
    /// speed-up series: `work(t)` does the whole job on `t` threads.
    ///
    /// ```
    /// use support::bench::Bench;
    /// let measured = Bench::threads(1..=2, |t| support::work::spin_for(std::time::Duration::from_millis(4 / t as u64)))
    ///     .rounds(1)
    ///     .measure()?;
    /// assert_eq!(measured.speedups().len(), 2);
    /// # Ok::<(), support::Error>(())
    /// ```
    pub fn threads<T>(
        counts: impl IntoIterator<Item = usize>,
        work: impl FnMut(usize) -> T + 'a,
    ) -> Self {
        let shared = Rc::new(RefCell::new(work));
        let mut bench = Bench::new();
        for t in counts {
            let work = Rc::clone(&shared);
            let name = if t == 1 {
                "1 thread".to_string()
            } else {
                format!("{t} threads")
            };
            bench = bench.run(name, t, move || (work.borrow_mut())(t));
        }
        bench
    }

    fn push(mut self, name: String, threads: usize, work: Work<'a>) -> Self {
        self.jobs.push(Job {
            name,
            threads,
            work,
        });
        self
    }

    fn check(&self) -> Result<()> {
        if self.jobs.is_empty() {
            return Err(Error::Empty("the bench's runs (add one with .run(..))"));
        }
        if !(1..=100).contains(&self.rounds) {
            return Err(Error::InvalidInput(format!(
                "rounds must be between 1 and 100, got {}",
                self.rounds
            )));
        }
        if !(1..=10).contains(&self.tries) {
            return Err(Error::InvalidInput(format!(
                "tries must be between 1 and 10, got {}",
                self.tries
            )));
        }
        for (i, job) in self.jobs.iter().enumerate() {
            if !(1..=MAX_THREADS).contains(&job.threads) {
                return Err(Error::InvalidInput(format!(
                    "run '{}' says it uses {} threads: give 1 to {MAX_THREADS}",
                    job.name, job.threads
                )));
            }
            if self.jobs[..i].iter().any(|j| j.name == job.name) {
                return Err(Error::InvalidInput(format!(
                    "two runs are called '{}': give each a name of its own",
                    job.name
                )));
            }
        }
        Ok(())
    }

    /// Times every run and the reference workload in interleaved rounds, and again (up to
    /// [`Bench::tries`] times) while other programs competed with them.
    pub fn measure(mut self) -> Result<Measured> {
        self.check()?;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut counts: Vec<usize> = self.jobs.iter().map(|j| j.threads).collect();
        counts.push(1);
        counts.sort_unstable();
        counts.dedup();
        let mut attempt = 1;
        let custom = self.reference.take();
        loop {
            let steps = if custom.is_some() { 0 } else { calibrate() };
            let mut jobs: Vec<Run> = self
                .jobs
                .iter()
                .map(|j| Run::new(j.name.clone(), j.threads))
                .collect();
            let mut reference: Vec<Run> = counts
                .iter()
                .map(|&t| Run::new(format!("reference on {t}"), t))
                .collect();
            for _ in 0..self.rounds {
                let mut done = vec![false; counts.len()];
                let mut run_reference = |t: usize, reference: &mut Vec<Run>| -> Result<()> {
                    let i = counts.iter().position(|&c| c == t).unwrap_or(0);
                    if !done[i] {
                        done[i] = true;
                        let (_, share) = match &custom {
                            Some(reference) => {
                                timed(t.min(cores) as f64, || copies_on(t, &reference.work))?
                            }
                            None => timed(t.min(cores) as f64, || {
                                reference_on(t, steps);
                            })?,
                        };
                        reference[i].push(share);
                    }
                    Ok(())
                };
                run_reference(1, &mut reference)?;
                for (job, run) in self.jobs.iter_mut().zip(&mut jobs) {
                    run_reference(job.threads, &mut reference)?;
                    let (outcome, share) = timed(job.threads.min(cores) as f64, &mut job.work)?;
                    outcome.map_err(|why| {
                        Error::System(format!("run '{}' failed: {why}", job.name))
                    })?;
                    run.push(share);
                }
            }
            let measured = Measured {
                jobs,
                reference,
                cores,
                attempts: attempt,
                reference_steps: steps,
                reference_name: custom.as_ref().map(|r| r.name.clone()),
            };
            if measured.disturbance().is_none() || attempt >= self.tries {
                return Ok(measured);
            }
            attempt += 1;
        }
    }
}

/// One run of a [`Measured`] bench: its name, threads, and every timing with what it met.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// The name given to [`Bench::run`].
    pub name: String,
    /// The threads it computes on.
    pub threads: usize,
    /// Its runs, one per round, each with its [`Share`].
    pub timing: Timing,
}

impl Run {
    fn new(name: String, threads: usize) -> Run {
        Run {
            name,
            threads,
            timing: Timing {
                runs: Vec::new(),
                shares: Vec::new(),
            },
        }
    }

    fn push(&mut self, share: Share) {
        self.timing
            .runs
            .push(Duration::from_secs_f64(share.wall_seconds));
        self.timing.shares.push(share);
    }
}

/// What a [`Bench`] measured: each run's fastest undisturbed time, the machine's ceiling at
/// each thread count, and whether other programs competed with them.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    /// The runs, in the order they were added.
    pub jobs: Vec<Run>,
    /// The reference workload at each thread count the runs use (and 1).
    pub reference: Vec<Run>,
    /// Cores this process may use.
    pub cores: usize,
    /// How many times the bench was measured (more than 1 when others competed).
    pub attempts: usize,
    /// Steps of the reference workload each of its threads ran (0 when the bench was given
    /// its own reference with [`Bench::reference`]).
    pub reference_steps: u64,
    /// The reference given with [`Bench::reference`], if any (plain arithmetic otherwise).
    pub reference_name: Option<String>,
}

impl Measured {
    fn job(&self, name: &str) -> Result<&Run> {
        self.jobs.iter().find(|j| j.name == name).ok_or_else(|| {
            let names: Vec<&str> = self.jobs.iter().map(|j| j.name.as_str()).collect();
            Error::InvalidInput(format!("no run called '{name}' (the runs: {names:?})"))
        })
    }

    /// The fastest undisturbed time of the run called `name`, in seconds.
    pub fn secs(&self, name: &str) -> Result<f64> {
        Ok(self.job(name)?.timing.best())
    }

    /// How many times faster the run called `name` is than the first run.
    pub fn speedup(&self, name: &str) -> Result<f64> {
        let first = self.jobs.first().map_or(0.0, |j| j.timing.best());
        Ok(first / self.secs(name)?.max(1e-12))
    }

    /// Every run's speed-up over the first, with its thread count, in order.
    pub fn speedups(&self) -> Vec<(usize, f64)> {
        let first = self.jobs.first().map_or(0.0, |j| j.timing.best());
        self.jobs
            .iter()
            .map(|j| (j.threads, first / j.timing.best().max(1e-12)))
            .collect()
    }

    /// This machine's ceiling for `threads` threads: how much faster it ran the reference
    /// workload on that many threads than on one (each thread the same work), during this
    /// bench. About `min(threads, cores)` on a quiet machine with real cores; less on shared
    /// or unequal ones. Never more than `threads`: the reference cannot run more than `threads`
    /// times faster on `threads` threads, so a reading above it (the one-thread round was slowed,
    /// 2.02× on 2 threads was seen) is noise, and the claims judged against it would be judged
    /// against a bound no program can reach. Nor more than this process's CPU quota, where one
    /// applies. An error for a thread count no run used.
    pub fn ceiling(&self, threads: usize) -> Result<f64> {
        let time = |t: usize| {
            self.reference
                .iter()
                .find(|r| r.threads == t)
                .map(|r| r.timing.best())
        };
        match (time(1), time(threads)) {
            (Some(one), Some(many)) if many > 0.0 => Ok(capped_ceiling(threads, one, many)),
            _ => Err(Error::InvalidInput(format!(
                "no run of this bench used {threads} threads, so its ceiling was not measured"
            ))),
        }
    }

    /// The lowest ceiling on `threads` threads at which a speed-up can be judged (see
    /// [`LOWEST_CEILING`]).
    fn floor(&self, threads: usize) -> f64 {
        1.0 + (LOWEST_CEILING - 1.0) * (threads.min(self.cores).max(1) - 1) as f64
    }

    /// How close the run called `name` came to this machine's ceiling, round by round: in each
    /// round, its speed-up over the run called `over` (its serial version) divided by the
    /// ceiling measured in that same round (the reference runs just before it), and the best
    /// of those. Rounds whose ceiling was under the [`LOWEST_CEILING`] floor are skipped; when
    /// none is left, the ratio of the bench's best figures (the two runs' fastest times ÷
    /// [`Measured::ceiling`]). On a machine
    /// whose speed for parallel work changes from one second to the next (a virtual machine's
    /// CPUs sometimes sharing one host core), a speed-up and a ceiling each taken at their best
    /// moment can come from different moments; paired in a round they cannot. A correct
    /// program reaches about 1.0 in some round; one that wastes its cores falls short in all.
    ///
    /// ```
    /// use support::bench::Bench;
    /// use support::work::spin_for;
    /// use std::time::Duration;
    /// let measured = Bench::new()
    ///     .rounds(2)
    ///     .run("one", 1, || spin_for(Duration::from_millis(8)))
    ///     .run("the same, on a thread", 1, || std::thread::scope(|s| { s.spawn(|| spin_for(Duration::from_millis(8))); }))
    ///     .measure()?;
    /// assert!(measured.of_ceiling("the same, on a thread", "one")? > 0.5);
    /// assert!(measured.of_ceiling("nothing", "one").is_err());
    /// # Ok::<(), support::Error>(())
    /// ```
    pub fn of_ceiling(&self, name: &str, over: &str) -> Result<f64> {
        let (job, first) = (self.job(name)?, self.job(over)?);
        let best_figures = first.timing.best()
            / job.timing.best().max(1e-12)
            / self.ceiling(job.threads)?.max(1e-12);
        let (Some(one), Some(many)) = (
            self.reference.iter().find(|r| r.threads == 1),
            self.reference.iter().find(|r| r.threads == job.threads),
        ) else {
            return Ok(best_figures);
        };
        let floor = self.floor(job.threads);
        let secs = |run: &Run, r: usize| run.timing.runs.get(r).map(Duration::as_secs_f64);
        let paired = (0..job.timing.runs.len())
            .filter_map(|r| {
                let (serial, this) = (secs(first, r)?, secs(job, r)?);
                let (alone, together) = (secs(one, r)?, secs(many, r)?);
                let ceiling = capped_ceiling(job.threads, alone, together.max(1e-12));
                (job.threads == 1 || ceiling >= floor)
                    .then(|| serial / this.max(1e-12) / ceiling.max(1e-12))
            })
            .reduce(f64::max);
        Ok(paired.unwrap_or(best_figures))
    }

    /// The ceiling at each run's thread count, in the runs' order.
    pub fn ceilings(&self) -> Vec<(usize, f64)> {
        self.jobs
            .iter()
            .map(|j| (j.threads, self.ceiling(j.threads).unwrap_or(0.0)))
            .collect()
    }

    /// The speed-ups as a chart series (x: threads).
    pub fn speedup_series(&self, label: impl Into<String>) -> Series {
        Series::new(
            label,
            self.speedups().into_iter().map(|(t, s)| (t as f64, s)),
        )
    }

    /// The ceilings as a chart series (x: threads), labelled as such.
    pub fn ceiling_series(&self) -> Series {
        let mut points = self.ceilings();
        points.sort_by_key(|p| p.0);
        points.dedup_by_key(|p| p.0);
        let label = match self.reference_name {
            Some(_) => "this machine's ceiling (the same work per thread, same moment)",
            None => "this machine's ceiling (plain arithmetic, same moment)",
        };
        Series::new(label, points.into_iter().map(|(t, c)| (t as f64, c)))
    }

    /// The runs as a table: name, threads, fastest time, speed-up over the first run, and the
    /// machine's ceiling at that thread count.
    pub fn to_table(&self) -> Table {
        let first = self.jobs.first().map_or("the first", |j| j.name.as_str());
        let mut table = Table::new([
            "run".to_string(),
            "threads".to_string(),
            format!(
                "fastest of {} (s)",
                self.jobs.first().map_or(0, |j| j.timing.runs.len())
            ),
            format!("speed-up over {first}"),
            "this machine's ceiling".to_string(),
        ]);
        for (job, (_, speedup)) in self.jobs.iter().zip(self.speedups()) {
            let ceiling = self
                .ceiling(job.threads)
                .map_or_else(|_| "–".into(), |c| format!("{c:.2}×"));
            // Five cells for five columns: cannot fail.
            let _ = table.push_row([
                job.name.clone(),
                job.threads.to_string(),
                format!("{:.4}", job.timing.best()),
                format!("{speedup:.2}×"),
                ceiling,
            ]);
        }
        let mut caption = match &self.reference_name {
            Some(name) => format!(
                "{} cores available; ceiling: the same moment's speed-up of {name}, one copy \
                 per thread",
                self.cores
            ),
            None => format!(
                "{} cores available; ceiling: the same moment's speed-up of plain arithmetic, \
                 {} steps per thread",
                self.cores, self.reference_steps
            ),
        };
        if let Some(why) = self.disturbance() {
            caption += &format!("; disturbed: {why}");
        }
        table.with_caption(caption)
    }

    /// Shows the table under the cell.
    pub fn evcxr_display(&self) {
        self.to_table().evcxr_display();
    }
}

impl Disturbance for Measured {
    fn disturbance(&self) -> Option<String> {
        let tries = if self.attempts > 1 {
            format!(" (measured {} times, disturbed each time)", self.attempts)
        } else {
            String::new()
        };
        for run in self.jobs.iter().chain(&self.reference) {
            if let Some(why) = run.timing.best_share().and_then(Share::disturbance) {
                return Some(format!("{}: {why}{tries}", run.name));
            }
        }
        if self.cores >= 2 {
            let lowest = self
                .jobs
                .iter()
                .filter(|j| j.threads >= 2)
                .map(|j| j.threads)
                .min();
            if let Some(t) = lowest {
                let ceiling = self.ceiling(t).unwrap_or(0.0);
                let floor = self.floor(t);
                if ceiling < floor {
                    return Some(format!(
                        "this machine ran {} only {ceiling:.2}× faster on {t} threads \
                         than on one (under {floor:.2}×): too busy, or its threads on one \
                         core's hyperthreads, to tell a program that wastes its cores from a \
                         saturated machine{tries}",
                        self.reference_name.as_deref().unwrap_or("plain arithmetic")
                    ));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_benches_are_errors() {
        assert!(Bench::new().measure().is_err());
        assert!(Bench::new().run("a", 0, || ()).measure().is_err());
        assert!(Bench::new().run("a", 100_000, || ()).measure().is_err());
        assert!(
            Bench::new()
                .run("a", 1, || ())
                .run("a", 1, || ())
                .measure()
                .is_err()
        );
        assert!(Bench::new().rounds(0).run("a", 1, || ()).measure().is_err());
        let failing = Bench::new()
            .rounds(1)
            .try_run("fails", 1, || Err::<(), _>("no python"));
        let err = failing.measure().unwrap_err();
        assert!(
            err.to_string().contains("run 'fails' failed: no python"),
            "{err}"
        );
    }

    #[test]
    fn the_reference_scales_with_threads_and_is_measured_at_each_count() {
        let measured = Bench::threads([1, 2], |t| reference_on(t, 200_000 / t as u64))
            .rounds(2)
            .tries(1)
            .measure()
            .unwrap();
        assert_eq!(measured.reference.len(), 2);
        assert!(measured.ceiling(2).unwrap() > 0.0);
        assert!(measured.ceiling(3).is_err());
        assert_eq!(measured.ceilings().len(), 2);
        assert!(measured.to_table().to_text().contains("2 threads"));
    }

    fn run_of(threads: usize, secs: f64) -> Run {
        let mut run = Run::new(format!("{threads}"), threads);
        run.push(Share {
            busy: threads as f64,
            cores: 2,
            wall_seconds: secs,
            cpu_seconds: secs * threads as f64,
            machine: None,
            group: None,
        });
        run
    }

    #[test]
    fn a_given_reference_is_what_the_ceiling_measures() {
        // Copies that take turns on one lock cannot run faster on 2 threads than on one: the
        // ceiling says so, where plain arithmetic would have read up to 2× (and taken ~60 ms).
        // The copies are long and the best of four is kept, so that a test beside this one
        // (cargo runs more test threads than this machine may have cores) delaying the end of
        // a copy by a time slice is unlikely to move the ceiling past its bound: it would take
        // 5 ms or more in all four rounds.
        let turns = std::sync::Mutex::new(());
        let measured = Bench::new()
            .rounds(4)
            .reference("25 ms under one lock", || {
                let _turn = turns.lock();
                crate::work::spin_for(Duration::from_millis(25))
            })
            .run("1 thread", 1, || ())
            .run("2 threads", 2, || ())
            .measure()
            .unwrap();
        let one = measured.reference[0].timing.best();
        assert!((0.024..0.1).contains(&one), "one copy took {one} s");
        assert!(measured.ceiling(2).unwrap() < 1.2);
        assert_eq!(measured.reference_steps, 0);
        // A ceiling under the floor is a disturbance, named after the reference. The tests
        // beside this one may compete with its runs (cargo runs them in parallel): that is
        // reported first, and is a disturbance too.
        let why = measured
            .disturbance()
            .expect("a ceiling under the floor disturbs");
        let competed = measured.jobs.iter().chain(&measured.reference).any(|run| {
            run.timing
                .best_share()
                .and_then(Share::disturbance)
                .is_some()
        });
        assert!(competed || why.contains("25 ms under one lock"), "{why}");
    }

    #[test]
    fn of_ceiling_pairs_each_round_and_skips_rounds_too_busy_to_judge() {
        let run = |name: &str, threads: usize, secs: &[f64]| {
            let mut run = run_of(threads, secs[0]);
            run.name = name.to_string();
            for &s in &secs[1..] {
                run.push(run_of(threads, s).timing.shares[0].clone());
            }
            run
        };
        let bench = |split: &[f64]| Measured {
            jobs: vec![run("serial", 1, &[1.0, 1.0, 1.0]), run("split", 2, split)],
            // The ceiling per round: 2.0, then 1.11 (too busy: skipped), then 1.82.
            reference: vec![
                run("1", 1, &[0.1, 0.1, 0.1]),
                run("2", 2, &[0.1, 0.18, 0.11]),
            ],
            cores: 2,
            attempts: 1,
            reference_steps: 1,
            reference_name: None,
        };
        // Its best round: 1.82× where the ceiling was 1.82×. Taken apart, its best (1.82×)
        // against the best ceiling (2.0×) would read 0.91.
        let correct = bench(&[0.6, 0.9, 0.55])
            .of_ceiling("split", "serial")
            .unwrap();
        assert!((correct - 1.0).abs() < 0.01, "{correct}");
        // Serialised: about 1.0× in every round, about half of every usable ceiling.
        let wasteful = bench(&[1.0, 0.95, 1.0])
            .of_ceiling("split", "serial")
            .unwrap();
        assert!((wasteful - 0.55).abs() < 0.01, "{wasteful}");
    }

    #[test]
    fn a_ceiling_too_low_is_a_disturbance_and_a_fine_one_is_not() {
        let bench = |reference_2: f64| Measured {
            jobs: vec![run_of(1, 1.0), run_of(2, 0.9)],
            reference: vec![run_of(1, 0.1), run_of(2, reference_2)],
            cores: 2,
            attempts: 1,
            reference_steps: 1,
            reference_name: None,
        };
        // Plain arithmetic 1.9× faster on 2 threads: judged, and the run's 1.11× is its own.
        let fine = bench(0.105);
        assert!(fine.disturbance().is_none());
        assert!((fine.ceiling(2).unwrap() - 1.905).abs() < 0.01);
        assert!((fine.speedup("2").unwrap() - 1.111).abs() < 0.01);
        // Only 1.1×: the machine is saturated.
        let saturated = bench(0.18);
        assert!(saturated.disturbance().unwrap().contains("too busy"));
    }
}
