//! Chapter 09's native module: the Rust counterpart of the course's Cython modules.
//!
//! The course built `greeter.pyx` and `math_core.pyx` into shared libraries that Python imports.
//! Here the notebook loads this crate with `:dep math_core = { path = "../math_core" }`; cargo
//! builds it (and its C file, with the system C compiler, by `build.rs`) once, and the cell calls
//! it like any Rust code. [`greeting`] says where it was built from; [`do_math_c`] is the course's
//! `do_math` in C, called through the foreign function interface.
//!
//! The C function itself is private: every call goes through [`do_math_c`], which refuses
//! ranges that would never end (see [`check_range`]), so no caller can skip the check:
//!
//! ```compile_fail,E0603
//! math_core::math_core_do_math(0.0, f64::INFINITY);
//! ```
//!
//! ```
//! math_core::do_math_c(0.0, 1_000.0);
//! ```

use std::fmt;

/// The C source of [`do_math_c`], so a notebook can show it.
pub const C_SOURCE: &str = include_str!("../c/do_math.c");

/// The build script that compiles [`C_SOURCE`]: this crate's counterpart of the course's
/// `setup.py`.
pub const BUILD_SOURCE: &str = include_str!("../build.rs");

/// The C compiler cargo's `cc` crate used for [`C_SOURCE`].
pub const C_COMPILER: &str = env!("MATH_CORE_CC");

/// The flags [`C_COMPILER`] was given (optimisation level included).
pub const C_FLAGS: &str = env!("MATH_CORE_CFLAGS");

/// This file's source, so the notebook can show the declaration of the C function and its
/// wrapper (between the `ffi:` markers below).
pub const RUST_SOURCE: &str = include_str!("lib.rs");

/// The most steps [`do_math_c`] agrees to take: a billion, 33 times the chapter's largest run
/// and a few seconds of work. A thread running C cannot be interrupted, so a typo (a bound with
/// three zeros too many) would otherwise hold the reader's kernel for minutes.
pub const MAX_STEPS: f64 = 1e9;

/// 2^53: up to this magnitude every whole number is an `f64`, and `pos += 1.0` always moves
/// `pos`; beyond it, adding 1 can round back to the same value, and the count stops.
pub const LARGEST_EXACT: f64 = 9_007_199_254_740_992.0;

// ffi: begin
unsafe extern "C" {
    /// `c/do_math.c`: two doubles in, nothing out. Declared `safe`, so a call needs no
    /// `unsafe` block: the function takes its arguments by value, touches no memory but its
    /// own locals, and every call is defined behaviour, even one that never ends (a bound of
    /// infinity), because each step writes a `volatile` (see the C file). Private, so that
    /// every caller goes through `do_math_c` and its check.
    safe fn math_core_do_math(start: f64, num: f64);
}

/// The course's `do_math` in C: counts from `start` to `num`, one square root per step.
/// Refuses (panics, before any C runs) a range [`check_range`] refuses: one that would
/// never end, or not for minutes.
pub fn do_math_c(start: f64, num: f64) {
    if let Err(refused) = check_range(start, num) {
        panic!("{refused}");
    }
    math_core_do_math(start, num); // no `unsafe` block: the declaration is `safe`
}
// ffi: end

/// Why [`check_range`] refused a range.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeError {
    /// The range's start.
    pub start: f64,
    /// The range's end.
    pub num: f64,
    /// Why it was refused.
    pub reason: &'static str,
}

impl fmt::Display for RangeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "do_math_c refuses {} to {}: {}",
            self.start, self.num, self.reason
        )
    }
}

impl std::error::Error for RangeError {}

/// Whether [`do_math_c`] takes the range `start` to `num`: both bounds finite, within
/// ±[`LARGEST_EXACT`] (2^53), and at most [`MAX_STEPS`] apart. Such a count ends after about
/// `num - start` steps at most; an empty range (`num <= start`) ends at once.
///
/// ```
/// use math_core::check_range;
/// assert!(check_range(0.0, 30_000_000.0).is_ok());
/// assert!(check_range(10.0, 0.0).is_ok()); // nothing to do
/// assert!(check_range(0.0, f64::INFINITY).is_err()); // never ends
/// assert!(check_range(1e17, 1e17 + 16.0).is_err()); // pos += 1.0 leaves 1e17 unchanged
/// assert!(check_range(0.0, 1e12).is_err()); // hours of work
/// ```
pub fn check_range(start: f64, num: f64) -> Result<(), RangeError> {
    let refuse = |reason| Err(RangeError { start, num, reason });
    if !start.is_finite() || !num.is_finite() {
        return refuse("a bound is infinite or NaN, so the count would never reach it");
    }
    if start.abs() > LARGEST_EXACT || num.abs() > LARGEST_EXACT {
        return refuse("a bound is beyond 2^53, where pos += 1 can leave pos unchanged");
    }
    if num - start > MAX_STEPS {
        return refuse("more than a billion steps, minutes of work no cell could interrupt");
    }
    Ok(())
}

