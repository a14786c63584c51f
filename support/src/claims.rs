//! Quantitative claims of the prose, checked against this run's measurements.
//!
//! A chapter never says "async cuts latency 30×" without a cell that measures it. A claim cell
//! builds a [`Claims`] list, each claim with the evidence (the numbers measured) and whether it
//! holds, and ends with `.assert_all()`: the table shows under the cell, and a claim that does
//! not hold panics with the evidence, like `assert!`. (A panic, not an `Err`, because evcxr
//! reports a top-level `?` error only as text; the test harness runs the kernel with
//! `:preserve_vars_on_panic 0`, which turns a panic into a failed cell.)

use crate::error::{Error, Result};
use crate::table::{Table, emit};

/// One statement, the numbers behind it, and whether it held.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    /// What the prose says, e.g. "async answers request 3 at least 2.5× sooner".
    pub statement: String,
    /// What was measured, e.g. "0.83 s → 0.21 s (3.9×)".
    pub evidence: String,
    /// Whether the measurement supports the statement.
    pub holds: bool,
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
        });
        self
    }

    /// The claims added so far.
    pub fn claims(&self) -> &[Claim] {
        &self.claims
    }

    /// Whether every claim holds (true for an empty list).
    pub fn all_hold(&self) -> bool {
        self.claims.iter().all(|c| c.holds)
    }

    /// The claims as a table with a ✔ or ✘ per row.
    pub fn to_table(&self) -> Table {
        let mut table = Table::new(["", "claim", "measured in this run"]);
        for c in &self.claims {
            let mark = if c.holds { "✔" } else { "✘" };
            // Three cells for three columns: cannot fail.
            let _ = table.push_row([mark, c.statement.as_str(), c.evidence.as_str()]);
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
