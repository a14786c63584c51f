//! Checkers for the exercises at the end of each chapter.
//!
//! An exercise cell defines a function whose body is `todo!()`, then passes it to a checker
//! here. The checker runs it on a grid of inputs and shows one line: not attempted yet, correct,
//! or the first input where the answer differs. It never fails the cell, so a notebook with
//! unsolved exercises still runs top to bottom; the tested reference solutions live in
//! [`crate::solutions`].

pub mod ch01;
#[cfg(feature = "web")]
pub mod ch02;
pub mod ch03;
pub mod ch04;
pub mod ch05;
#[cfg(feature = "web")]
pub mod ch06;
#[cfg(feature = "web")]
pub mod ch07;
#[cfg(feature = "web")]
pub mod ch08;
pub mod ch09;
pub mod ch10;
pub mod ch11;

use crate::table::emit;
use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;

/// Where an attempt stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The function still calls `todo!()`.
    NotAttempted,
    /// Every case matched; the text says what was checked.
    Correct(String),
    /// A case differed or the code panicked; the text says which and how.
    Wrong(String),
}

/// The result of checking one exercise; a cell ending with it shows one line.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// The exercise's name, e.g. "01.1 Gustafson's law".
    pub exercise: &'static str,
    /// Where the attempt stands.
    pub outcome: Outcome,
    /// Where the reference solution is.
    pub solution: &'static str,
}

impl Check {
    /// Whether the attempt was correct.
    pub fn passed(&self) -> bool {
        matches!(self.outcome, Outcome::Correct(_))
    }

    /// One line of plain text.
    pub fn to_text(&self) -> String {
        match &self.outcome {
            Outcome::NotAttempted => format!(
                "… {}: not attempted yet. Replace todo!() with your code and run the cell again \
                 (a solution: {}).",
                self.exercise, self.solution
            ),
            Outcome::Correct(what) => format!("✔ {}: correct ({what}).", self.exercise),
            Outcome::Wrong(why) => format!("✘ {}: {why}", self.exercise),
        }
    }

    /// Shows the line under the cell.
    pub fn evcxr_display(&self) {
        let text = self.to_text();
        let html = format!("<p>{}</p>", crate::table::escape(&text));
        emit("text/html", &html, &text);
    }
}

thread_local! {
    /// Whether a panic on this thread is expected (a `todo!()`, or a checker's deliberate one)
    /// and should not be reported on stderr.
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Marks the current thread's panics as expected, for a thread a checker starts and means to
/// panic in (to poison a lock, or to give up on a deadlock).
pub(crate) fn quiet_thread() {
    QUIET.with(|q| q.set(true));
}

/// Runs a learner's code, turning a panic into an `Err` with its message. Panics on this thread
/// are not reported on stderr while it runs (a `todo!()` is expected here, not an error); panics
/// on other threads still are, so a failing test elsewhere keeps its message.
pub(crate) fn attempt<T>(code: impl FnOnce() -> T) -> Result<T, String> {
    let previous = Arc::new(panic::take_hook());
    let forward = Arc::clone(&previous);
    panic::set_hook(Box::new(move |info| {
        if !QUIET.with(|q| q.get()) {
            forward(info);
        }
    }));
    let was_quiet = QUIET.with(|q| q.replace(true));
    let result = panic::catch_unwind(AssertUnwindSafe(code));
    QUIET.with(|q| q.set(was_quiet));
    // Put the previous hook back. If another attempt installed its hook meanwhile, ours is
    // wrapped in its; the previous one is then shared, and is reinstalled behind an `Arc`.
    drop(panic::take_hook());
    match Arc::try_unwrap(previous) {
        Ok(hook) => panic::set_hook(hook),
        Err(shared) => panic::set_hook(Box::new(move |info| shared(info))),
    }
    result.map_err(|payload| panic_message(payload.as_ref()))
}

/// The message a panic carried (`panic!` with a literal or with a format), if any.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

/// Turns the outcome of an attempt into a [`Check`]: a `todo!()` panic means not attempted.
pub(crate) fn judge(
    exercise: &'static str,
    solution: &'static str,
    result: Result<Result<String, String>, String>,
) -> Check {
    let outcome = match result {
        Err(message) if message.starts_with("not yet implemented") => Outcome::NotAttempted,
        Err(message) => Outcome::Wrong(format!("your code panicked: {message}")),
        Ok(Ok(what)) => Outcome::Correct(what),
        Ok(Err(why)) => Outcome::Wrong(why),
    };
    Check {
        exercise,
        outcome,
        solution,
    }
}
