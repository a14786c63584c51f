//! Whether a measurement got the cores it asked for: the competition behind a timing claim.
//!
//! A speed-up measured while a browser, an IDE or a CPU quota took part of the machine says
//! nothing about Rust; a claim judged on it would fail for the wrong reason (or pass for one).
//! So every timing claim of the course measures its competition: this process's own CPU time
//! against the wall time × the cores its work kept busy. That works inside a container such as
//! Binder's, where other processes are invisible; where the machine-wide counters (Linux's
//! `/proc/stat`) and the cgroup's throttling counter (`cpu.stat`) can be read, they are
//! reported too.
//!
//! A [`Share`] is one measurement's figure; a [`Competition`] collects the shares behind one
//! claim, and [`Claims::timed_claim`](crate::claims::Claims::timed_claim) uses it: a claim that
//! fails on a machine that did not give us our cores is shown as *not judged*, with the reason,
//! instead of ✘. A claim that fails on a machine that did is ✘, as before.

use crate::error::{Error, Result};
use std::time::{Duration, Instant};

/// A measurement counts as undisturbed when this process got at least this share of the cores
/// its work asked for. Spawning and joining threads and the clock's resolution cost a few
/// percent even on an idle machine; on a virtual machine a busy neighbour on the host shows the same
/// way, as threads that finish at different times because their cores ran at different speeds.
pub const FAIR_SHARE: f64 = 0.9;

/// What one measurement got of the machine.
#[derive(Debug, Clone, PartialEq)]
pub struct Share {
    /// Cores the measured work keeps busy when nothing competes with it (1.0 for one thread
    /// computing, `n` for `n` threads, Amdahl's `S(n)` for a job with a serial part).
    pub busy: f64,
    /// Cores this process may use (affinity and CPU quota included).
    pub cores: usize,
    /// Wall-clock time of the measurement, in seconds.
    pub wall_seconds: f64,
    /// CPU time this process used meanwhile (all its threads, and the child processes it waited
    /// for), in seconds.
    pub cpu_seconds: f64,
    /// Cores the whole machine kept busy meanwhile (every program, ours included), and how
    /// many logical CPUs it has, where the system tells (Linux); `None` elsewhere.
    pub machine: Option<(f64, usize)>,
    /// Seconds the cgroup's CPU quota held this process back meanwhile, where a cgroup v2 quota
    /// applies (a container such as Binder's); `None` elsewhere.
    pub throttled_seconds: Option<f64>,
}

impl Share {
    /// Cores the work asked for: what it keeps busy, but no more than this process may use.
    pub fn wanted(&self) -> f64 {
        self.busy.min(self.cores as f64).max(0.0)
    }

    /// Cores this process actually kept busy: CPU time ÷ wall time.
    pub fn got(&self) -> f64 {
        if self.wall_seconds > 0.0 {
            self.cpu_seconds / self.wall_seconds
        } else {
            0.0
        }
    }

    /// Cores that other programs kept busy meanwhile, where the machine-wide view exists.
    pub fn others(&self) -> Option<f64> {
        self.machine.map(|(busy, _)| (busy - self.got()).max(0.0))
    }

    /// Whether the work got (almost) every core it asked for: at least [`FAIR_SHARE`] of them.
    ///
    /// When it did not, something took the cores: another program (the machine-wide view then
    /// shows it), a CPU quota (the throttling counter shows it), or, with the machine otherwise
    /// idle, the host under a virtual machine, which no counter inside it shows. (Threads of the
    /// work that wait on each other look the same; a claim about such work is not judged either,
    /// and the test harness fails any claim that is not judged on a quiet machine.)
    ///
    /// ```
    /// use support::share::Share;
    /// let share = |cpu| Share { busy: 2.0, cores: 2, wall_seconds: 1.0, cpu_seconds: cpu,
    ///                           machine: Some((2.0, 2)), throttled_seconds: None };
    /// assert!(share(1.95).undisturbed());
    /// assert!(!share(1.2).undisturbed());   // another program had most of a core
    /// ```
    pub fn undisturbed(&self) -> bool {
        self.got() >= FAIR_SHARE * self.wanted()
    }

