//! Checkers for the exercises of chapter 05, "Multi-process parallelism".

use super::{Check, attempt, judge};
use crate::process::{Worker, child_processes};
use std::io;
use std::path::Path;

const SOLUTIONS: &str = "support/src/solutions/ch05.rs";

/// The results the course's program printed for 2 and 4 chunks of 30,000,000 steps.
const PUBLISHED: [(usize, &[i64]); 2] = [
    (2, &[6566667, 10750000]),
    (4, &[2883333, 5125000, 5916666, 6312500]),
];

/// Exercise 05.1: checks `run_workers(worker, chunks)`, which must have the `do_math` worker
/// compute every chunk (the exercise: one worker started with `--serve`, fed by hand) and return
/// the results in chunk order, leaving no process behind. It is run with the course's 2 and 4
/// chunks of 30,000,000 steps and compared with the published results.
///
/// ```
/// let check = support::exercises::ch05::check_run_workers(support::solutions::ch05::run_workers);
/// assert!(check.passed());
/// ```
pub fn check_run_workers(
    run_workers: impl Fn(&Path, &[(f64, f64)]) -> io::Result<Vec<i64>>,
) -> Check {
    let result = attempt(|| {
        let worker = Worker::build("do_math").map_err(|e| e.to_string())?;
        let before = child_processes().ok();
        for (parts, published) in PUBLISHED {
            let chunks: Vec<(f64, f64)> = (1..=parts)
                .map(|n| {
                    let p = parts as f64;
                    (30e6 * (n as f64 - 1.0) / p, 30e6 * n as f64 / p)
                })
                .collect();
            let got = run_workers(worker.path(), &chunks)
                .map_err(|e| format!("with {parts} chunks it returned an error: {e}"))?;
            if got != published {
                return Err(format!(
                    "with {parts} chunks the results were {got:?}, the course's were {published:?}"
                ));
            }
        }
        if let (Some(before), Ok(after)) = (before, child_processes())
            && after > before
        {
            return Err(format!(
                "{} worker process(es) were left behind: wait for every child",
                after - before
            ));
        }
        Ok("2 and 4 chunks match the course's results; no process left".to_string())
    });
    judge("05.1 Feed one serving worker by hand", SOLUTIONS, result)
}

/// Exercise 05.2: checks `parse_result(line)`, which must read a worker's `"PID RESULT"` line
/// into its two numbers and return an error (not panic) for anything else.
///
/// ```
/// let check = support::exercises::ch05::check_parse_result(support::solutions::ch05::parse_result);
/// assert!(check.passed());
/// ```
pub fn check_parse_result(parse_result: impl Fn(&str) -> Result<(u32, i64), String>) -> Check {
    let result = attempt(|| {
        let good = [
            ("4242 6566667\n", (4242, 6566667)),
            ("7 -3", (7, -3)),
            ("1 0\r\n", (1, 0)),
        ];
        for (line, want) in good {
            match parse_result(line) {
                Ok(got) if got == want => {}
                other => {
                    return Err(format!(
                        "parse_result({line:?}) gave {other:?}, expected Ok({want:?})"
                    ));
                }
            }
        }
        for line in [
            "",
            "4242",
            "4242 six",
            "-1 5",
            "12 3.5",
            "usage: do_math START END",
        ] {
            if let Ok(got) = parse_result(line) {
                return Err(format!(
                    "parse_result({line:?}) gave Ok({got:?}); it should be an error"
                ));
            }
        }
        Ok("3 good lines read, 6 bad ones refused".to_string())
    });
    judge("05.2 Read what a worker sent back", SOLUTIONS, result)
}

#[cfg(test)]
mod tests {
    use super::super::Outcome;
    use super::*;
    use crate::solutions::ch05 as reference;

    #[test]
    fn todo_means_not_attempted() {
        let _processes = crate::process_test_lock();
        assert_eq!(
            check_run_workers(|_, _| todo!()).outcome,
            Outcome::NotAttempted
        );
        assert_eq!(
            check_parse_result(|_| todo!()).outcome,
            Outcome::NotAttempted
        );
    }

    #[test]
    fn reference_solutions_pass() {
        let _processes = crate::process_test_lock();
        let check = check_run_workers(reference::run_workers);
        assert!(check.passed(), "{}", check.to_text());
        let check = check_parse_result(reference::parse_result);
        assert!(check.passed(), "{}", check.to_text());
    }

    #[test]
    fn a_panicking_parser_is_reported() {
        let check = check_parse_result(|line| {
            let (a, b) = line.trim().split_once(' ').unwrap();
            Ok((a.parse().unwrap(), b.parse().unwrap()))
        });
        assert!(matches!(&check.outcome, Outcome::Wrong(why) if why.contains("panicked")));
    }

    #[test]
    fn results_in_the_wrong_order_are_wrong() {
        let _processes = crate::process_test_lock();
        let check = check_run_workers(|worker, chunks| {
            let mut out = reference::run_workers(worker, chunks)?;
            out.reverse();
            Ok(out)
        });
        assert!(matches!(&check.outcome, Outcome::Wrong(why) if why.contains("course's")));
    }
}
