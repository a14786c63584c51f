// Included by every worker program (`include!`): the loop a long-lived worker runs when a
// process pool starts it with `--serve` (chapters 05 and 06, `support::pool::ProcessPool`).
//
// The protocol is one line each way. A request is a line of fields separated by tabs (the same
// fields the worker takes on its command line); the answer is one line, `ok\t{output}` or
// `err\t{message}`, flushed at once. The worker answers requests until its standard input
// closes, which is how the pool tells it to finish.

/// Answers requests from stdin with `task` until stdin closes; returns the exit code.
fn serve(task: impl Fn(&[&str]) -> Result<String, String>) -> std::process::ExitCode {
    use std::io::{BufRead, Write};
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let Ok(line) = line else {
            return std::process::ExitCode::FAILURE;
        };
        let fields: Vec<&str> = line.split('\t').collect();
        let answer = match task(&fields) {
            Ok(output) => format!("ok\t{}", output.replace(['\n', '\r'], " ")),
            Err(message) => format!("err\t{}", message.replace(['\n', '\r'], " ")),
        };
        if writeln!(stdout, "{answer}").and_then(|()| stdout.flush()).is_err() {
            // The pool has gone: nobody is reading the answers any more.
            return std::process::ExitCode::FAILURE;
        }
    }
    std::process::ExitCode::SUCCESS
}
