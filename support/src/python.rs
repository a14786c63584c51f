//! Running the course's Python programs beside the Rust ones, so a chart can compare both
//! measured on the same machine in the same run (chapter 02's event-loop benchmark, chapter 03's
//! `do_math` on threads).
//!
//! The Python side is optional: [`find`] looks for the project's virtual environment first
//! (`.venv/`, made by `make lab` or `make test`, which installs uvloop), then for `python3` on
//! the `PATH`, and says why when there is none, so a notebook can skip those bars and say so.

use crate::error::{Error, Result};
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The event-loop benchmark script shipped with this crate.
pub fn loop_benchmark_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("python/loop_benchmark.py")
}

/// The `do_math` script shipped with this crate (chapter 03): the course's serial and threaded
/// CPU-bound programs.
pub fn do_math_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("python/do_math.py")
}

/// A Python interpreter that answered `--version`.
#[derive(Debug, Clone, PartialEq)]
pub struct Python {
    path: PathBuf,
    version: String,
}

impl fmt::Display for Python {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.version, self.path.display())
    }
}

/// Finds a Python 3: the project's `.venv` if it exists, else `python3` (or `python`) on the
/// `PATH`. The error says what was tried.
pub fn find() -> Result<Python> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = manifest.parent().unwrap_or(manifest);
    let candidates = [
        root.join(".venv/bin/python"),
        root.join(".venv/Scripts/python.exe"),
        PathBuf::from("python3"),
        PathBuf::from("python"),
    ];
    for path in &candidates {
        if let Ok(python) = Python::at(path) {
            return Ok(python);
        }
    }
    Err(Error::Unavailable(format!(
        "no Python 3 found (tried {}); `make lab` makes the project's .venv",
        candidates
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    )))
}

impl Python {
    /// Checks that `path` runs and is Python 3.
    pub fn at(path: impl AsRef<Path>) -> Result<Python> {
        // Not canonicalised: a venv's `python` is a symlink, and resolving it would leave the
        // venv (and its packages) behind.
        let path = path.as_ref().to_path_buf();
        let out = run(
            Command::new(&path).arg("--version"),
            Duration::from_secs(20),
        )?;
        let version = String::from_utf8_lossy(&out).trim().to_string();
        if !version.starts_with("Python 3") {
            return Err(Error::Unavailable(format!(
                "{} is not Python 3 (it says {version:?})",
                path.display()
            )));
        }
        Ok(Python { path, version })
    }

    /// The interpreter's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What `--version` printed, e.g. `Python 3.11.7`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Runs [`loop_benchmark_script`] with `event_loop` (`"asyncio"` or `"uvloop"`) and
    /// `actions` queue operations, and returns the seconds it reported. The child process is
    /// waited for (and killed after two minutes), so nothing outlives the call.
    ///
    /// Fails with [`Error::Unavailable`] when uvloop is not installed for this interpreter.
    pub fn time_event_loop(&self, event_loop: &str, actions: usize) -> Result<f64> {
        if !["asyncio", "uvloop"].contains(&event_loop) {
            return Err(Error::InvalidInput(format!(
                "unknown event loop {event_loop:?}: use \"asyncio\" or \"uvloop\""
            )));
        }
        if !(2..=50_000_000).contains(&actions) {
            return Err(Error::InvalidInput(format!(
                "actions must be between 2 and 50,000,000, not {actions}"
            )));
        }
        let out = run(
            Command::new(&self.path)
                .arg(loop_benchmark_script())
                .arg(event_loop)
                .arg(actions.to_string()),
            Duration::from_secs(120),
        )?;
        let text = String::from_utf8_lossy(&out);
        json_number(&text, "seconds")
            .ok_or_else(|| Error::System(format!("the benchmark printed no time: {}", text.trim())))
    }