    /// One line on what this measurement got, e.g. "got 1.02 of the 2.00 cores it asked for;
    /// other programs used 0.95 of the machine's 2".
    pub fn describe(&self) -> String {
        let mut text = format!(
            "got {:.2} of the {:.2} cores it asked for",
            self.got(),
            self.wanted()
        );
        if let (Some(others), Some((busy, cpus))) = (self.others(), self.machine) {
            text += &format!("; other programs used {others:.2} of the machine's {cpus}");
            let idle = cpus as f64 - busy;
            if self.got() < FAIR_SHARE * self.wanted() && idle >= 0.5 * (self.wanted() - self.got())
            {
                text += &format!(
                    ", and {idle:.2} stayed idle: the host under this virtual machine, \
                     or threads of ours waiting on each other"
                );
            }
        }
        if let Some(t) = self.throttled_seconds.filter(|t| *t > 0.0) {
            text += &format!("; the CPU quota held it back {t:.2} s");
        }
        text
    }
}

/// A measurement in progress: started by [`Watch::start`], ended by [`Watch::stop`].
#[derive(Debug, Clone)]
pub struct Watch {
    busy: f64,
    cores: usize,
    started: Instant,
    cpu: Duration,
    machine: Option<(u64, u64)>,
    throttled_usec: Option<u64>,
}

impl Watch {
    /// Starts watching a measurement whose work keeps `busy` cores busy when nothing competes
    /// (at least 0, finite).
    ///
    /// ```
    /// use support::share::Watch;
    /// let watch = Watch::start(1.0)?;
    /// support::work::spin_for(std::time::Duration::from_millis(30));
    /// let share = watch.stop()?;
    /// assert!(share.got() > 0.0 && share.got() <= 1.2);
    /// assert!(Watch::start(f64::NAN).is_err());
    /// # Ok::<(), support::Error>(())
    /// ```
    pub fn start(busy: f64) -> Result<Watch> {
        let busy = crate::error::finite(busy, "busy")?;
        if busy < 0.0 {
            return Err(Error::InvalidInput(format!(
                "busy is a number of cores the work keeps busy, 0 or more; got {busy}"
            )));
        }
        Ok(Watch {
            busy,
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            machine: machine_ticks(),
            throttled_usec: throttled_usec(),
            cpu: process_cpu()?,
            started: Instant::now(),
        })
    }

    /// Ends the measurement and says what it got.
    pub fn stop(self) -> Result<Share> {
        let wall_seconds = self.started.elapsed().as_secs_f64();
        let cpu = process_cpu()?;
        let machine = match (self.machine, machine_ticks()) {
            (Some((busy0, total0)), Some((busy1, total1))) if total1 > total0 => {
                let cpus = logical_cpus();
                let share = (busy1.saturating_sub(busy0)) as f64 / (total1 - total0) as f64;
                Some((share * cpus as f64, cpus))
            }
            _ => None,
        };
        let throttled_seconds = match (self.throttled_usec, throttled_usec()) {
            (Some(a), Some(b)) => Some(b.saturating_sub(a) as f64 / 1e6),
            _ => None,
        };
        Ok(Share {
            busy: self.busy,
            cores: self.cores,
            wall_seconds,
            cpu_seconds: cpu.saturating_sub(self.cpu).as_secs_f64(),
            machine,
            throttled_seconds,
        })
    }
}

/// Runs `work`, which keeps `busy` cores busy when nothing competes, and returns its value with
/// the share of the machine it got (its wall time is [`Share::wall_seconds`]).
///
/// ```
/// use std::time::Duration;
/// let (rounds, share) = support::share::timed(1.0, || support::work::spin_for(Duration::from_millis(30)))?;
/// assert!(rounds > 0 && share.wall_seconds >= 0.03);
/// # Ok::<(), support::Error>(())
/// ```
pub fn timed<T>(busy: f64, work: impl FnOnce() -> T) -> Result<(T, Share)> {
    let watch = Watch::start(busy)?;
    let value = std::hint::black_box(work());
    Ok((value, watch.stop()?))
}

