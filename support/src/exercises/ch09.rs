//! Checkers for the exercises of chapter 09, "Native parallelism".

use super::{Check, attempt, judge};
use crate::solutions::ch09 as reference;

const SOLUTIONS: &str = "support/src/solutions/ch09.rs";

/// Exercise 09.1: checks `do_math_sum(start, num)`, which must return the sum of the square
/// roots `do_math` takes between `start` and `num`, on ranges from empty to three million steps.
///
/// ```
/// let check = support::exercises::ch09::check_do_math_sum(support::solutions::ch09::do_math_sum);
/// assert!(check.passed());
/// ```
pub fn check_do_math_sum(do_math_sum: impl Fn(f64, f64) -> f64) -> Check {
    let result = attempt(|| {
        let cases = [
            (0.0, 10.0),
            (5.0, 5.0),
            (10.0, 0.0),
            (999_990.0, 1_000_010.0),
            (0.0, 3_000_000.0),
        ];
        for (start, num) in cases {
            let (got, want) = (do_math_sum(start, num), reference::do_math_sum(start, num));
            if (got - want).abs() > 1e-9 * want.abs().max(1.0) {
                return Err(format!(
                    "do_math_sum({start}, {num}) returned {got}, expected {want}"
                ));
            }
        }
        Ok(format!("{} ranges, up to 3,000,000 steps", cases.len()))
    });
    judge("09.1 Keep the work by using it", SOLUTIONS, result)
}

/// Exercise 09.2: checks `first_stuck_f32()`, which must return the smallest positive `f32`
/// `x` with `x + 1.0 == x`.
///
/// ```
/// let check = support::exercises::ch09::check_first_stuck_f32(
///     support::solutions::ch09::first_stuck_f32);
/// assert!(check.passed());
/// ```
pub fn check_first_stuck_f32(first_stuck_f32: impl Fn() -> f32) -> Check {
    let result = attempt(|| {
        let got = first_stuck_f32();
        let want = reference::first_stuck_f32();
        if got.to_bits() == want.to_bits() {
            Ok(format!("{got} = 2^24"))
        } else if got + 1.0 != got {
            Err(format!(
                "{got} + 1.0 is {}, so {got} is not stuck yet",
                got + 1.0
            ))
        } else {
            Err(format!(
                "{got} is stuck, but a smaller positive f32 already is"
            ))
        }
    });
    judge("09.2 Where f32 stops counting", SOLUTIONS, result)
}

#[cfg(test)]
mod tests {
    use super::super::Outcome;
    use super::*;

    #[test]
    fn todo_means_not_attempted() {
        assert_eq!(
            check_do_math_sum(|_, _| todo!()).outcome,
            Outcome::NotAttempted
        );
        assert_eq!(
            check_first_stuck_f32(|| todo!()).outcome,
            Outcome::NotAttempted
        );
    }

    #[test]
    fn reference_solutions_pass() {
        let check = check_do_math_sum(reference::do_math_sum);
        assert!(check.passed(), "{}", check.to_text());
        let check = check_first_stuck_f32(reference::first_stuck_f32);
        assert!(check.passed(), "{}", check.to_text());
        assert_eq!(reference::first_stuck_f32(), 16_777_216.0);
    }

    #[test]
    fn an_off_by_one_range_is_wrong() {
        let check = check_do_math_sum(|start, num| {
            let mut pos = start;
            let mut sum = 0.0;
            while pos < num {
                sum += ((pos - 1e6) * (pos - 1e6)).sqrt(); // root before the step
                pos += 1.0;
            }
            sum
        });
        assert!(
            matches!(&check.outcome, Outcome::Wrong(why) if why.contains("expected")),
            "{}",
            check.to_text()
        );
    }

    #[test]
    fn wrong_stuck_values_are_explained() {
        let check = check_first_stuck_f32(|| 1_000.0);
        assert!(matches!(&check.outcome, Outcome::Wrong(why) if why.contains("not stuck")));
        let check = check_first_stuck_f32(|| 2f32.powi(30));
        assert!(matches!(&check.outcome, Outcome::Wrong(why) if why.contains("smaller")));
    }
}
