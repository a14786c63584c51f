//! Solutions to the exercises of chapter 05, "Multi-process parallelism".

use std::io;
use std::path::Path;
use std::process::{Child, Command, Stdio};

// ANCHOR: parse_result
/// Exercise 05.2: reads one line of the `do_math` worker's output, `"{pid} {result}"`, into its
/// two numbers, or says what is wrong with it.
pub fn parse_result(line: &str) -> Result<(u32, i64), String> {
    let line = line.trim_end_matches(['\n', '\r']);
    let (pid, value) = line
        .split_once(' ')
        .ok_or_else(|| format!("expected \"PID RESULT\", got {line:?}"))?;
    let pid = pid
        .parse()
        .map_err(|e| format!("the process id {pid:?} is not a number: {e}"))?;
    let value = value
        .parse()
        .map_err(|e| format!("the result {value:?} is not a whole number: {e}"))?;
    Ok((pid, value))
}
// ANCHOR_END: parse_result

// ANCHOR: run_workers
/// Exercise 05.1: runs the worker once per chunk, all at the same time, and returns the results
/// in chunk order. Every process is started before any is waited for, so they run side by side;
/// if one cannot be started, the ones already running are stopped and waited for, so that no
/// process is ever left behind.
pub fn run_workers(worker: &Path, chunks: &[(f64, f64)]) -> io::Result<Vec<i64>> {
    let mut children: Vec<Child> = Vec::new();
    for &(start, end) in chunks {
        let spawned = Command::new(worker)
            .arg(start.to_string())
            .arg(end.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn();
        match spawned {
            Ok(child) => children.push(child),
            Err(e) => {
                for mut child in children {
                    let _ = child.kill();
                    let _ = child.wait();
                }
                return Err(e);
            }
        }
    }
    // Wait for every child even if one fails, then report the first failure.
    let outputs: Vec<io::Result<std::process::Output>> =
        children.into_iter().map(|c| c.wait_with_output()).collect();
    outputs
        .into_iter()
        .map(|output| {
            let output = output?;
            if !output.status.success() {
                return Err(io::Error::other(format!(
                    "a worker failed: {}",
                    output.status
                )));
            }
            let line = String::from_utf8_lossy(&output.stdout);
            parse_result(&line)
                .map(|(_, v)| v)
                .map_err(io::Error::other)
        })
        .collect()
}
// ANCHOR_END: run_workers
