//! Solutions to the exercises of chapter 05, "Multi-process parallelism".

use std::io::{self, BufRead, BufReader, Write};
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
/// Exercise 05.1: feeds one long-lived worker by hand. The worker is started once with
/// `--serve`; each chunk goes to it as a request line, `START\tEND`, and each answer comes back
/// as a line, `ok\t{pid} {result}`. Then its input is closed, which ends its serve loop, and it
/// is waited for, whatever happened before: no process is ever left behind.
pub fn run_workers(worker: &Path, chunks: &[(f64, f64)]) -> io::Result<Vec<i64>> {
    let mut child = Command::new(worker)
        .arg("--serve")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let answers = ask_each(&mut child, chunks);
    drop(child.stdin.take()); // end of input: the worker's serve loop ends
    let status = child.wait()?;
    let answers = answers?;
    if !status.success() {
        return Err(io::Error::other(format!("the worker ended with {status}")));
    }
    Ok(answers)
}

/// Sends each chunk to the serving worker and reads its answer, one at a time.
fn ask_each(child: &mut Child, chunks: &[(f64, f64)]) -> io::Result<Vec<i64>> {
    let (Some(input), Some(output)) = (child.stdin.as_mut(), child.stdout.as_mut()) else {
        return Err(io::Error::other("the worker's pipes were not opened"));
    };
    let mut output = BufReader::new(output);
    let mut results = Vec::with_capacity(chunks.len());
    for &(start, end) in chunks {
        writeln!(input, "{start}\t{end}")?;
        let mut line = String::new();
        output.read_line(&mut line)?;
        let answer = line
            .trim_end()
            .strip_prefix("ok\t")
            .ok_or_else(|| io::Error::other(format!("the worker said {line:?}")))?;
        let (_, value) = parse_result(answer).map_err(io::Error::other)?;
        results.push(value);
    }
    Ok(results)
}
// ANCHOR_END: run_workers
