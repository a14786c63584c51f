//! A worker process for chapter 05, "Multi-process parallelism": the course's `do_math` with its
//! running average, over one chunk. It counts `pos` from START to END, takes a square root at
//! every step and adds `root / END` to an average. The arguments come in as text on the command
//! line, the result goes out as text on stdout, one line: `{process id} {int(average)}`.
//!
//! Usage: do_math START END    (START = END does no work: a way to time a bare start-up)
//!        do_math --serve      a process pool's long-lived worker: one `START\tEND` request per
//!                             line on stdin, one answer per line on stdout (course_workers::serve)

use course_workers::serve::serve;
use std::process::ExitCode;

/// The most steps a chunk may take: a billion, 33 times the chapter's largest chunk and a
/// couple of seconds of work. A worker cannot be interrupted mid-chunk, so a bound with three
/// zeros too many would otherwise hold it, and the pool waiting for it, for minutes.
const MAX_STEPS: f64 = 1e9;

/// 2^53: up to this size every whole number is an `f64` and `pos += 1.0` always moves `pos`;
/// beyond it, adding 1 can round back to the same number, and the count never ends.
const LARGEST_EXACT: f64 = 9_007_199_254_740_992.0;

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

/// START and END, read and checked where they arrive: numbers, finite, within ±2^53 and at
/// most a billion steps apart, so that the count ends, and soon.
fn chunk(args: &[&str]) -> Result<(f64, f64), String> {
    let [start, end] = args else {
        return Err(format!(
            "usage: do_math START END (two numbers), got {args:?}"
        ));
    };
    let number = |s: &str| s.parse::<f64>().map_err(|_| format!("not a number: {s:?}"));
    let (start, end) = (number(start)?, number(end)?);
    if !(start.abs() <= LARGEST_EXACT && end.abs() <= LARGEST_EXACT) {
        return Err(format!(
            "START and END must be finite and within ±2^53, got {start} and {end}"
        ));
    }
    if end - start > MAX_STEPS {
        return Err(format!(
            "at most {MAX_STEPS:e} steps per chunk, got {start} to {end}"
        ));
    }
    Ok((start, end))
}

/// One chunk: `"{process id} {int(average)}"`, or why the arguments were refused.
fn task(args: &[&str]) -> Result<String, String> {
    let (start, end) = chunk(args)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_course_results_for_two_chunks() {
        assert_eq!(do_math(0.0, 15e6), 6566667);
        assert_eq!(do_math(15e6, 30e6), 10750000);
    }

    #[test]
    fn ranges_that_would_not_end_soon_are_refused() {
        for args in [
            ["-inf", "0"],
            ["0", "inf"],
            ["NaN", "1"],
            ["0", "1e17"],
            ["9007199254740992", "9007199254740994"],
            ["0", "2e9"],
            ["-1e9", "1"],
            ["ten", "20"],
        ] {
            assert!(chunk(&args).is_err(), "{args:?} was accepted");
        }
        assert!(chunk(&["0"]).unwrap_err().starts_with("usage"));
        assert_eq!(chunk(&["0", "1e9"]), Ok((0.0, 1e9)));
        assert_eq!(chunk(&["5", "-5"]), Ok((5.0, -5.0))); // nothing to do
        assert_eq!(
            chunk(&["-9007199254740992", "-9007199254740000"]).map(|_| ()),
            Ok(())
        );
    }
}
