//! A worker process for chapter 05, "Multi-process parallelism".
//!
//! The course's `do_math` with its running average, over one chunk: counts `pos` from START to
//! END, takes a square root at every step, and adds `root / END` to an average. Arguments come
//! in as text on the command line; the result goes out as text on stdout, one line:
//! `{process id} {int(average)}`. That text is the whole interface between the notebook and this
//! process (Python's multiprocessing pickles the arguments and results instead).
//!
//! Usage: do_math START END      (START = END does no work: a way to time a bare start-up)

use std::process::ExitCode;

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

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parsed = match args.as_slice() {
        [start, end] => start.parse::<f64>().ok().zip(end.parse::<f64>().ok()),
        _ => None,
    };
    let Some((start, end)) = parsed else {
        eprintln!("usage: do_math START END (two numbers), got {args:?}");
        return ExitCode::from(2);
    };
    println!("{} {}", std::process::id(), do_math(start, end));
    ExitCode::SUCCESS
}
