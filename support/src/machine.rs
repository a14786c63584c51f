//! What machine the notebook ran on, so its numbers can be read in context.

use crate::claims::{Reason, Verdict};
use crate::table::Table;
use sysinfo::{CpuRefreshKind, RefreshKind, System};

/// The facts about this machine that the chapters' numbers depend on.
#[derive(Debug, Clone, PartialEq)]
pub struct Machine {
    /// Cores this process may use (`std::thread::available_parallelism`, which honours CPU
    /// quotas such as a container's); every claim in the notebooks scales with this.
    pub cores: usize,
    /// Logical CPUs the operating system reports for the whole machine.
    pub logical_cpus: usize,
    /// Physical cores in the whole machine (hyperthreads share one); `logical_cpus` when the
    /// OS does not say. CPU-bound threads scale with `cores.min(physical_cores)` at best.
    pub physical_cores: usize,
    /// The CPU quota of this process's control group in cores (cgroup v2's `cpu.max` or v1's
    /// `cpu.cfs_quota_us` on Linux, the smallest on the way up; e.g. 1.0 on Binder), when one
    /// is set; `None` when there is none or the system has no cgroups. `cores` honours it.
    pub cpu_quota: Option<f64>,
    /// The processor's brand string, when the OS tells it.
    pub cpu: String,
    /// Operating system and architecture.
    pub os: String,
}

impl Machine {
    /// Reads the facts now.
    ///
    /// ```
    /// let m = support::machine::Machine::detect();
    /// assert!(m.cores >= 1);
    /// ```
    pub fn detect() -> Machine {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let system =
            System::new_with_specifics(RefreshKind::nothing().with_cpu(CpuRefreshKind::nothing()));
        let (logical_cpus, cpu) = match &system {
            Ok(s) => (
                s.cpus().len().max(1),
                s.cpus()
                    .first()
                    .map(|c| c.brand().trim().to_string())
                    .filter(|b| !b.is_empty())
                    .unwrap_or_else(|| "unknown".into()),
            ),
            Err(_) => (cores, "unknown".into()),
        };
        let physical_cores = System::physical_core_count()
            .ok()
            .filter(|&n| n > 0)
            .unwrap_or(logical_cpus);
        Machine {
            cores,
            logical_cpus,
            physical_cores,
            cpu_quota: crate::os::Cgroup::detect().quota(),
            cpu,
            os: format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
        }
    }

    /// The facts as a two-column table.
    pub fn to_table(&self) -> Table {
        let mut table = Table::new(["this machine", ""]);
        let why = match self.cpu_quota {
            Some(quota) if quota < self.logical_cpus as f64 => {
                format!(" (a CPU quota of {quota:.2} cores applies)")
            }
            _ if self.cores < self.logical_cpus => " (limited by CPU affinity)".to_string(),
            _ => String::new(),
        };
        let parallel_note = if self.parallel_cores() == 1 {
            ": parallel speed-ups cannot show here, and the claims about them say so"
        } else {
            ""
        };
        for (k, v) in [
            (
                "cores available to this notebook",
                format!("{}{why}{parallel_note}", self.cores),
            ),
            ("logical CPUs in the machine", self.logical_cpus.to_string()),
            (
                "physical cores in the machine",
                self.physical_cores.to_string(),
            ),
            ("processor", self.cpu.clone()),
            ("system", self.os.clone()),
        ] {
            // Two cells for two columns: cannot fail.
            let _ = table.push_row([k.to_string(), v]);
        }
        table
    }

    /// How many threads can run CPU-bound work truly side by side here: the cores this
    /// process may use, but no more than the machine's physical cores (two hyperthreads of one
    /// core share its arithmetic units). The "ideal" speed-up of a CPU-bound chart.
    ///
    /// ```
    /// let m = support::machine::Machine::detect();
    /// assert!(m.parallel_cores() >= 1 && m.parallel_cores() <= m.cores);
    /// ```
    pub fn parallel_cores(&self) -> usize {
        self.cores.min(self.physical_cores).max(1)
    }

    /// Shows the table under the cell.
    pub fn evcxr_display(&self) {
        self.to_table().evcxr_display();
    }
}

