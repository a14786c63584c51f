//! Worker programs that run as separate processes (chapter 05 on).
//!
//! evcxr runs a notebook's code inside its own runtime binary, so a cell cannot start a copy of
//! "itself" the way Python's multiprocessing does. Instead each worker is a small, separate Rust
//! program shipped in `support/workers/`, compiled once with `rustc -O` into `target/workers/`
//! (again only when its source or the compiler changes). The notebook starts it with
//! `std::process::Command`, so the code that starts, feeds and waits for the processes stays in
//! the cells; [`child_processes`] checks that none was left behind.

use crate::error::{Error, Result};
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A compiled worker program.
#[derive(Debug, Clone, PartialEq)]
pub struct Worker {
    name: String,
    path: PathBuf,
    source: String,
}

/// The workers shipped with this crate.
pub const WORKERS: [&str; 2] = ["do_math", "get_title"];

/// The loop every worker runs when a [`ProcessPool`](crate::pool::ProcessPool) starts it with
/// `--serve` (`support/workers/serve_core.rs`, included in each worker), to show in a notebook.
pub const SERVE_LOOP: &str = include_str!("../workers/serve_core.rs");

impl Worker {
    /// Compiles `support/workers/{name}.rs` with `rustc -O` unless an up-to-date build exists,
    /// and returns it. Fails with [`Error::InvalidInput`] for an unknown name and
    /// [`Error::Unavailable`] when `rustc` cannot be run or the build fails.
    ///
    /// ```
    /// let worker = support::process::Worker::build("do_math")?;
    /// let out = std::process::Command::new(worker.path()).args(["0", "10"]).output()?;
    /// assert!(out.status.success());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn build(name: &str) -> Result<Worker> {
        if !WORKERS.contains(&name) {
            return Err(Error::InvalidInput(format!(
                "no worker called {name:?}; the workers are {WORKERS:?}"
            )));
        }
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let source_path = manifest.join("workers").join(format!("{name}.rs"));
        let source = std::fs::read_to_string(&source_path).map_err(|e| {
            Error::Unavailable(format!("cannot read {}: {e}", source_path.display()))
        })?;
        let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
        let version = Command::new(&rustc)
            .arg("--version")
            .output()
            .map_err(|e| Error::Unavailable(format!("cannot run rustc: {e}")))?;
        let mut hasher = DefaultHasher::new();
        // Every file in workers/ counts, since a worker may `include!` a shared one.
        let mut shared: Vec<PathBuf> = std::fs::read_dir(manifest.join("workers"))
            .map(|dir| dir.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        shared.sort();
        for file in shared {
            std::fs::read(&file).unwrap_or_default().hash(&mut hasher);
        }
        source.hash(&mut hasher);
        version.stdout.hash(&mut hasher);
        let dir = manifest.parent().unwrap_or(manifest).join("target/workers");
        let path = dir.join(format!(
            "{name}-{:016x}{}",
            hasher.finish(),
            std::env::consts::EXE_SUFFIX
        ));
        if !path.exists() {
            std::fs::create_dir_all(&dir)
                .map_err(|e| Error::System(format!("cannot create {}: {e}", dir.display())))?;
            // Build in a directory of its own (rustc names its intermediate files after the
            // crate, so two kernels building at once in one directory would clobber each
            // other's), then move the binary into place: a half-written one is never used.
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            let scratch = dir.join(format!("build-{name}-{}-{nanos}", std::process::id()));
            std::fs::create_dir_all(&scratch)
                .map_err(|e| Error::System(format!("cannot create {}: {e}", scratch.display())))?;
            let partial = scratch.join(name);
            let out = Command::new(&rustc)
                .args(["-O", "--edition", "2024", "-o"])
                .arg(&partial)
                .arg(&source_path)
                .stdin(Stdio::null())
                .output();
            let moved = match out {
                Err(e) => Err(Error::Unavailable(format!("cannot run rustc: {e}"))),
                Ok(out) if !out.status.success() => Err(Error::Unavailable(format!(
                    "rustc could not build {}: {}",
                    source_path.display(),
                    String::from_utf8_lossy(&out.stderr).trim()
                ))),
                Ok(_) => std::fs::rename(&partial, &path)
                    .map_err(|e| Error::System(format!("cannot move the worker into place: {e}"))),
            };
            let _ = std::fs::remove_dir_all(&scratch);
            moved?;
        }
        Ok(Worker {
            name: name.to_string(),
            path,
            source,
        })
    }

    /// The worker's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The compiled program, for `Command::new`.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The worker's Rust source, to show in a notebook.
    pub fn source(&self) -> &str {
        &self.source
    }
}

/// How many processes this process has started that are still alive or not yet waited for
/// (zombies count where the system lists them, as Linux does: a child that was never waited for
/// is one left behind).
///
/// It asks [`sysinfo`] for every process's parent, refreshing nothing else (on Linux that reads
/// each `/proc/<pid>/stat`), so it works on Linux, macOS, Windows and FreeBSD. Where the system
/// will not list processes (or does not list this one), it returns [`Error::Unavailable`]; a
/// cell that must not fail there uses
/// [`Count::child_processes`](crate::machine::Count::child_processes) instead.
///
/// ```
/// let before = support::process::child_processes();
/// std::process::Command::new("true").status().ok();
/// if let Ok(before) = before {
///     assert_eq!(support::process::child_processes().unwrap(), before);
/// }
/// ```
pub fn child_processes() -> Result<usize> {
    use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, RefreshKind, System};
    let mut system = System::new_with_specifics(RefreshKind::nothing())
        .map_err(|e| Error::Unavailable(format!("cannot list processes here: {e}")))?;
    // No tasks (threads), no names, memory or CPU: only what every listed process carries,
    // its id and parent.
    system.refresh_processes_specifics(ProcessesToUpdate::All, true, ProcessRefreshKind::nothing());
    let processes = system.processes().iter().map(|(pid, p)| {
        (
            pid.as_u32(),
            p.parent().map(Pid::as_u32),
            p.thread_kind().is_some(),
        )
    });
    children_of(std::process::id(), processes)
}