/// The shares of every measurement behind one claim.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Competition {
    /// Each measurement's share, in the order they were added.
    pub shares: Vec<Share>,
    /// How many times the measurement was made (see [`until_undisturbed`]); 1 unless retried.
    pub attempts: usize,
    /// Whether every measurement did the same work (a speed-up series: 1, 2, … threads), so
    /// their CPU times should match; see [`Competition::same_work`].
    pub same_work: bool,
}

impl Competition {
    /// No measurement yet.
    pub fn new() -> Self {
        Competition {
            shares: Vec::new(),
            attempts: 1,
            same_work: false,
        }
    }

    /// Adds one measurement's share.
    pub fn push(&mut self, share: Share) {
        self.shares.push(share);
    }

    /// Adds a share and returns the list, for building one in an expression.
    pub fn with(mut self, share: Share) -> Self {
        self.push(share);
        self
    }

    /// Says that every measurement did the same work, split differently. Their CPU times should
    /// then be about equal; a run that needed more CPU time than the cheapest one computed more
    /// slowly (a busy host under a virtual machine, hyperthreads sharing a core, a power limit),
    /// which the cores it got do not show. Each run is then judged on the cores' worth of work
    /// it delivered ([`Competition::delivered`]), and a failed speed-up claim is not judged
    /// when one fell short.
    ///
    /// ```
    /// use support::share::{Competition, Share};
    /// let run = |busy, wall, cpu| Share { busy, cores: 2, wall_seconds: wall, cpu_seconds: cpu,
    ///                                     machine: Some((cpu / wall, 2)), throttled_seconds: None };
    /// // One thread, then two that each got a core but took nearly as long.
    /// let slow_cores = Competition::new().with(run(1.0, 1.0, 1.0)).with(run(2.0, 0.95, 1.9)).same_work();
    /// assert!(slow_cores.disturbance().unwrap().contains("1.05 cores' worth"));
    /// let fine = Competition::new().with(run(1.0, 1.0, 1.0)).with(run(2.0, 0.52, 1.04)).same_work();
    /// assert!(fine.disturbance().is_none());
    /// ```
    pub fn same_work(mut self) -> Self {
        self.same_work = true;
        self
    }

    /// For [`Competition::same_work`]: the cores' worth of work each measurement delivered,
    /// that is the cores it got × how fast they computed (the cheapest run's CPU time ÷ its
    /// own). One thread at full speed delivers 1.0; its speed-up over that run is about this
    /// figure, so a speed-up claim is judged only where it reached [`FAIR_SHARE`] of the cores
    /// asked for. `None` without `same_work` or with fewer than two measurements.
    pub fn delivered(&self) -> Option<Vec<f64>> {
        if !self.same_work || self.shares.len() < 2 {
            return None;
        }
        let cheapest = self
            .shares
            .iter()
            .map(|s| s.cpu_seconds)
            .fold(f64::INFINITY, f64::min);
        Some(
            self.shares
                .iter()
                .map(|s| {
                    if s.cpu_seconds > 0.0 {
                        s.got() * cheapest / s.cpu_seconds
                    } else {
                        0.0
                    }
                })
                .collect(),
        )
    }

    /// The measurement that delivered the smallest part of what it asked for, with the cores'
    /// worth it delivered, when one fell short because its cores computed slowly.
    fn slowest(&self) -> Option<(&Share, f64)> {
        let delivered = self.delivered()?;
        self.shares
            .iter()
            .zip(delivered)
            .filter(|(s, d)| *d < FAIR_SHARE * s.wanted())
            .min_by(|(a, da), (b, db)| (da / a.wanted()).total_cmp(&(db / b.wanted())))
    }

    /// Whether every measurement got the cores it asked for and, for the same work, delivered
    /// (almost) their worth of work (true when there are none).
    pub fn undisturbed(&self) -> bool {
        self.shares.iter().all(Share::undisturbed) && self.slowest().is_none()
    }

    /// The measurement that got the smallest part of what it asked for.
    pub fn worst(&self) -> Option<&Share> {
        self.shares.iter().min_by(|a, b| {
            let ratio = |s: &Share| s.got() / s.wanted().max(1e-9);
            ratio(a).total_cmp(&ratio(b))
        })
    }

