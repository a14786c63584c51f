//! Results as HTML tables that evcxr renders under a cell.

use crate::error::{Error, Result};
use std::fmt::Write as _;

/// Escapes the five characters that are special in HTML text and attributes.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Prints one rich output for evcxr: an HTML rendering plus a plain-text fallback.
/// Printed in a single `println!`, so output from other threads cannot interleave.
pub(crate) fn emit(mime: &str, rich: &str, plain: &str) {
    println!(
        "EVCXR_BEGIN_CONTENT {mime}\n{rich}\nEVCXR_END_CONTENT\nEVCXR_BEGIN_CONTENT text/plain\n{plain}\nEVCXR_END_CONTENT"
    );
}

/// A table with a header row; a cell that ends with a `Table` shows it as HTML.
///
/// ```
/// use support::table::Table;
/// let mut table = Table::new(["goal", "Rust"]);
/// table.push_row(["do more at once", "tokio"])?;
/// assert!(table.to_html().contains("<td>tokio</td>"));
/// assert!(table.push_row(["too", "many", "cells"]).is_err());
/// # Ok::<(), support::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    caption: Option<String>,
}

impl Table {
    /// An empty table with these column names.
    pub fn new<S: Into<String>>(header: impl IntoIterator<Item = S>) -> Self {
        Table {
            header: header.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
            caption: None,
        }
    }

    /// Sets a caption shown under the table (a source credit, a note on units).
    pub fn with_caption(mut self, caption: impl Into<String>) -> Self {
        self.caption = Some(caption.into());
        self
    }

    /// Appends a row; it must have as many cells as the header.
    pub fn push_row<S: Into<String>>(&mut self, row: impl IntoIterator<Item = S>) -> Result<()> {
        let row: Vec<String> = row.into_iter().map(Into::into).collect();
        if row.len() != self.header.len() {
            return Err(Error::InvalidInput(format!(
                "a row has {} cells but the table has {} columns",
                row.len(),
                self.header.len()
            )));
        }
        self.rows.push(row);
        Ok(())
    }

    /// The rows added so far.
    pub fn rows(&self) -> &[Vec<String>] {
        &self.rows
    }

    /// The table as an HTML fragment.
    pub fn to_html(&self) -> String {
        let mut html = String::from("<table>\n<thead><tr>");
        for name in &self.header {
            let _ = write!(html, "<th style=\"text-align:left\">{}</th>", escape(name));
        }
        html.push_str("</tr></thead>\n<tbody>\n");
        for row in &self.rows {
            html.push_str("<tr>");
            for cell in row {
                let _ = write!(html, "<td>{}</td>", escape(cell));
            }
            html.push_str("</tr>\n");
        }
        html.push_str("</tbody>\n");
        if let Some(caption) = &self.caption {
            let _ = writeln!(
                html,
                "<caption style=\"caption-side:bottom;text-align:left\">{}</caption>",
                escape(caption)
            );
        }
        html.push_str("</table>");
        html
    }

    /// The table as aligned plain text.
    pub fn to_text(&self) -> String {
        let columns = self.header.len();
        let width = |c: usize| {
            std::iter::once(&self.header[c])
                .chain(self.rows.iter().map(|r| &r[c]))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        };
        let widths: Vec<usize> = (0..columns).map(width).collect();
        let line = |cells: &[String]| {
            cells
                .iter()
                .zip(&widths)
                .map(|(cell, w)| format!("{cell:<w$}"))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_string()
        };
        let mut text = line(&self.header);
        for row in &self.rows {
            text.push('\n');
            text.push_str(&line(row));
        }
        if let Some(caption) = &self.caption {
            text.push('\n');
            text.push_str(caption);
        }
        text
    }

    /// Shows the table under the cell (called by evcxr when a cell ends with a `Table`).
    pub fn evcxr_display(&self) {
        emit("text/html", &self.to_html(), &self.to_text());
    }
}

/// The table that closes a chapter: each point it made, with this run's numbers behind it.
///
/// ```
/// use support::table::what_we_saw;
/// let speedup = 1.93;
/// let table = what_we_saw(&[
///     ("two threads against one", format!("{speedup:.2}×")),
///     ("the GIL's threads against one", "1.00×".to_string()),
/// ]);
/// assert!(table.to_text().contains("1.93×"));
/// ```
pub fn what_we_saw(points: &[(&str, String)]) -> Table {
    let mut table = Table::new(["point", "measured in this run"]);
    for (point, measured) in points {
        // Two cells for two columns: cannot fail.
        let _ = table.push_row([point.to_string(), measured.clone()]);
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_escaped() {
        let mut t = Table::new(["<b>"]);
        t.push_row(["a & b"]).unwrap();
        let html = t.to_html();
        assert!(html.contains("&lt;b&gt;") && html.contains("a &amp; b"));
    }

    #[test]
    fn text_is_aligned() {
        let mut t = Table::new(["x", "long header"]);
        t.push_row(["value", "1"]).unwrap();
        assert_eq!(t.to_text(), "x      long header\nvalue  1");
    }
}