/// How many threads this process has right now (the notebook's kernel, when called from a
/// cell): the way to check that a cell left no thread behind.
///
/// On Linux it reads `/proc/self/status`; on macOS it asks the kernel with `proc_pidinfo`
/// (`PROC_PIDTASKINFO`). Elsewhere (Windows, the BSDs) it returns
/// [`Error::Unavailable`](crate::Error::Unavailable). A cell that must not fail there uses
/// [`Count::threads_in_process`] instead.
///
/// ```
/// std::thread::scope(|s| {
///     s.spawn(|| {
///         // On Linux and macOS: this thread and the one that started it, at least.
///         if let Ok(now) = support::machine::threads_in_process() {
///             assert!(now >= 2);
///         }
///     });
/// });
/// ```
pub fn threads_in_process() -> crate::Result<usize> {
    course_os::threads_in_process().map_err(|e| match e.kind() {
        std::io::ErrorKind::Unsupported | std::io::ErrorKind::NotFound => {
            crate::Error::Unavailable(format!("cannot count this process's threads here ({e})"))
        }
        _ => crate::Error::System(format!("cannot count this process's threads: {e}")),
    })
}

/// The names of this process's threads now (Linux: `/proc/self/task/*/comm`), sorted; empty
/// where the system cannot list them. Says *which* threads a count found.
///
/// ```
/// let names = support::machine::thread_names();
/// if cfg!(target_os = "linux") {
///     assert!(!names.is_empty());
/// }
/// ```
pub fn thread_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir("/proc/self/task")
        .map(|tasks| {
            tasks
                .filter_map(|task| task.ok())
                .filter_map(|task| std::fs::read_to_string(task.path().join("comm")).ok())
                .map(|name| name.trim().to_string())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Waits, up to `limit`, for this process to have no more threads than `before` (a count taken
/// before some work), checking every 50 ms: a thread that was told to stop may need a moment
/// (a runtime whose blocking threads are finishing a call) before it has exited. Returns the
/// count it ended with, how long it waited, and the names of the threads beyond `before` when
/// it started waiting (none if there were none).
///
/// ```
/// use support::machine::{Count, wait_for_threads};
/// use std::time::Duration;
/// let before = Count::threads_in_process();
/// let worker = std::thread::spawn(|| std::thread::sleep(Duration::from_millis(200)));
/// let (after, waited, _extra) = wait_for_threads(before, Duration::from_secs(5));
/// assert!(after.get() <= before.get() && waited < Duration::from_secs(5));
/// worker.join().unwrap();
/// ```
pub fn wait_for_threads(
    before: Count,
    limit: std::time::Duration,
) -> (Count, std::time::Duration, Vec<String>) {
    let started = std::time::Instant::now();
    let extra = match (before.get(), Count::threads_in_process().get()) {
        (Some(b), Some(now)) if now > b => thread_names(),
        _ => Vec::new(),
    };
    loop {
        let now = Count::threads_in_process();
        let settled = match (before.get(), now.get()) {
            (Some(b), Some(n)) => n <= b,
            _ => true,
        };
        if settled || started.elapsed() >= limit {
            return (now, started.elapsed(), extra);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// The memory this process holds in RAM now (its resident set), in bytes: what grows when a
/// queue fills with data (chapter 10). Linux reads `/proc/self/statm`; macOS asks
/// `proc_pidinfo`; elsewhere it is an [`Error::Unavailable`](crate::Error::Unavailable).
///
/// ```
/// if let Ok(before) = support::machine::memory_in_use() {
///     let block = vec![7u8; 64 << 20]; // 64 MiB, every page written
///     let after = support::machine::memory_in_use()?;
///     assert!(after >= before + (32 << 20), "{before} → {after}");
///     drop(block);
/// }
/// # Ok::<(), support::Error>(())
/// ```
pub fn memory_in_use() -> crate::Result<u64> {
    course_os::memory_in_use().map_err(|e| match e.kind() {
        std::io::ErrorKind::Unsupported | std::io::ErrorKind::NotFound => {
            crate::Error::Unavailable(format!("cannot read this process's memory here ({e})"))
        }
        _ => crate::Error::System(format!("cannot read this process's memory: {e}")),
    })
}

/// What a [`Count`] shows when the system cannot tell.
pub const NOT_AVAILABLE: &str = "not available on this system";

/// A count the system may not be able to give: this process's threads, or its child
/// processes. Unlike the [`Result`](crate::Result) of [`threads_in_process`] and
/// [`child_processes`](crate::process::child_processes), it never fails a cell: it prints as the
/// number, or as "n/a (not available on this system)", and [`Count::same_as`] turns two of
/// them into a claim that is *not judged* (never ✔) where a count is missing.
///
/// ```
/// use support::machine::Count;
/// let before = Count::threads_in_process();
/// std::thread::spawn(|| ()).join().unwrap();
/// println!("threads: {before} before, {} after", Count::threads_in_process());
/// assert_eq!(Count::Known(3).to_string(), "3");
/// assert_eq!(Count::NotAvailable.to_string(), "n/a (not available on this system)");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    /// The system gave this number.
    Known(usize),
    /// The system cannot count this (no `/proc`, no system call for it, or the call failed).
    NotAvailable,
}

impl Count {
    /// This process's threads now: [`threads_in_process`], or [`Count::NotAvailable`] where
    /// it fails.
    pub fn threads_in_process() -> Count {
        threads_in_process().into()
    }

    /// This process's child processes now: [`child_processes`](crate::process::child_processes),
    /// or [`Count::NotAvailable`] where it fails.
    pub fn child_processes() -> Count {
        crate::process::child_processes().into()
    }

    /// The number, when there is one.
    pub fn get(self) -> Option<usize> {
        match self {
            Count::Known(n) => Some(n),
            Count::NotAvailable => None,
        }
    }

    /// This count (taken before) next to `after`, for a claim that nothing was left behind.
    /// Its [`Unchanged::holds`] is a [`Verdict`]: ✔ when the count is the same, ✘ when it
    /// grew, and *not judged* when either count is not available here, or when it shrank
    /// (something that started before the work ended during it, which could hide a leak).
    ///
    /// ```
    /// use support::claims::{Claims, Verdict};
    /// use support::machine::Count;
    /// let threads = Count::threads_in_process();
    /// std::thread::spawn(|| ()).join().unwrap();   // joined: none is left behind
    /// let threads = threads.same_as(Count::threads_in_process());
    /// Claims::new()
    ///     .claim("no thread is left behind", format!("threads {threads}"), threads.holds())
    ///     .assert_all();
    ///
    /// assert_eq!(Count::Known(4).same_as(Count::Known(5)).holds(), Verdict::Fails);
    /// assert!(matches!(Count::Known(4).same_as(Count::Known(3)).holds(), Verdict::NotJudged(..)));
    /// let unknown = Count::Known(4).same_as(Count::NotAvailable);
    /// assert!(matches!(unknown.holds(), Verdict::NotJudged(..)));
    /// assert_eq!(unknown.to_string(), "not available on this system");
    /// ```
    pub fn same_as(self, after: Count) -> Unchanged {
        Unchanged {
            before: self,
            after,
        }
    }
}

impl From<crate::Result<usize>> for Count {
    fn from(result: crate::Result<usize>) -> Count {
        result.map_or(Count::NotAvailable, Count::Known)
    }
}

impl std::fmt::Display for Count {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Count::Known(n) => write!(f, "{n}"),
            Count::NotAvailable => write!(f, "n/a ({NOT_AVAILABLE})"),
        }
    }
}

/// Two counts of the same thing, before and after some work, from [`Count::same_as`]. It
/// shows as "12 → 12" (or "12 → 13"), or as "not available on this system" when either count
/// is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unchanged {
    /// The count before the work.
    pub before: Count,
    /// The count after it.
    pub after: Count,
}

impl Unchanged {
    /// Whether both counts are known (so [`Unchanged::holds`] was really checked).
    pub fn is_known(&self) -> bool {
        self.before.get().is_some() && self.after.get().is_some()
    }

    /// For the claim: ✔ the count is the same (nothing was left behind), ✘ it grew, *not
    /// judged* when it shrank or could not be taken on this system.
    pub fn holds(&self) -> Verdict {
        match (self.before, self.after) {
            (Count::Known(before), Count::Known(after)) if after == before => Verdict::Holds,
            (Count::Known(before), Count::Known(after)) if after > before => Verdict::Fails,
            (Count::Known(before), Count::Known(after)) => Verdict::NotJudged(
                Reason::Busy,
                format!(
                    "the count went down, {before} → {after}: something that started before \
                     ended meanwhile, which could hide one left behind"
                ),
            ),
            _ => Verdict::unavailable(NOT_AVAILABLE),
        }
    }
}

impl std::fmt::Display for Unchanged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.before, self.after) {
            (Count::Known(before), Count::Known(after)) => write!(f, "{before} → {after}"),
            _ => f.write_str(NOT_AVAILABLE),
        }
    }
}