    /// Whether this interpreter runs with the global interpreter lock: `true` for every
    /// ordinary CPython, `false` only on a free-threaded build (PEP 703: 3.13t, 3.14t) with the
    /// GIL switched off, where Python threads do compute in parallel. Asks the interpreter
    /// (`sys._is_gil_enabled()`, which older versions lack: they always have the GIL).
    pub fn gil_enabled(&self) -> Result<bool> {
        let out = run(
            Command::new(&self.path)
                .arg("-c")
                .arg("import sys; print(getattr(sys, '_is_gil_enabled', lambda: True)())"),
            Duration::from_secs(30),
        )?;
        match String::from_utf8_lossy(&out).trim() {
            "True" => Ok(true),
            "False" => Ok(false),
            other => Err(Error::System(format!(
                "{} did not say whether its GIL is on: {other:?}",
                self.path.display()
            ))),
        }
    }

    /// Runs the course's serial `do_math` program (integer bounds, main thread) for `num`
    /// iterations and returns the seconds it reported. Waited for, and killed after five minutes.
    pub fn time_do_math_serial(&self, num: u64) -> Result<f64> {
        self.do_math(num, "serial".to_string())
    }

    /// Runs the course's threaded `do_math` program: `num` iterations cut into `threads` equal
    /// float ranges, one thread each. Returns the seconds it reported.
    pub fn time_do_math_threads(&self, num: u64, threads: usize) -> Result<f64> {
        if !(1..=256).contains(&threads) {
            return Err(Error::InvalidInput(format!(
                "threads must be between 1 and 256, not {threads}"
            )));
        }
        self.do_math(num, threads.to_string())
    }

    fn do_math(&self, num: u64, mode: String) -> Result<f64> {
        if !(1..=1_000_000_000).contains(&num) {
            return Err(Error::InvalidInput(format!(
                "num must be between 1 and 1,000,000,000, not {num}"
            )));
        }
        let out = run(
            Command::new(&self.path)
                .arg(do_math_script())
                .arg(num.to_string())
                .arg(mode),
            Duration::from_secs(300),
        )?;
        let text = String::from_utf8_lossy(&out);
        json_number(&text, "seconds")
            .ok_or_else(|| Error::System(format!("do_math printed no time: {}", text.trim())))
    }
}

/// Runs `command`, returns its stdout, kills it after `limit` (both pipes are read while it
/// runs: [`crate::os::run_with_deadline`]). Exit status 3 means "not installed" (the scripts'
/// convention), anything else non-zero is a system error.
fn run(command: &mut Command, limit: Duration) -> Result<Vec<u8>> {
    let shown = format!("{command:?}");
    let out = crate::os::run_with_deadline(command, limit).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied => {
            Error::Unavailable(format!("could not run {shown}: {e}"))
        }
        std::io::ErrorKind::TimedOut => Error::System(format!("{shown}: {e}")),
        _ => Error::System(format!("running {shown}: {e}")),
    })?;
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    match out.status.code() {
        Some(0) => Ok(out.stdout),
        Some(3) => Err(Error::Unavailable(stderr)),
        _ => Err(Error::System(format!(
            "{shown} failed ({}): {stderr}",
            out.status
        ))),
    }
}

