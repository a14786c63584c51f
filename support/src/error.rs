//! The one error type of the crate.

use std::fmt;

/// Everything that can go wrong in `support`, with a message that says what to change.
///
/// Every public function that takes a reader's argument checks it and returns one of these
/// instead of panicking, so a typo in a notebook cell gives a readable error, not a backtrace.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// An argument was out of range or inconsistent; the text says which and why.
    InvalidInput(String),
    /// A list that must hold at least one element was empty.
    Empty(&'static str),
    /// A number that must be finite was NaN or infinite.
    NotFinite(&'static str),
    /// Drawing a chart failed inside plotters.
    Chart(String),
    /// The operating system refused something (reading CPU counters, building a runtime).
    System(String),
    /// Something optional is not on this machine (a Python interpreter, uvloop); the text says
    /// what was tried and how to get it.
    Unavailable(String),
    /// One or more claims checked by [`crate::claims::Claims`] did not hold.
    ClaimFailed(String),
    /// The work a cell handed to `support` failed with its own error (a future run by
    /// [`crate::rt::run`], a run of a [`crate::bench::Bench`]); the text is that error's.
    Failed(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidInput(why) => write!(f, "invalid input: {why}"),
            Error::Empty(what) => write!(f, "{what} is empty: give at least one element"),
            Error::NotFinite(what) => {
                write!(f, "{what} must be a finite number (got NaN or infinity)")
            }
            Error::Chart(why) => write!(f, "could not draw the chart: {why}"),
            Error::System(why) => write!(f, "system error: {why}"),
            Error::Unavailable(why) => write!(f, "not available: {why}"),
            Error::ClaimFailed(why) => write!(f, "a claim did not hold on this machine:\n{why}"),
            Error::Failed(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for Error {}

/// An operating-system error: "not available" where the system lacks the counter
/// ([`std::io::ErrorKind::Unsupported`]), a system error otherwise.
impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Error {
        if err.kind() == std::io::ErrorKind::Unsupported {
            Error::Unavailable(err.to_string())
        } else {
            Error::System(err.to_string())
        }
    }
}

/// Shorthand used by every fallible function in the crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Any error, boxed: the error type for functions a cell defines, so that `?` works on every
/// error they meet (I/O, HTTP, a join, `support`'s own) without `.map_err(..)`.
///
/// ```
/// use support::error::BoxError;
/// fn parse_and_double(text: &str) -> Result<i64, BoxError> {
///     let n: i64 = text.trim().parse()?;        // a ParseIntError
///     let file = std::env::temp_dir();          // (anything else that fails would do too)
///     assert!(file.is_absolute());
///     Ok(2 * n)
/// }
/// assert_eq!(parse_and_double(" 21 ").unwrap(), 42);
/// assert!(parse_and_double("seven").is_err());
/// ```
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Checks that `value` is finite; `what` names it in the error.
pub(crate) fn finite(value: f64, what: &'static str) -> Result<f64> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(Error::NotFinite(what))
    }
}

/// Checks that a worker or thread count is at least one.
pub(crate) fn workers(count: usize) -> Result<usize> {
    if count == 0 {
        Err(Error::InvalidInput(
            "the number of workers must be at least 1".into(),
        ))
    } else {
        Ok(count)
    }
}