/// Several counts of the same thing, taken at different moments, for a claim about how it
/// changed: [`Counts::holds`] applies the claim's test to the numbers when all of them are
/// known, and is *not judged* when any is not. It shows as "12 → 13 → 12",
/// or as "not available on this system". (For the common "nothing left behind" of two counts,
/// [`Count::same_as`] is shorter.)
///
/// ```
/// use support::claims::Verdict;
/// use support::machine::{Count, Counts};
/// let threads = Counts::new([Count::Known(12), Count::Known(13), Count::Known(12)]);
/// assert_eq!(threads.to_string(), "12 → 13 → 12");
/// assert_eq!(threads.holds(|[before, running, after]| running == before + 1 && after == before), Verdict::Holds);
/// assert_eq!(threads.holds(|[before, _, after]| after > before), Verdict::Fails);
///
/// let unknown = Counts::new([Count::NotAvailable, Count::NotAvailable, Count::NotAvailable]);
/// assert_eq!(unknown.to_string(), "not available on this system");
/// assert!(matches!(unknown.holds(|_| true), Verdict::NotJudged(..)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts<const N: usize>(pub [Count; N]);

impl<const N: usize> Counts<N> {
    /// The counts, in the order they were taken.
    pub fn new(counts: [Count; N]) -> Self {
        Counts(counts)
    }

