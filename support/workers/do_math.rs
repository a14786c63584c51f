//! A worker process for chapter 05, "Multi-process parallelism".
//!
//! The course's `do_math` with its running average, over one chunk: counts `pos` from START to
//! END, takes a square root at every step, and adds `root / END` to an average. Arguments come
//! in as text on the command line; the result goes out as text on stdout, one line:
//! `{process id} {int(average)}`. That text is the whole interface between the notebook and this
//! process (Python's multiprocessing pickles the arguments and results instead).
//!
//! Usage: do_math START END      (START = END does no work: a way to time a bare start-up)
//!        do_math --serve        a long-lived worker of a process pool: one `START\tEND` request
//!                               per line on stdin, one answer per line on stdout (serve_core.rs)

use std::process::ExitCode;

include!("serve_core.rs");

fn do_math(start: f64, num: f64) -> i64 {
    let mut pos = start;
    let k_sq = 1000.0 * 1000.0;
    let mut ave = 0.0;
    while pos < num {
        pos += 1.0;
        let val = ((pos - k_sq) * (pos - k_sq)).sqrt();
        ave += val / num;
    }
    ave as i64
}

/// One chunk: `"{process id} {int(average)}"`, or why the arguments cannot be read.
fn task(args: &[&str]) -> Result<String, String> {
    let parsed = match args {
        [start, end] => start.parse::<f64>().ok().zip(end.parse::<f64>().ok()),
        _ => None,
    };
    let (start, end) =
        parsed.ok_or_else(|| format!("usage: do_math START END (two numbers), got {args:?}"))?;
    Ok(format!("{} {}", std::process::id(), do_math(start, end)))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    if args == ["--serve"] {
        return serve(task);
    }
    match task(&args) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("{message}");
            ExitCode::from(2)
        }
    }
}
