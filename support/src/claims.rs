//! Quantitative claims of the prose, checked against this run's measurements.
//!
//! A chapter never says "async cuts latency 30×" without a cell that measures it. A claim cell
//! builds a [`Claims`] list, each claim with the evidence (the numbers measured) and its
//! verdict, and ends with `.assert_all()`: the table shows under the cell, and when a claim
//! does not hold the same table shows with its ✘ rows marked, followed by one line of error,
//! and the cell fails.
//!
//! A claim has three possible verdicts ([`Verdict`]):
//!
//! - **✔** it holds; **✘** it does not;
//! - **– not judged**, for one of two reasons ([`Reason`]), never inferred from the quantity
//!   being claimed: other programs competed with its measurements ([`Reason::Busy`], see
//!   [`crate::share`] and [`crate::bench`]), or what it needs cannot be measured here
//!   ([`Reason::Unavailable`]: a count the system does not give, a tool that is not installed).
//!   A claim on disturbed measurements is not judged whether it came out true or false: no ✔
//!   rests on a disturbed run.
//!
//! A claim cell should define nothing a later cell needs (wrap it in `{ … }`), so that a failed
//! claim never breaks the cells after it.

use crate::error::{Error, Result};
use crate::share::Disturbance;
use crate::table::{Table, emit};

/// The mark of a claim that could not be judged, in the table and its text (the test harness
/// looks for it).
pub const NOT_JUDGED: &str = "not judged";

/// Why a claim could not be judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Other programs competed with its measurements (independent evidence: their CPU time,
    /// steal time, a shared quota, or a ceiling too low). Measuring again may settle it.
    Busy,
    /// What it needs cannot be measured here: a count the system does not give, a tool that
    /// is not installed. Measuring again changes nothing.
    Unavailable,
}

impl Reason {
    /// The word in the table's mark: "busy" or "unavailable".
    pub fn word(self) -> &'static str {
        match self {
            Reason::Busy => "busy",
            Reason::Unavailable => "unavailable",
        }
    }
}

/// A claim's verdict.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// The measurement supports the statement.
    Holds,
    /// It does not.
    Fails,
    /// It could not be judged, for this reason, explained.
    NotJudged(Reason, String),
}

impl From<bool> for Verdict {
    fn from(holds: bool) -> Verdict {
        if holds {
            Verdict::Holds
        } else {
            Verdict::Fails
        }
    }
}

impl Verdict {
    /// Not judged because something is not available here, with what.
    pub fn unavailable(why: impl Into<String>) -> Verdict {
        Verdict::NotJudged(Reason::Unavailable, why.into())
    }

    /// Both verdicts together, for a claim resting on two checks: ✘ if either failed, else
    /// *not judged* if either was, else ✔.
    ///
    /// ```
    /// use support::claims::Verdict;
    /// assert_eq!(Verdict::Holds.and(true), Verdict::Holds);
    /// assert_eq!(Verdict::unavailable("no /proc").and(false), Verdict::Fails);
    /// assert!(matches!(Verdict::Holds.and(Verdict::unavailable("no /proc")), Verdict::NotJudged(..)));
    /// ```
    pub fn and(self, other: impl Into<Verdict>) -> Verdict {
        match (self, other.into()) {
            (Verdict::Fails, _) | (_, Verdict::Fails) => Verdict::Fails,
            (n @ Verdict::NotJudged(..), _) | (_, n @ Verdict::NotJudged(..)) => n,
            _ => Verdict::Holds,
        }
    }
}

/// One statement, the numbers behind it, and its verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    /// What the prose says, e.g. "async answers request 3 at least 2.5× sooner".
    pub statement: String,
    /// What was measured, e.g. "0.83 s → 0.21 s (3.9×)".
    pub evidence: String,
    /// Whether the measurement supports the statement, or why it could not be judged.
    pub verdict: Verdict,
}

/// A list of claims shown as a table.
///
/// ```
/// use support::claims::Claims;
/// let speedup = 1.9;
/// let ok = Claims::new()
///     .claim("two threads are faster than one", format!("{speedup:.2}×"), speedup > 1.2)
///     .verify();
/// assert!(ok.is_ok());
/// let failed = Claims::new().claim("pigs fly", "no wings seen", false).verify();
/// assert!(failed.unwrap_err().to_string().contains("pigs fly"));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Claims {
    claims: Vec<Claim>,
    /// Set once the claims were checked or shown; a list dropped without either says so.
    seen: bool,
}