/// The decision behind [`child_processes`], on a list of (pid, parent, is a thread) that any
/// system could give: the processes whose parent is `me`, not counting threads (Linux lists
/// those as tasks). A list without `me` in it is not a list of this system's processes.
fn children_of(
    me: u32,
    processes: impl IntoIterator<Item = (u32, Option<u32>, bool)>,
) -> Result<usize> {
    let (mut listed_me, mut children) = (false, 0);
    for (pid, parent, is_thread) in processes {
        listed_me |= pid == me;
        if parent == Some(me) && pid != me && !is_thread {
            children += 1;
        }
    }
    if listed_me {
        Ok(children)
    } else {
        Err(Error::Unavailable(format!(
            "cannot list processes here (the system's list does not hold this process, {me})"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The chunk results the course's Python program printed, reproduced by the worker.
    #[test]
    fn the_worker_prints_the_course_results_for_two_chunks() {
        let _processes = crate::process_test_lock();
        let worker = Worker::build("do_math").unwrap();
        let mut results = Vec::new();
        for (start, end) in [("0", "15000000"), ("15000000", "30000000")] {
            let out = Command::new(worker.path())
                .args([start, end])
                .output()
                .unwrap();
            assert!(out.status.success());
            let line = String::from_utf8(out.stdout).unwrap();
            let (pid, value) = line.trim().split_once(' ').unwrap();
            assert!(pid.parse::<u32>().unwrap() > 0);
            results.push(value.to_string());
        }
        assert_eq!(results, ["6566667", "10750000"]);
    }

    #[cfg(feature = "web")]
    #[test]
    fn the_title_worker_fetches_a_page_in_its_own_process() {
        let _processes = crate::process_test_lock();
        let internet = crate::internet::FakeInternet::builder()
            .latency(std::time::Duration::from_millis(1))
            .start()
            .unwrap();
        let worker = Worker::build("get_title").unwrap();
        let out = Command::new(worker.path())
            .arg(internet.site_url("realpython"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        let line = String::from_utf8(out.stdout).unwrap();
        let (pid, title) = line.trim().split_once(' ').unwrap();
        assert_ne!(pid.parse::<u32>().unwrap(), std::process::id());
        assert_eq!(title, "Tutorials for Real Programs");
        let out = Command::new(worker.path())
            .arg(format!("{}/nowhere", internet.base_url()))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
    }

    #[test]
    fn bad_names_and_bad_arguments_are_errors() {
        let _processes = crate::process_test_lock();
        assert!(matches!(
            Worker::build("../etc/passwd"),
            Err(Error::InvalidInput(_))
        ));
        let worker = Worker::build("do_math").unwrap();
        let out = Command::new(worker.path()).arg("ten").output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("usage"));
    }

    #[test]
    fn a_second_build_reuses_the_first() {
        let _processes = crate::process_test_lock();
        let a = Worker::build("do_math").unwrap();
        let b = Worker::build("do_math").unwrap();
        assert_eq!(a.path(), b.path());
        assert!(a.source().contains("fn do_math"));
    }

    #[test]
    fn waited_children_are_not_counted() {
        let _processes = crate::process_test_lock();
        let before = child_processes().unwrap();
        let mut child = Command::new("sleep").arg("5").spawn().unwrap();
        // Other tests may start processes at the same time, so only check that ours shows up.
        assert!(child_processes().unwrap() >= 1);
        child.kill().unwrap();
        child.wait().unwrap();
        let _ = before;
    }

    #[test]
    fn only_this_process_children_count_and_threads_do_not() {
        let listed = [
            (1, None, false),
            (10, Some(1), false),  // this process
            (11, Some(10), false), // a child
            (12, Some(10), false), // a zombie child is listed too
            (13, Some(10), true),  // a thread listed as a task
            (14, Some(11), false), // a grandchild
            (15, Some(1), false),  // someone else's
        ];
        assert_eq!(children_of(10, listed), Ok(2));
        assert_eq!(children_of(11, listed), Ok(1));
    }

    #[test]
    fn a_list_without_this_process_is_unavailable() {
        assert!(matches!(
            children_of(10, [(1, None, false), (11, Some(10), false)]),
            Err(Error::Unavailable(_))
        ));
        assert!(matches!(children_of(10, []), Err(Error::Unavailable(_))));
        assert_eq!(
            crate::machine::Count::from(children_of(10, [])),
            crate::machine::Count::NotAvailable
        );
    }

    /// sysinfo counts the same children as reading /proc directly did before.
    #[cfg(target_os = "linux")]
    #[test]
    fn sysinfo_sees_a_child_and_then_not() {
        let _processes = crate::process_test_lock();
        let before = child_processes().unwrap();
        let mut child = Command::new("sleep").arg("5").spawn().unwrap();
        assert_eq!(child_processes().unwrap(), before + 1);
        child.kill().unwrap();
        // Killed but not waited for: a zombie, still a child left behind.
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert_eq!(child_processes().unwrap(), before + 1);
        child.wait().unwrap();
        assert_eq!(child_processes().unwrap(), before);
    }
}
