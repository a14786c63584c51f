//! Worker programs that run as separate processes (chapters 05 and 06).
//!
//! evcxr runs a notebook's code inside its own runtime binary, so a cell cannot start a copy of
//! "itself" the way Python's multiprocessing does. Instead each worker is a small, separate Rust
//! program: one `[[bin]]` of the workspace's `course_workers` crate (`support/workers/`), built
//! once with cargo and kept by content ([`cargo_programs`]). The notebook starts it with
//! `std::process::Command`, so the code that starts, feeds and waits for the processes stays in
//! the cells; [`child_processes`] checks that none was left behind.

use crate::error::{Error, Result};
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// A compiled worker program.
#[derive(Debug, Clone, PartialEq)]
pub struct Worker {
    name: String,
    path: PathBuf,
    source: String,
}

/// The workers shipped with this crate: the `[[bin]]`s of `support/workers`.
pub const WORKERS: [&str; 3] = ["do_math", "get_title", "sum_floats"];

/// The loop every worker runs when a process pool starts it with `--serve`
/// (`support/workers/src/serve.rs`, without its tests), to show in a notebook.
pub fn serve_loop() -> &'static str {
    without_tests(include_str!("../workers/src/serve.rs"))
}

/// A Rust source file up to its `#[cfg(test)]` module: what a reader needs to see.
fn without_tests(source: &str) -> &str {
    source
        .find("\n#[cfg(test)]")
        .map_or(source, |end| &source[..=end])
}

/// The longest a build of helper programs may take before it is stopped (the load generator,
/// with tokio and hyper, is the longest: a few minutes on 2 cores).
const BUILD_LIMIT: Duration = Duration::from_secs(15 * 60);

impl Worker {
    /// The worker program `name` (one of [`WORKERS`]), built if need be ([`cargo_programs`]:
    /// the first call builds them all, in a few seconds; later calls only hash the sources).
    /// Fails with [`Error::InvalidInput`] for an unknown name and [`Error::Unavailable`] when
    /// cargo cannot be run or the build fails.
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
        let source_path = workspace_root()
            .join("support/workers/src/bin")
            .join(format!("{name}.rs"));
        let source = std::fs::read_to_string(&source_path).map_err(|e| {
            Error::Unavailable(format!("cannot read {}: {e}", source_path.display()))
        })?;
        let source = without_tests(&source).to_string();
        let programs = cargo_programs("course_workers", "support/workers", &WORKERS)?;
        Ok(Worker {
            name: name.to_string(),
            path: programs.join(format!("{name}{}", std::env::consts::EXE_SUFFIX)),
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

    /// The worker's Rust source (`support/workers/src/bin/{name}.rs`, without its tests), to
    /// show in a notebook.
    pub fn source(&self) -> &str {
        &self.source
    }
}

/// The workspace's root directory (where `Cargo.lock` is).
fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// Every file under `dir`, sorted, recursively.
fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// The path dependencies named in the manifest `crate_dir/Cargo.toml` (`path = "…"`), as
/// directories.
fn path_dependencies(crate_dir: &Path) -> Result<Vec<PathBuf>> {
    let manifest = crate_dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest)
        .map_err(|e| Error::Unavailable(format!("cannot read {}: {e}", manifest.display())))?;
    let mut found = Vec::new();
    for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
        let mut rest = line;
        while let Some(at) = rest.find("path") {
            rest = &rest[at + 4..];
            let value = rest.trim_start().strip_prefix('=').map(str::trim_start);
            if let Some(quoted) = value.and_then(|v| v.strip_prefix('"'))
                && let Some(end) = quoted.find('"')
            {
                let dir = crate_dir.join(&quoted[..end]);
                if dir.join("Cargo.toml").is_file() {
                    found.push(dir);
                }
            }
        }
    }
    Ok(found)
}

