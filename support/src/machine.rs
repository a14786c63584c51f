//! What machine the notebook ran on, so its numbers can be read in context.

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
            cpu,
            os: format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
        }
    }

    /// The facts as a two-column table.
    pub fn to_table(&self) -> Table {
        let mut table = Table::new(["this machine", ""]);
        for (k, v) in [
            ("cores available to this notebook", self.cores.to_string()),
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
/// cell): the way to check that a cell left no thread behind. Linux only (it reads
/// `/proc/self/status`); elsewhere [`Error::Unavailable`](crate::Error::Unavailable).
///
/// ```
/// std::thread::scope(|s| {
///     s.spawn(|| {
///         // On Linux: this thread and the one that started it, at least.
///         if let Ok(now) = support::machine::threads_in_process() {
///             assert!(now >= 2);
///         }
///     });
/// });
/// ```
pub fn threads_in_process() -> crate::Result<usize> {
    let status = std::fs::read_to_string("/proc/self/status").map_err(|e| {
        crate::Error::Unavailable(format!(
            "cannot count threads here (/proc/self/status: {e})"
        ))
    })?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| crate::Error::System("/proc/self/status has no Threads: line".into()))
}