    /// Why a claim judged on these measurements cannot be judged, or `None` when it can.
    ///
    /// ```
    /// use support::share::{Competition, Share};
    /// let busy = Share { busy: 2.0, cores: 2, wall_seconds: 1.0, cpu_seconds: 1.1,
    ///                    machine: Some((2.0, 2)), throttled_seconds: None };
    /// let why = Competition::new().with(busy).disturbance().unwrap();
    /// assert!(why.contains("other programs used 0.90 of the machine's 2"), "{why}");
    /// assert!(Competition::new().disturbance().is_none());
    /// ```
    pub fn disturbance(&self) -> Option<String> {
        if self.undisturbed() {
            return None;
        }
        let tries = if self.attempts > 1 {
            format!(" (measured {} times, busy each time)", self.attempts)
        } else {
            String::new()
        };
        match self.worst().filter(|w| !w.undisturbed()) {
            Some(worst) => Some(format!("a measurement {}{tries}", worst.describe())),
            None => self.slowest().map(|(share, delivered)| {
                format!(
                    "a measurement got {:.2} of the {:.2} cores it asked for, but they computed at \
                     {:.2} of one core's speed, so it did {delivered:.2} cores' worth of work \
                     (a busy host under this virtual machine, hyperthreads sharing a core, or a \
                     power limit){tries}",
                    share.got(),
                    share.wanted(),
                    delivered / share.got().max(1e-9),
                )
            }),
        }
    }
}

impl FromIterator<Share> for Competition {
    fn from_iter<I: IntoIterator<Item = Share>>(iter: I) -> Self {
        Competition {
            shares: iter.into_iter().collect(),
            attempts: 1,
            same_work: false,
        }
    }
}

/// Makes a measurement up to `tries` times (1 to 10) until it got the cores it asked for, and
/// returns the first undisturbed one, or the last one if the machine stayed busy (its
/// [`Competition`] then says so, and the claims judged on it show *not judged*).
///
/// ```
/// use support::share::{timed, until_undisturbed, Competition};
/// use std::time::Duration;
/// let (secs, during) = until_undisturbed(3, || {
///     let (_, share) = timed(1.0, || support::work::spin_for(Duration::from_millis(20)))?;
///     Ok((share.wall_seconds, Competition::new().with(share)))
/// })?;
/// assert!(secs >= 0.02 && (1..=3).contains(&during.attempts));
/// # Ok::<(), support::Error>(())
/// ```
pub fn until_undisturbed<T>(
    tries: usize,
    mut measure: impl FnMut() -> Result<(T, Competition)>,
) -> Result<(T, Competition)> {
    if !(1..=10).contains(&tries) {
        return Err(Error::InvalidInput(format!(
            "tries must be between 1 and 10, got {tries}"
        )));
    }
    let mut attempt = 1;
    loop {
        let (value, mut during) = measure()?;
        during.attempts = attempt;
        if during.undisturbed() || attempt == tries {
            return Ok((value, during));
        }
        attempt += 1;
    }
}

/// The CPU time this process has used so far, all threads together (precise to the
/// microsecond where the system allows), plus that of its child processes that have ended and
/// been waited for: work run in worker processes (chapter 05) counts as ours.
fn process_cpu() -> Result<Duration> {
    #[cfg(unix)]
    {
        let mut now = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `now` is a valid, writable timespec for the duration of the call, and
        // CLOCK_PROCESS_CPUTIME_ID is a clock every supported Unix provides.
        let status = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut now) };
        // SAFETY: an all-zero rusage is a valid value of this plain C struct, and getrusage
        // only writes into the one we pass for the duration of the call.
        let mut children: libc::rusage = unsafe { std::mem::zeroed() };
        let children_status = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut children) };
        if status == 0 && children_status == 0 {
            let timeval = |t: libc::timeval| {
                Duration::new(t.tv_sec as u64, 0) + Duration::from_micros(t.tv_usec as u64)
            };
            return Ok(Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
                + timeval(children.ru_utime)
                + timeval(children.ru_stime));
        }
    }
    crate::cpu::process_cpu_time()
}

