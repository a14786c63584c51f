//! The `loadgen` program: reads its arguments, runs the test, prints the [`loadgen::Report`] as
//! one line of JSON. See the library's documentation for what it does.

use loadgen::{Settings, USAGE};
use std::process::ExitCode;

fn main() -> ExitCode {
    let (target, settings) = match Settings::from_args(std::env::args().skip(1)) {
        Ok(Some(parsed)) => parsed,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(why) => {
            eprintln!("loadgen: {why}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let report = loadgen::run(&target, &settings)
        .and_then(|report| serde_json::to_string(&report).map_err(|e| e.to_string()));
    match report {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(why) => {
            eprintln!("loadgen: {why}");
            ExitCode::from(1)
        }
    }
}
