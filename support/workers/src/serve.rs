//! The loop a long-lived worker runs when a process pool starts it with `--serve` (chapters 05
//! and 06; `support::pool::ProcessPool`, and the pool a chapter 05 cell builds).
//!
//! One line each way. A request is a line of fields separated by tabs (the fields the worker
//! takes on its command line); the answer is one line, `ok\t{output}` or `err\t{message}`,
//! flushed at once. The worker answers until its standard input closes: that is how the pool
//! tells it to finish.

use std::io::{BufRead, Write};
use std::process::ExitCode;

/// Answers requests from stdin with `task` until stdin closes.
pub fn serve(task: impl Fn(&[&str]) -> Result<String, String>) -> ExitCode {
    serve_on(std::io::stdin().lock(), std::io::stdout().lock(), task)
}

/// [`serve`], reading requests from `input` and writing answers to `output`.
pub fn serve_on(
    input: impl BufRead,
    mut output: impl Write,
    task: impl Fn(&[&str]) -> Result<String, String>,
) -> ExitCode {
    for line in input.lines() {
        let Ok(line) = line else {
            return ExitCode::FAILURE; // not text: this is no pool talking
        };
        let fields: Vec<&str> = line.split('\t').collect();
        let answer = match task(&fields) {
            Ok(out) => format!("ok\t{}", out.replace(['\n', '\r'], " ")),
            Err(message) => format!("err\t{}", message.replace(['\n', '\r'], " ")),
        };
        if writeln!(output, "{answer}")
            .and_then(|()| output.flush())
            .is_err()
        {
            return ExitCode::FAILURE; // the pool has gone: nobody reads the answers
        }
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_answer_per_request_until_the_input_ends() {
        let mut answers = Vec::new();
        let code = serve_on(&b"1\t2\nx\n"[..], &mut answers, |fields| match fields {
            [a, b] => Ok(format!("{a}+{b}\nsplit")),
            _ => Err(format!("bad {fields:?}")),
        });
        assert_eq!(code, ExitCode::SUCCESS);
        assert_eq!(
            String::from_utf8(answers).unwrap(),
            "ok\t1+2 split\nerr\tbad [\"x\"]\n"
        );
    }

    #[test]
    fn input_that_is_not_text_ends_the_loop() {
        let mut answers = Vec::new();
        let code = serve_on(&b"\xff\xfe\n"[..], &mut answers, |_| Ok(String::new()));
        assert_eq!(code, ExitCode::FAILURE);
        assert!(answers.is_empty());
    }
}
