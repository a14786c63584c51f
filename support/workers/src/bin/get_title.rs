//! A worker process for chapter 06, "Execution pools": the course's `get_title`, run as a
//! separate program by the notebook's process pool. It answers with the process and the thread
//! it ran on, as the course's `get_title` printed its PID and process name.
//!
//! Usage: get_title URL      prints one line, `{process id} {thread} {title}`, or exits with
//!                           status 1 and the error on stderr
//!        get_title --serve  a process pool's long-lived worker: one URL per line on stdin, one
//!                           answer per line on stdout (course_workers::serve)

use course_workers::serve::serve;
use course_workers::title::get_title;
use std::process::ExitCode;

/// One page: `"{process id} {thread} {title}"`.
fn task(fields: &[&str]) -> Result<String, String> {
    let [url] = fields else {
        return Err(format!("usage: get_title URL, got {fields:?}"));
    };
    let title = get_title(url).map_err(|e| format!("{url}: {e}"))?;
    let thread = std::thread::current();
    Ok(format!(
        "{} {} {title}",
        std::process::id(),
        thread.name().unwrap_or("unnamed")
    ))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    if args == ["--serve"] {
        return serve(task);
    }
    match task(&args) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(message) if message.starts_with("usage") => {
            eprintln!("{message}");
            ExitCode::from(2)
        }
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}