/// (busy, total) clock ticks of every CPU together, from Linux's `/proc/stat`.
fn machine_ticks() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    parse_proc_stat(&stat)
}

fn parse_proc_stat(stat: &str) -> Option<(u64, u64)> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let ticks: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|t| t.parse().ok())
        .collect();
    if ticks.len() < 4 {
        return None;
    }
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    let total: u64 = ticks.iter().take(8).sum();
    let idle = ticks[3] + ticks.get(4).copied().unwrap_or(0);
    Some((total.saturating_sub(idle), total))
}

fn logical_cpus() -> usize {
    std::fs::read_to_string("/proc/stat")
        .map(|s| {
            s.lines()
                .filter(|l| l.starts_with("cpu") && !l.starts_with("cpu "))
                .count()
        })
        .ok()
        .filter(|&n| n > 0)
        .unwrap_or(1)
}

/// Microseconds the cgroup v2 quota has throttled this process's cgroup, when one applies.
fn throttled_usec() -> Option<u64> {
    let stat = std::fs::read_to_string("/sys/fs/cgroup/cpu.stat").ok()?;
    stat.lines()
        .find_map(|l| l.strip_prefix("throttled_usec "))
        .and_then(|v| v.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn share(busy: f64, cores: usize, cpu: f64) -> Share {
        Share {
            busy,
            cores,
            wall_seconds: 1.0,
            cpu_seconds: cpu,
            machine: Some((2.0, 2)),
            throttled_seconds: Some(0.0),
        }
    }

    #[test]
    fn wanted_is_capped_by_the_cores_we_may_use() {
        assert_eq!(share(4.0, 2, 2.0).wanted(), 2.0);
        assert!(share(4.0, 2, 1.95).undisturbed());
        assert_eq!(share(4.0, 1, 1.0).wanted(), 1.0);
        assert!(!share(1.0, 1, 0.5).undisturbed());
    }

    #[test]
    fn a_competition_is_disturbed_by_its_worst_measurement() {
        let during: Competition = [share(1.0, 2, 0.99), share(2.0, 2, 1.1)]
            .into_iter()
            .collect();
        assert!(!during.undisturbed());
        assert_eq!(during.worst().unwrap().cpu_seconds, 1.1);
        let why = during.disturbance().unwrap();
        assert!(why.contains("got 1.10 of the 2.00 cores"), "{why}");
        assert!(
            Competition::new()
                .with(share(2.0, 2, 1.9))
                .disturbance()
                .is_none()
        );
    }

    #[test]
    fn retries_stop_at_the_first_undisturbed_measurement() {
        let mut calls = 0;
        let (value, during) = until_undisturbed(5, || {
            calls += 1;
            let cpu = if calls < 3 { 0.5 } else { 1.0 };
            Ok((calls, Competition::new().with(share(1.0, 1, cpu))))
        })
        .unwrap();
        assert_eq!((value, during.attempts), (3, 3));
        let (_, during) =
            until_undisturbed(2, || Ok(((), Competition::new().with(share(1.0, 1, 0.3))))).unwrap();
        assert_eq!(during.attempts, 2);
        assert!(during.disturbance().unwrap().contains("measured 2 times"));
        assert!(until_undisturbed(0, || Ok(((), Competition::new()))).is_err());
    }

    #[test]
    fn proc_stat_is_read_as_busy_and_total_ticks() {
        let stat = "cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 50 0 25 400 25 0 0 0 0 0\n";
        assert_eq!(parse_proc_stat(stat), Some((150, 1000)));
        assert_eq!(parse_proc_stat("intr 1 2 3"), None);
    }

    #[test]
    fn a_spinning_thread_is_timed_and_uses_cpu() {
        // Other tests run in this process at the same time, so only the lower bound is ours.
        let (_, share) = timed(1.0, || {
            crate::work::spin_for(Duration::from_millis(50));
        })
        .unwrap();
        assert!(share.got() > 0.0 && share.wall_seconds >= 0.05, "{share:?}");
    }
}