/// Every crate of the workspace at `root` that the crate in `crate_dir` (relative to `root`)
/// is built from: itself and its path dependencies, and theirs, relative to `root`.
pub(crate) fn crates_built_from(root: &Path, crate_dir: &str) -> Result<Vec<PathBuf>> {
    let canonical_root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let mut crates = vec![PathBuf::from(crate_dir)];
    let mut next = 0;
    while next < crates.len() {
        for dir in path_dependencies(&root.join(&crates[next]))? {
            let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
            let relative = dir
                .strip_prefix(&canonical_root)
                .map(Path::to_path_buf)
                .unwrap_or(dir);
            if !crates.contains(&relative) {
                crates.push(relative);
            }
        }
        next += 1;
    }
    Ok(crates)
}

/// The files whose content decides a build of the crate in `crate_dir`: the workspace's
/// `Cargo.toml` and `Cargo.lock` (the registry crates' versions), and the manifest, `build.rs`
/// and every file under `src` of each crate it is built from ([`crates_built_from`]).
pub(crate) fn build_inputs(root: &Path, crate_dir: &str) -> Result<Vec<PathBuf>> {
    let mut inputs = vec![root.join("Cargo.toml"), root.join("Cargo.lock")];
    for member in crates_built_from(root, crate_dir)? {
        let dir = root.join(member);
        inputs.push(dir.join("Cargo.toml"));
        if dir.join("build.rs").is_file() {
            inputs.push(dir.join("build.rs"));
        }
        files_under(&dir.join("src"), &mut inputs);
    }
    Ok(inputs)
}

