//! Checkers for the exercises of chapter 01, "Why async".

use super::{Check, attempt, judge};
use crate::solutions::ch01 as reference;
use std::ops::Range;

const SOLUTIONS: &str = "support/src/solutions/ch01.rs";
const FRACTIONS: [f64; 5] = [0.0, 0.25, 0.5, 0.9, 1.0];
const WORKERS: [usize; 5] = [1, 2, 3, 8, 64];

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

/// Exercise 01.1: checks a `gustafson(parallel_fraction, workers)` function against Gustafson's
/// law on a grid of fractions and worker counts.
///
/// ```
/// let check = support::exercises::ch01::check_gustafson(|p, n| (1.0 - p) + p * n as f64);
/// assert!(check.passed());
/// ```
pub fn check_gustafson(gustafson: impl Fn(f64, usize) -> f64) -> Check {
    let result = attempt(|| {
        for p in FRACTIONS {
            for n in WORKERS {
                let (got, want) = (gustafson(p, n), reference::gustafson(p, n));
                if !close(got, want) {
                    return Err(format!(
                        "gustafson({p}, {n}) returned {got}, expected {want}"
                    ));
                }
            }
        }
        Ok(format!("{} cases", FRACTIONS.len() * WORKERS.len()))
    });
    judge("01.1 Gustafson's law", SOLUTIONS, result)
}

/// Exercise 01.2: checks a `karp_flatt(speedup, workers)` function (the serial fraction implied
/// by a measured speed-up) on speed-ups generated from Amdahl's law, on whole numbers of workers
/// and on fractional ones (the cores' worth a busy machine delivered).
///
/// ```
/// let check = support::exercises::ch01::check_karp_flatt(|s, n| (1.0 / s - 1.0 / n) / (1.0 - 1.0 / n));
/// assert!(check.passed());
/// ```
pub fn check_karp_flatt(karp_flatt: impl Fn(f64, f64) -> f64) -> Check {
    let result = attempt(|| {
        for p in FRACTIONS {
            for n in WORKERS
                .into_iter()
                .filter(|&n| n > 1)
                .map(|n| n as f64)
                .chain([1.8])
            {
                let speedup = 1.0 / ((1.0 - p) + p / n);
                let got = karp_flatt(speedup, n);
                if (got - (1.0 - p)).abs() > 1e-9 {
                    return Err(format!(
                        "karp_flatt({speedup:.4}, {n}) returned {got}, expected a serial fraction of {}",
                        1.0 - p
                    ));
                }
            }
        }
        Ok("serial fractions recovered from 25 speed-ups".to_string())
    });
    judge("01.2 The Karp–Flatt metric", SOLUTIONS, result)
}

/// Exercise 01.3: checks a `split(total, parts)` function that cuts `0..total` into `parts`
/// contiguous ranges whose lengths differ by at most one.
///
/// ```
/// let check = support::exercises::ch01::check_split(support::solutions::ch01::split);
/// assert!(check.passed());
/// ```
pub fn check_split(split: impl Fn(u64, usize) -> Vec<Range<u64>>) -> Check {
    let result = attempt(|| {
        for total in [0u64, 1, 7, 10, 1000, 30_000_000] {
            for parts in [1usize, 2, 3, 4, 12] {
                let ranges = split(total, parts);
                let call = format!("split({total}, {parts})");
                if ranges.len() != parts {
                    return Err(format!(
                        "{call} gave {} ranges, expected {parts}",
                        ranges.len()
                    ));
                }
                let mut next = 0;
                for r in &ranges {
                    if r.start != next || r.end < r.start {
                        return Err(format!(
                            "{call}: the ranges must be contiguous and start at 0, got {ranges:?}"
                        ));
                    }
                    next = r.end;
                }
                if next != total {
                    return Err(format!("{call}: the ranges end at {next}, not at {total}"));
                }
                let sizes = ranges.iter().map(|r| r.end - r.start);
                let (lo, hi) = (sizes.clone().min().unwrap_or(0), sizes.max().unwrap_or(0));
                if hi - lo > 1 {
                    return Err(format!(
                        "{call}: range lengths go from {lo} to {hi}; they may differ by at most 1"
                    ));
                }
            }
        }
        Ok("30 splits, contiguous and balanced".to_string())
    });
    judge("01.3 Splitting work evenly", SOLUTIONS, result)
}

#[cfg(test)]
mod tests {
    use super::super::Outcome;
    use super::*;

    #[test]
    fn todo_means_not_attempted() {
        let check = check_gustafson(|_, _| todo!());
        assert_eq!(check.outcome, Outcome::NotAttempted);
        assert!(check.to_text().contains("not attempted"));
    }

    #[test]
    fn a_wrong_answer_names_the_case() {
        // Amdahl instead of Gustafson: a classic mix-up.
        let check = check_gustafson(|p, n| 1.0 / ((1.0 - p) + p / n as f64));
        assert!(matches!(&check.outcome, Outcome::Wrong(why) if why.contains("expected")));
    }

    #[test]
    fn other_panics_are_reported() {
        let check = check_split(|_, _| panic!("index out of bounds"));
        assert!(
            matches!(&check.outcome, Outcome::Wrong(why) if why.contains("index out of bounds"))
        );
    }

    #[test]
    fn unbalanced_split_is_wrong() {
        let check = check_split(|total, parts| {
            let mut v: Vec<Range<u64>> = (0..parts).map(|_| 0..0).collect();
            v[parts - 1] = 0..total;
            v
        });
        assert!(!check.passed());
    }

    #[test]
    fn reference_solutions_pass() {
        assert!(check_gustafson(reference::gustafson).passed());
        assert!(check_karp_flatt(reference::karp_flatt).passed());
        assert!(check_split(reference::split).passed());
    }
}