impl Claims {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a claim with its verdict: a `bool` (holds or not), or a [`Verdict`] such as the
    /// one a [`Count`](crate::machine::Count) comparison gives (not judged where the count is
    /// not available).
    pub fn claim(
        mut self,
        statement: impl Into<String>,
        evidence: impl Into<String>,
        verdict: impl Into<Verdict>,
    ) -> Self {
        self.claims.push(Claim {
            statement: statement.into(),
            evidence: evidence.into(),
            verdict: verdict.into(),
        });
        self
    }

    /// Adds a claim about timing, judged on measurements that may have met competition
    /// (`during`: a [`Measured`](crate::bench::Measured) bench, a
    /// [`Share`](crate::share::Share), a list of shares). When they did, it is *not judged*,
    /// whether it holds or not; otherwise it is judged like [`Claims::claim`].
    ///
    /// ```
    /// use support::claims::Claims;
    /// use support::share::{MachineCpu, Share};
    /// let share = |others: f64| Share { busy: 2.0, cores: 2, wall_seconds: 1.0, cpu_seconds: 1.9,
    ///     machine: Some(MachineCpu { busy: 1.9 + others, stolen: 0.0, cpus: 2 }), group: None };
    /// let (busy, quiet) = (share(0.9), share(0.02));
    /// // On a busy machine: not judged, true or false, and no failure.
    /// assert!(Claims::new().timed_claim("2 threads ≥ 1.6×", "1.1×", false, &busy).verify().is_ok());
    /// let shown = Claims::new().timed_claim("2 threads ≥ 1.6×", "1.7×", true, &busy);
    /// assert_eq!(shown.not_judged(), 1);
    /// // On a quiet machine: judged.
    /// assert!(Claims::new().timed_claim("2 threads ≥ 1.6×", "1.2×", false, &quiet).verify().is_err());
    /// ```
    pub fn timed_claim(
        self,
        statement: impl Into<String>,
        evidence: impl Into<String>,
        holds: bool,
        during: &(impl Disturbance + ?Sized),
    ) -> Self {
        let verdict = match during.disturbance() {
            Some(why) => Verdict::NotJudged(Reason::Busy, why),
            None => holds.into(),
        };
        self.claim(statement, evidence, verdict)
    }

    /// How many claims could not be judged.
    pub fn not_judged(&self) -> usize {
        self.claims
            .iter()
            .filter(|c| matches!(c.verdict, Verdict::NotJudged(..)))
            .count()
    }

    /// The claims added so far.
    pub fn claims(&self) -> &[Claim] {
        &self.claims
    }

    /// The claims that did not hold.
    fn failed(&self) -> impl Iterator<Item = &Claim> {
        self.claims.iter().filter(|c| c.verdict == Verdict::Fails)
    }

    /// Whether no claim failed (true for an empty list; not-judged claims did not fail).
    pub fn all_hold(&self) -> bool {
        self.failed().next().is_none()
    }

    /// The claims as a table with a ✔, ✘ or *– not judged (busy / unavailable)* per row.
    pub fn to_table(&self) -> Table {
        let mut table = Table::new(["", "claim", "measured in this run"]);
        for c in &self.claims {
            let (mark, evidence) = match &c.verdict {
                Verdict::Holds => ("✔".to_string(), c.evidence.clone()),
                Verdict::Fails => ("✘".to_string(), c.evidence.clone()),
                Verdict::NotJudged(reason, why) => (
                    format!("– {NOT_JUDGED} ({})", reason.word()),
                    format!("{} ({NOT_JUDGED}: {why})", c.evidence),
                ),
            };
            // Three cells for three columns: cannot fail.
            let _ = table.push_row([mark, c.statement.clone(), evidence]);
        }
        table
    }