/// The programs (`bins`) of the workspace package `package`, whose crate is `crate_dir` (under
/// the workspace's root), built once and kept by content: returns
/// `target/tools/{package}-{hash}/`, the directory that holds them, where the hash covers every
/// file [`build_inputs`] names (the workspace's `Cargo.toml` and `Cargo.lock`; the manifest,
/// `build.rs` and sources of the crate and of every workspace crate it depends on through a
/// `path`) and `rustc --version`. When that directory is missing they are built with
/// `cargo build --release --offline --locked -p {package}` (the `cargo` in `$CARGO`, else on
/// the `PATH`; stopped after fifteen minutes) in `target/{package}-build`, copied into a
/// directory of their own and moved into place whole, so a half-built set is never run and two
/// kernels building at once both end with a whole one. The worker programs
/// ([`Worker::build`]) and the load generator ([`crate::load::generator`]) are built this way.
///
/// Fails with [`Error::Unavailable`] (with cargo's messages) when they cannot be built.
///
/// ```
/// let dir = support::process::cargo_programs("course_workers", "support/workers", &["do_math"])?;
/// assert!(dir.join("do_math").exists());
/// # Ok::<(), support::Error>(())
/// ```
pub fn cargo_programs(package: &str, crate_dir: &str, bins: &[&str]) -> Result<PathBuf> {
    let root = workspace_root();
    let mut hasher = DefaultHasher::new();
    for input in &build_inputs(&root, crate_dir)? {
        let bytes = std::fs::read(input).map_err(|e| {
            Error::Unavailable(format!(
                "cannot read {} to build {package}: {e}",
                input.display()
            ))
        })?;
        input.strip_prefix(&root).unwrap_or(input).hash(&mut hasher);
        bytes.hash(&mut hasher);
    }
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let version = course_os::run_with_deadline(Command::new(&rustc).arg("--version"), BUILD_LIMIT)
        .map_err(|e| Error::Unavailable(format!("cannot run rustc: {e}")))?;
    version.stdout.hash(&mut hasher);
    let tools = root.join("target").join("tools");
    let kept = tools.join(format!("{package}-{:016x}", hasher.finish()));
    if kept.is_dir() {
        return Ok(kept);
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let build_dir = root.join("target").join(format!("{package}-build"));
    let mut build = Command::new(&cargo);
    build
        .args(["build", "--release", "--offline", "--locked", "-p", package])
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&build_dir);
    let out = course_os::run_with_deadline(&mut build, BUILD_LIMIT)
        .map_err(|e| Error::Unavailable(format!("cannot run cargo to build {package}: {e}")))?;
    if !out.status.success() {
        return Err(Error::Unavailable(format!(
            "cargo could not build {package}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    // Copy into a directory of our own, then rename it into place: another kernel building at
    // the same time uses its own, and a rename onto a directory that exists fails, leaving the
    // first whole set in place.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let partial = tools.join(format!("{package}-partial-{}-{nanos}", std::process::id()));
    let placed = std::fs::create_dir_all(&partial)
        .and_then(|()| {
            for bin in bins {
                let file = format!("{bin}{}", std::env::consts::EXE_SUFFIX);
                std::fs::copy(build_dir.join("release").join(&file), partial.join(&file))?;
            }
            Ok(())
        })
        .map_err(|e| Error::System(format!("cannot copy the programs of {package}: {e}")));
    let placed = placed.and_then(|()| match std::fs::rename(&partial, &kept) {
        Ok(()) => Ok(()),
        Err(_) if kept.is_dir() => Ok(()), // another kernel placed the same build first
        Err(e) => Err(Error::System(format!(
            "cannot move {package}'s programs into place: {e}"
        ))),
    });
    let _ = std::fs::remove_dir_all(&partial);
    placed?;
    Ok(kept)
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
    child_pids().map(|children| children.len())
}

/// The ids of the processes [`child_processes`] counts.
pub fn child_pids() -> Result<Vec<u32>> {
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
/// system could give: the ids of the processes whose parent is `me`, not counting threads
/// (Linux lists those as tasks). A list without `me` in it is not a list of this system's
/// processes.
fn children_of(
    me: u32,
    processes: impl IntoIterator<Item = (u32, Option<u32>, bool)>,
) -> Result<Vec<u32>> {
    let (mut listed_me, mut children) = (false, Vec::new());
    for (pid, parent, is_thread) in processes {
        listed_me |= pid == me;
        if parent == Some(me) && pid != me && !is_thread {
            children.push(pid);
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

    /// Runs `worker` with `args` for at most `limit`: its exit code and output, or `None` if it
    /// was still running (then it was killed).
    fn run_for(worker: &Worker, args: &[&str], limit: Duration) -> Option<std::process::Output> {
        course_os::run_with_deadline(Command::new(worker.path()).args(args), limit).ok()
    }

    /// The chunk results the course's Python program printed, reproduced by the worker.
    #[test]
    fn the_worker_prints_the_course_results_for_two_chunks() {
        let _processes = crate::process_test_lock();
        let worker = Worker::build("do_math").unwrap();
        let mut results = Vec::new();
        for args in [["0", "15000000"], ["15000000", "30000000"]] {
            let out = run_for(&worker, &args, Duration::from_secs(60)).unwrap();
            assert!(out.status.success());
            let line = String::from_utf8(out.stdout).unwrap();
            let (pid, value) = line.trim().split_once(' ').unwrap();
            assert!(pid.parse::<u32>().unwrap() > 0);
            results.push(value.to_string());
        }
        assert_eq!(results, ["6566667", "10750000"]);
    }

    /// Failed before the worker checked its input: `-inf` to 0, or 0 to 10^17 (above 2^53,
    /// `pos += 1.0` leaves `pos` where it is), never ended.
    #[test]
    fn the_worker_refuses_ranges_that_would_not_end() {
        let _processes = crate::process_test_lock();
        let worker = Worker::build("do_math").unwrap();
        for args in [["-inf", "0"], ["0", "1e17"], ["0", "inf"], ["0", "2e9"]] {
            let out = run_for(&worker, &args, Duration::from_secs(5));
            let out = out.unwrap_or_else(|| panic!("do_math {args:?} still ran after 5 s"));
            assert_eq!(out.status.code(), Some(2), "{args:?}");
        }
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
        let url = internet.site_url("realpython");
        let out = run_for(&worker, &[&url], Duration::from_secs(30)).unwrap();
        assert!(out.status.success(), "{out:?}");
        let line = String::from_utf8(out.stdout).unwrap();
        let mut fields = line.trim().splitn(3, ' ');
        let pid: u32 = fields.next().unwrap().parse().unwrap();
        assert_ne!(pid, std::process::id());
        assert_eq!(fields.next(), Some("main"));
        assert_eq!(fields.next(), Some("Tutorials for Real Programs"));
        let nowhere = format!("{}/nowhere", internet.base_url());
        let out = run_for(&worker, &[&nowhere], Duration::from_secs(30)).unwrap();
        assert_eq!(out.status.code(), Some(1));
    }

    #[test]
    fn the_sum_worker_gives_back_the_exact_sum() {
        let _processes = crate::process_test_lock();
        let worker = Worker::build("sum_floats").unwrap();
        let numbers: Vec<f64> = (0..10_000).map(|i| (i as f64).sqrt()).collect();
        let text: String = numbers.iter().map(|x| format!("{x}\n")).collect();
        let mut child = Command::new(worker.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let line = String::from_utf8(out.stdout).unwrap();
        let sum: f64 = line.split_whitespace().nth(2).unwrap().parse().unwrap();
        assert_eq!(sum.to_bits(), numbers.iter().sum::<f64>().to_bits());
    }

    #[test]
    fn bad_names_and_bad_arguments_are_errors() {
        let _processes = crate::process_test_lock();
        assert!(matches!(
            Worker::build("../etc/passwd"),
            Err(Error::InvalidInput(_))
        ));
        let worker = Worker::build("do_math").unwrap();
        let out = run_for(&worker, &["ten"], Duration::from_secs(5)).unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("usage"));
    }

    #[test]
    fn a_second_build_reuses_the_first() {
        let _processes = crate::process_test_lock();
        let a = Worker::build("do_math").unwrap();
        let b = Worker::build("do_math").unwrap();
        assert_eq!(a.path(), b.path());
        assert!(a.path().exists());
        assert!(a.source().contains("fn do_math"));
        assert!(!a.source().contains("#[cfg(test)]"));
        assert!(serve_loop().contains("pub fn serve(") && !serve_loop().contains("mod tests"));
        let title = Worker::build("get_title").unwrap();
        assert_eq!(title.path().parent(), a.path().parent()); // one build, every worker
    }

    /// It used to check only that "some child" was counted, so it passed even if the count
    /// ignored the child it started: now it checks that very child, counted and then not.
    #[test]
    fn a_child_is_counted_until_it_is_waited_for() {
        let _processes = crate::process_test_lock();
        let mut child = Command::new("sleep").arg("5").spawn().unwrap();
        assert!(child_pids().unwrap().contains(&child.id()));
        child.kill().unwrap();
        std::thread::sleep(Duration::from_millis(50));
        // Killed but not waited for: a zombie, still a child left behind.
        assert!(child_pids().unwrap().contains(&child.id()));
        child.wait().unwrap();
        assert!(!child_pids().unwrap().contains(&child.id()));
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
        assert_eq!(children_of(10, listed), Ok(vec![11, 12]));
        assert_eq!(children_of(11, listed), Ok(vec![14]));
    }

    #[test]
    fn a_list_without_this_process_is_unavailable() {
        assert!(matches!(
            children_of(10, [(1, None, false), (11, Some(10), false)]),
            Err(Error::Unavailable(_))
        ));
        assert!(matches!(children_of(10, []), Err(Error::Unavailable(_))));
        assert_eq!(
            crate::machine::Count::from(children_of(10, []).map(|c| c.len())),
            crate::machine::Count::NotAvailable
        );
    }
}