    /// The numbers, when every count is known.
    pub fn known(&self) -> Option<[usize; N]> {
        let mut numbers = [0; N];
        for (number, count) in numbers.iter_mut().zip(self.0) {
            *number = count.get()?;
        }
        Some(numbers)
    }

    /// For the claim: `test` on the numbers when all are known; *not judged* when any is not
    /// (the evidence then says "not available on this system").
    pub fn holds(&self, test: impl FnOnce([usize; N]) -> bool) -> Verdict {
        match self.known() {
            Some(numbers) => test(numbers).into(),
            None => Verdict::unavailable(NOT_AVAILABLE),
        }
    }
}

impl<const N: usize> std::fmt::Display for Counts<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.known() {
            Some(numbers) => {
                let shown: Vec<String> = numbers.iter().map(usize::to_string).collect();
                f.write_str(&shown.join(" → "))
            }
            None => f.write_str(NOT_AVAILABLE),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    #[cfg(any(target_os = "linux", target_os = "macos"))]
    #[test]
    fn a_running_thread_is_counted() {
        let before = threads_in_process().unwrap();
        std::thread::scope(|s| {
            let (started, wait) = std::sync::mpsc::channel();
            let (release, hold) = std::sync::mpsc::channel::<()>();
            s.spawn(move || {
                started.send(()).unwrap();
                let _ = hold.recv();
            });
            wait.recv().unwrap();
            // Other tests run threads too: ours is at least counted.
            assert!(threads_in_process().unwrap() >= 2);
            assert!(Count::threads_in_process().get().is_some());
            release.send(()).unwrap();
        });
        assert!(before >= 1);
    }

    #[test]
    fn an_unavailable_count_is_not_judged_never_passed() {
        let missing: Count = Err(Error::Unavailable("no /proc here".into())).into();
        assert_eq!(missing, Count::NotAvailable);
        assert_eq!(missing.get(), None);
        assert_eq!(missing.to_string(), "n/a (not available on this system)");
        for (before, after) in [
            (Count::Known(3), missing),
            (missing, Count::Known(3)),
            (missing, missing),
        ] {
            let same = before.same_as(after);
            assert!(matches!(
                same.holds(),
                Verdict::NotJudged(Reason::Unavailable, _)
            ));
            assert!(!same.is_known());
            assert_eq!(same.to_string(), "not available on this system");
        }
        let claims = crate::claims::Claims::new().claim(
            "no thread is left behind",
            missing.same_as(missing).to_string(),
            missing.same_as(missing).holds(),
        );
        assert_eq!(claims.not_judged(), 1);
        assert!(claims.verify().is_ok());
    }

    #[test]
    fn counts_are_tested_only_when_all_are_known() {
        let all = Counts::new([Count::Known(2), Count::Known(3), Count::Known(2)]);
        assert_eq!(all.known(), Some([2, 3, 2]));
        assert_eq!(all.holds(|[a, b, c]| b == a + 1 && c == a), Verdict::Holds);
        assert_eq!(all.holds(|[a, _, c]| c != a), Verdict::Fails);
        let one_missing = Counts::new([Count::Known(2), Count::NotAvailable, Count::Known(9)]);
        assert_eq!(one_missing.known(), None);
        assert!(matches!(
            one_missing.holds(|_| true),
            Verdict::NotJudged(..)
        ));
        assert_eq!(one_missing.to_string(), "not available on this system");
        assert_eq!(Counts::new([Count::Known(4)]).to_string(), "4");
    }

    #[test]
    fn known_counts_hold_only_when_equal() {
        let counted: Count = Ok(12).into();
        assert_eq!(counted, Count::Known(12));
        assert_eq!(counted.to_string(), "12");
        let same = counted.same_as(Count::Known(12));
        assert!(same.holds() == Verdict::Holds && same.is_known());
        assert_eq!(same.to_string(), "12 → 12");
        let grew = counted.same_as(Count::Known(13));
        assert!(grew.holds() == Verdict::Fails && grew.is_known());
        assert_eq!(grew.to_string(), "12 → 13");
        let shrank = counted.same_as(Count::Known(11));
        assert!(matches!(
            shrank.holds(),
            Verdict::NotJudged(Reason::Busy, _)
        ));
    }
}
