//! Quantitative claims of the prose, checked against this run's measurements.
//!
//! A chapter never says "async cuts latency 30×" without a cell that measures it. A claim cell
//! builds a [`Claims`] list, each claim with the evidence (the numbers measured) and whether it
//! holds, and ends with `.assert_all()`: the table shows under the cell, and a claim that does
//! not hold panics with the evidence, like `assert!`. (A panic, not an `Err`, because evcxr
//! reports a top-level `?` error only as text; the test harness runs the kernel with
//! `:preserve_vars_on_panic 0`, which turns a panic into a failed cell.)
//!
//! A claim about timing is added with [`Claims::timed_claim`], with the
//! [`Competition`] its measurements met. When such a claim does not hold and the measurements
//! did not get the cores they asked for (another program, a CPU quota), it is shown as
//! **not judged**, with the reason, and does not panic: the machine could not show what the
//! claim is about at that moment. When the measurements did get their cores, a claim that
//! does not hold fails as any other. A claim cell should define nothing a later cell needs
//! (wrap it in `{ … }`), so that a failed claim never breaks the cells after it.

use crate::error::{Error, Result};
use crate::share::Competition;
use crate::table::{Table, emit};

/// The mark of a claim that could not be judged, in the table and its text (the test harness
/// looks for it: on a quiet machine a claim that is not judged fails the run).
pub const NOT_JUDGED: &str = "not judged";

/// One statement, the numbers behind it, and whether it held.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    /// What the prose says, e.g. "async answers request 3 at least 2.5× sooner".
    pub statement: String,
    /// What was measured, e.g. "0.83 s → 0.21 s (3.9×)".
    pub evidence: String,
    /// Whether the measurement supports the statement.
    pub holds: bool,
    /// Why the claim could not be judged, when it did not hold while its measurements did not
    /// get the cores they asked for; `None` for a claim that was judged.
    pub not_judged: Option<String>,
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
}

impl Claims {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a claim.
    pub fn claim(
        mut self,
        statement: impl Into<String>,
        evidence: impl Into<String>,
        holds: bool,
    ) -> Self {
        self.claims.push(Claim {
            statement: statement.into(),
            evidence: evidence.into(),
            holds,
            not_judged: None,
        });
        self
    }

    /// Adds a claim about timing, judged on measurements that met `during`: when it does not
    /// hold and they did not get the cores they asked for, it is shown as *not judged* (with
    /// what took the cores) instead of failing; otherwise it is judged like [`Claims::claim`].
    ///
    /// ```
    /// use support::claims::Claims;
    /// use support::share::{Competition, Share};
    /// let share = |cpu| Share { busy: 2.0, cores: 2, wall_seconds: 1.0, cpu_seconds: cpu,
    ///                           machine: None, throttled_seconds: None };
    /// let busy = Competition::new().with(share(1.1));
    /// let quiet = Competition::new().with(share(1.98));
    /// // False on a busy machine: not judged, and no failure.
    /// let claims = Claims::new().timed_claim("2 threads ≥ 1.6×", "1.1×", false, &busy);
    /// assert!(claims.verify().is_ok());
    /// // False on a quiet machine: it fails.
    /// assert!(Claims::new().timed_claim("2 threads ≥ 1.6×", "1.2×", false, &quiet).verify().is_err());
    /// // True: it holds, busy or not.
    /// assert!(Claims::new().timed_claim("2 threads ≥ 1.6×", "1.7×", true, &busy).verify().is_ok());
    /// ```
    pub fn timed_claim(
        mut self,
        statement: impl Into<String>,
        evidence: impl Into<String>,
        holds: bool,
        during: &Competition,
    ) -> Self {
        let not_judged = if holds { None } else { during.disturbance() };
        self.claims.push(Claim {
            statement: statement.into(),
            evidence: evidence.into(),
            holds,
            not_judged,
        });
        self
    }

    /// How many claims could not be judged.
    pub fn not_judged(&self) -> usize {
        self.claims
            .iter()
            .filter(|c| c.not_judged.is_some())
            .count()
    }

    /// The claims added so far.
    pub fn claims(&self) -> &[Claim] {
        &self.claims
    }

    /// Whether every claim holds or could not be judged (true for an empty list).
    pub fn all_hold(&self) -> bool {
        self.claims
            .iter()
            .all(|c| c.holds || c.not_judged.is_some())
    }

    /// The claims as a table with a ✔ or ✘ per row.
    pub fn to_table(&self) -> Table {
        let mut table = Table::new(["", "claim", "measured in this run"]);
        for c in &self.claims {
            let (mark, evidence) = match (&c.not_judged, c.holds) {
                (_, true) => ("✔".to_string(), c.evidence.clone()),
                (Some(why), false) => (
                    format!("– {NOT_JUDGED}"),
                    format!("{} ({NOT_JUDGED}: {why})", c.evidence),
                ),
                (None, false) => ("✘".to_string(), c.evidence.clone()),
            };
            // Three cells for three columns: cannot fail.
            let _ = table.push_row([mark, c.statement.clone(), evidence]);
        }
        table
    }

    /// `Ok(self)` when every claim holds, so a cell ending in `claims.verify()?` shows the table;
    /// otherwise [`Error::ClaimFailed`] listing every claim with its evidence.
    pub fn verify(self) -> Result<Self> {
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

    /// Returns `self` when every claim holds, so a cell ending in `claims.assert_all()` shows the
    /// table.
    ///
    /// # Panics
    ///
    /// Like `assert!`, when a claim does not hold (or there are none); the message lists every
    /// claim with its evidence.
    ///
    /// ```should_panic
    /// support::claims::Claims::new().claim("1 > 2", "1 vs 2", 1 > 2).assert_all();
    /// ```
    pub fn assert_all(self) -> Self {
        match self.verify() {
            Ok(claims) => claims,
            Err(err) => panic!("{err}"),
        }
    }

    /// Shows the table under the cell.
    pub fn evcxr_display(&self) {
        let table = self.to_table();
        emit("text/html", &table.to_html(), &table.to_text());
    }
}
