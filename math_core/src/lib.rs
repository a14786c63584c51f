//! Chapter 09's native module: the Rust counterpart of the course's Cython modules.
//!
//! The course built `greeter.pyx` and `math_core.pyx` into shared libraries that Python imports.
//! Here the notebook loads this crate with `:dep math_core = { path = "../math_core" }`; cargo
//! builds it (and its C file, with the system C compiler) once, and the cell calls it like any
//! Rust code. [`greeting`] says where it was built from; [`do_math_c`] is the course's
//! `do_math` in C, called through the foreign function interface.

/// The C source of [`do_math_c`], so a notebook can show it.
pub const C_SOURCE: &str = include_str!("../c/do_math.c");

/// The C compiler cargo's `cc` crate used for [`C_SOURCE`], and its flags.
pub const C_COMPILER: &str = env!("MATH_CORE_CC");

/// The flags [`C_COMPILER`] was given (optimisation level included).
pub const C_FLAGS: &str = env!("MATH_CORE_CFLAGS");

/// This file's source, so the notebook can show the `extern "C"` block below (between its
/// `ffi:` markers) beside the C it declares.
pub const RUST_SOURCE: &str = include_str!("lib.rs");

// ffi: begin
unsafe extern "C" {
    /// `c/do_math.c`: two doubles in, nothing out. Declared `safe`: it takes its arguments by
    /// value, touches no memory but its own locals, and ends for every input, so no call can
    /// break Rust's rules, and callers need no `unsafe` block.
    pub safe fn math_core_do_math(start: f64, num: f64);
}
// ffi: end

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

/// The course's `do_math` in C: counts from `start` to `num`, one square root per step. Any
/// numbers are accepted; when `num <= start` it returns at once, and a NaN bound ends it at once
/// too (every comparison with NaN is false).
///
/// ```
/// let started = std::time::Instant::now();
/// math_core::do_math_c(0.0, 1_000_000.0);
/// assert!(started.elapsed().as_secs_f64() < 5.0);
/// math_core::do_math_c(10.0, 0.0); // nothing to do
/// ```
pub fn do_math_c(start: f64, num: f64) {
    // A plain Rust `fn(f64, f64)`, the type of the notebook's Rust do_math.
    math_core_do_math(start, num);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_nan_ranges_return_at_once() {
        do_math_c(5.0, 5.0);
        do_math_c(10.0, 0.0);
        do_math_c(0.0, f64::NAN);
        do_math_c(f64::NAN, 10.0);
    }

    #[test]
    fn the_source_and_compiler_are_known() {
        assert!(C_SOURCE.contains("math_core_do_math"));
        assert!(!C_COMPILER.is_empty());
        assert!(greeting("x").contains(C_COMPILER));
    }
}
