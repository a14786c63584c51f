//! A worker process for chapter 06, "Execution pools": the course's `get_title`, run as a
//! separate program by the notebook's process pool.
//!
//! Usage: get_title URL     prints one line, `{process id} {title}`, or exits with status 1 and
//!                          the error on stderr.
//!        get_title --serve a long-lived worker of a process pool: one URL per line on stdin,
//!                          one answer per line on stdout (see serve_core.rs)

include!("title_core.rs");
include!("serve_core.rs");

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args == ["--serve"] {
        return serve(|fields| match fields {
            [url] => get_title(url)
                .map(|title| format!("{} {title}", std::process::id()))
                .map_err(|e| format!("{url}: {e}")),
            _ => Err(format!("usage: one URL per request, got {fields:?}")),
        });
    }
    let [url] = args.as_slice() else {
        eprintln!("usage: get_title URL, got {args:?}");
        return std::process::ExitCode::from(2);
    };
    match get_title(url) {
        Ok(title) => {
            println!("{} {title}", std::process::id());
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{url}: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