/// The course's `greet`: a hello, and where this module's code was built from.
///
/// ```
/// let text = math_core::greeting("Sarah");
/// assert!(text.starts_with("Hello Sarah"));
/// assert!(text.contains("math_core"));
/// ```
pub fn greeting(name: &str) -> String {
    // `file!()` is relative to the workspace when this crate is built as a member of it, and
    // absolute when it is built as a path dependency of a notebook.
    let file = std::path::Path::new(file!());
    let source = if file.is_absolute() {
        file.to_path_buf()
    } else {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")
    };
    format!(
        "Hello {name}\n ** Running from {} (crate {} {}, C compiled by {}) **",
        source.display(),
        env!("CARGO_PKG_NAME"),
        env!("CARGO_PKG_VERSION"),
        C_COMPILER,
    )
}

/// Prints [`greeting`].
pub fn greet(name: &str) {
    println!("{}", greeting(name));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    /// Calls `do_math_c(start, num)` on a thread of its own and waits up to `limit` for it to
    /// return (`Some(Ok)`) or panic (`Some(Err(message))`); `None` if it was still running.
    fn outcome_within(start: f64, num: f64, limit: Duration) -> Option<Result<(), String>> {
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            let outcome = std::panic::catch_unwind(|| do_math_c(start, num))
                .map_err(|panic| panic.downcast_ref::<String>().cloned().unwrap_or_default());
            let _ = sender.send(outcome);
        });
        receiver.recv_timeout(limit).ok()
    }

    #[test]
    fn ranges_that_would_not_end_are_refused_at_once() {
        for (start, num) in [
            (0.0, f64::INFINITY),
            (f64::NEG_INFINITY, 0.0),
            (0.0, 1e17),
            (1e17, 1e17 + 16.0),
            (0.0, 1e12),
            (f64::NAN, 10.0),
        ] {
            let outcome = outcome_within(start, num, Duration::from_secs(5));
            match outcome {
                Some(Err(message)) => assert!(message.contains("refuses"), "{message}"),
                Some(Ok(())) => panic!("do_math_c({start}, {num}) returned: it should refuse"),
                None => panic!("do_math_c({start}, {num}) was still running after 5 s"),
            }
        }
    }

    #[test]
    fn the_bounds_of_the_check() {
        assert!(check_range(0.0, MAX_STEPS).is_ok());
        assert!(check_range(0.0, MAX_STEPS + 1.0).is_err());
        assert!(check_range(LARGEST_EXACT - 10.0, LARGEST_EXACT).is_ok());
        assert!(check_range(-LARGEST_EXACT, -LARGEST_EXACT + 10.0).is_ok());
        assert!(check_range(LARGEST_EXACT, LARGEST_EXACT + 2.0).is_err());
        let refused = check_range(0.0, f64::INFINITY).unwrap_err();
        assert!(refused.to_string().contains("infinite"), "{refused}");
    }

    #[test]
    fn empty_ranges_return_at_once() {
        let started = Instant::now();
        for (start, num) in [(5.0, 5.0), (10.0, 0.0), (1e15, -1e15)] {
            do_math_c(start, num);
        }
        assert!(
            started.elapsed() < Duration::from_millis(50),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn ten_million_steps_take_measurable_time() {
        // Ten million steps take milliseconds on any machine; a loop the C compiler had
        // deleted would take microseconds.
        let started = Instant::now();
        do_math_c(0.0, 10_000_000.0);
        assert!(
            started.elapsed() > Duration::from_millis(1),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn the_source_and_compiler_are_known() {
        assert!(C_SOURCE.contains("math_core_do_math"));
        assert!(BUILD_SOURCE.contains("cc::Build"));
        assert!(!C_COMPILER.is_empty());
        assert!(greeting("x").contains(C_COMPILER));
        let ffi = RUST_SOURCE
            .split("// ffi: begin")
            .nth(1)
            .and_then(|rest| rest.split("// ffi: end").next())
            .unwrap_or_default();
        assert!(ffi.contains("    safe fn math_core_do_math") && ffi.contains("pub fn do_math_c"));
    }
}