    /// `Ok(self)` when no claim failed; otherwise [`Error::ClaimFailed`] listing every claim
    /// with its evidence. An empty list is an error too: a claim cell that checks nothing.
    pub fn verify(mut self) -> Result<Self> {
        self.seen = true;
        if self.claims.is_empty() {
            return Err(Error::InvalidInput(
                "no claims to verify: add at least one with .claim(..)".into(),
            ));
        }
        if self.all_hold() {
            Ok(self)
        } else {
            Err(Error::ClaimFailed(self.to_table().to_text()))
        }
    }

    /// Returns `self` when no claim failed, so a cell ending in `claims.assert_all()` shows the
    /// table.
    ///
    /// # Panics
    ///
    /// Like `assert!`, when a claim does not hold (or there are none). Before it panics it
    /// shows the table with the ✘ rows marked, as a passing cell shows its table, followed by
    /// one line naming the claims that failed; the panic itself prints nothing more (no
    /// location, no backtrace).
    ///
    /// ```should_panic
    /// support::claims::Claims::new().claim("1 > 2", "1 vs 2", 1 > 2).assert_all();
    /// ```
    pub fn assert_all(mut self) -> Self {
        self.seen = true;
        if self.claims.is_empty() {
            eprintln!("✘ a claim cell with no claims: add at least one with .claim(..)");
            std::panic::resume_unwind(Box::new("no claims to verify".to_string()));
        }
        if self.all_hold() {
            return self;
        }
        let failed: Vec<&str> = self.failed().map(|c| c.statement.as_str()).collect();
        let line = format!(
            "✘ {} of {} claims did not hold on this machine: {}",
            failed.len(),
            self.claims.len(),
            failed.join("; ")
        );
        // The table as a passing cell shows it, its ✘ rows marked, then the line, in one
        // output: evcxr shows a cell's stderr before its display, so the line goes here.
        let table = self.to_table();
        emit(
            "text/html",
            &format!(
                "{}<p style=\"color:#b00020;font-weight:bold\">{}</p>",
                table.to_html(),
                crate::table::escape(&line)
            ),
            &format!("{}\n{line}", table.to_text()),
        );
        // Not `panic!`: its hook would add a location inside this crate and, where
        // RUST_BACKTRACE is set, a backtrace. The line above is the message.
        std::panic::resume_unwind(Box::new(line))
    }

    /// Shows the table under the cell.
    pub fn evcxr_display(&self) {
        let table = self.to_table();
        emit("text/html", &table.to_html(), &table.to_text());
    }
}

impl Drop for Claims {
    /// A list of claims that was neither checked nor shown (a claim cell whose table was built
    /// and then dropped) says so on stderr, which fails the cell in the test harness.
    fn drop(&mut self) {
        if !self.seen && !self.claims.is_empty() && !std::thread::panicking() {
            let statements: Vec<&str> = self.claims.iter().map(|c| c.statement.as_str()).collect();
            eprintln!(
                "✘ claims built but never checked (end the cell with .assert_all()): {}",
                statements.join("; ")
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_say_why_a_claim_was_not_judged() {
        let mut claims = Claims::new()
            .claim("a", "1", true)
            .claim("b", "2", false)
            .claim("c", "3", Verdict::unavailable("wrk is not installed"))
            .claim("d", "4", Verdict::NotJudged(Reason::Busy, "a hog".into()));
        let text = claims.to_table().to_text();
        assert!(text.contains("✔"), "{text}");
        assert!(text.contains("✘"), "{text}");
        assert!(text.contains("– not judged (unavailable)"), "{text}");
        assert!(text.contains("4 (not judged: a hog)"), "{text}");
        assert_eq!(claims.not_judged(), 2);
        assert!(!claims.all_hold());
        claims.seen = true;
    }

    #[test]
    fn an_empty_list_is_an_error() {
        assert!(Claims::new().verify().is_err());
    }

    #[test]
    fn a_failed_list_still_shows_its_table_and_panics_with_one_line() {
        let outcome = std::panic::catch_unwind(|| {
            Claims::new()
                .claim("holds", "1", true)
                .claim("pigs fly", "no wings", false)
                .assert_all()
        });
        let payload = outcome.unwrap_err();
        let line = payload.downcast_ref::<String>().unwrap();
        assert!(line.starts_with("✘ 1 of 2 claims did not hold"), "{line}");
        assert!(line.contains("pigs fly"), "{line}");
    }
}