/// The number after `"key":` in a flat JSON object.
fn json_number(json: &str, key: &str) -> Option<f64> {
    let quoted = format!("\"{key}\"");
    let rest = &json[json.find(&quoted)? + quoted.len()..];
    let rest = rest.trim_start().strip_prefix(':')?.trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || "+-.eE".contains(c)))
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Python for the tests that need one. Without one, the test is skipped
    /// ([`crate::skip_test`]: SKIPPED in the test command's summary, a failure under CI).
    fn python_or_skip(test: &str) -> Option<Python> {
        match find() {
            Ok(python) => Some(python),
            Err(why) => {
                crate::skip_test(test, &format!("no Python: {why}"));
                None
            }
        }
    }

    #[test]
    fn a_child_writing_more_than_a_pipe_holds_finishes_in_time() {
        let _processes = crate::process_test_lock();
        let Some(python) =
            python_or_skip("a_child_writing_more_than_a_pipe_holds_finishes_in_time")
        else {
            return;
        };
        // 512 KiB on each pipe before it exits: with only one pipe read, or none until the
        // child ends, this stalled until the deadline and was reported as slow.
        let started = std::time::Instant::now();
        let out = run(
            Command::new(python.path()).args([
                "-c",
                "import sys; sys.stderr.write('e' * 524288); print('o' * 524288)",
            ]),
            Duration::from_secs(20),
        )
        .unwrap();
        assert_eq!(out.len(), 524_289);
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn numbers_are_read_from_json() {
        let line = r#"{"loop": "asyncio", "actions": 500000, "seconds": 1.25e0, "x": null}"#;
        assert_eq!(json_number(line, "seconds"), Some(1.25));
        assert_eq!(json_number(line, "actions"), Some(500000.0));
        assert_eq!(json_number(line, "missing"), None);
        assert_eq!(json_number(line, "x"), None);
    }

    #[test]
    fn the_scripts_ship_with_the_crate() {
        assert!(loop_benchmark_script().is_file());
        assert!(do_math_script().is_file());
    }

    #[test]
    fn the_interpreter_says_whether_its_gil_is_on() {
        let _processes = crate::process_test_lock();
        let Some(python) = python_or_skip("the_interpreter_says_whether_its_gil_is_on") else {
            return;
        };
        // An ordinary CPython says true; a free-threaded build with the GIL off says false.
        let asked = python.gil_enabled().expect("the interpreter answered");
        let out = run(
            Command::new(python.path()).args([
                "-c",
                "import sysconfig; print(sysconfig.get_config_var('Py_GIL_DISABLED') or 0)",
            ]),
            Duration::from_secs(30),
        )
        .unwrap();
        let free_threaded_build = String::from_utf8_lossy(&out).trim() == "1";
        if !free_threaded_build {
            assert!(asked, "a CPython built with the GIL said its GIL is off");
        }
    }

    #[test]
    fn a_missing_interpreter_is_unavailable_not_a_panic() {
        let _processes = crate::process_test_lock();
        let err = Python::at("/no/such/python").unwrap_err();
        assert!(matches!(err, Error::Unavailable(_)), "{err}");
    }

    #[test]
    fn bad_arguments_are_rejected_before_running_anything() {
        let fake = Python {
            path: "/no/such/python".into(),
            version: "Python 3".into(),
        };
        assert!(matches!(
            fake.time_event_loop("trio", 10),
            Err(Error::InvalidInput(_))
        ));
        assert!(matches!(
            fake.time_event_loop("asyncio", 0),
            Err(Error::InvalidInput(_))
        ));
        assert!(matches!(
            fake.time_do_math_threads(1_000, 0),
            Err(Error::InvalidInput(_))
        ));
        assert!(matches!(
            fake.time_do_math_serial(0),
            Err(Error::InvalidInput(_))
        ));
    }

    #[test]
    fn the_project_venv_comes_first_and_keeps_its_packages() {
        let _processes = crate::process_test_lock();
        // `make test` makes .venv before it runs this, so here it must be found and used as is.
        let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python");
        if !venv.exists() {
            crate::skip_test(
                "the_project_venv_comes_first_and_keeps_its_packages",
                "no .venv (run make lab)",
            );
            return;
        }
        let python = find().unwrap();
        assert!(python.path().ends_with(".venv/bin/python"), "{python}");
        assert!(!python.path().to_string_lossy().contains(".."), "{python}");
        // binder/requirements.txt (what setup.sh installs) puts uvloop into the venv.
        let secs = python.time_event_loop("uvloop", 2_000).unwrap();
        assert!(secs > 0.0, "{secs}");
    }

    #[test]
    fn asyncio_runs_when_python_is_here() {
        let _processes = crate::process_test_lock();
        let Some(python) = python_or_skip("asyncio_runs_when_python_is_here") else {
            return;
        };
        let secs = python.time_event_loop("asyncio", 2_000).unwrap();
        assert!(secs > 0.0 && secs < 10.0, "{secs}");
        for secs in [
            python.time_do_math_serial(10_000).unwrap(),
            python.time_do_math_threads(10_000, 3).unwrap(),
        ] {
            assert!(secs > 0.0 && secs < 10.0, "{secs}");
        }
    }
}
