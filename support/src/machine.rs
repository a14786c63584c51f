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
        Machine {
            cores,
            logical_cpus,
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
            ("processor", self.cpu.clone()),
            ("system", self.os.clone()),
        ] {
            // Two cells for two columns: cannot fail.
            let _ = table.push_row([k.to_string(), v]);
        }
        table
    }

    /// Shows the table under the cell.
    pub fn evcxr_display(&self) {
        self.to_table().evcxr_display();
    }
}
