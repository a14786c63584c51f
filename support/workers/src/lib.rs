//! The worker programs of chapters 05 and 06, and what they share with `support`.
//!
//! Each program in `src/bin/` is one worker a notebook starts as a separate process (evcxr runs
//! cells inside its own runtime, so a cell cannot start a copy of itself the way Python's
//! `multiprocessing` does). `support::process::Worker::build` builds them once with cargo and
//! keeps them by content. This library holds what more than one of them uses:
//!
//! - [`serve`]: the loop a worker runs when a process pool starts it with `--serve`;
//! - [`std_http`]: a blocking HTTP/1.1 GET with nothing but the standard library;
//! - [`title`]: the course's `get_title` on top of it, which `support::titles` re-exports so
//!   a thread pool and a process pool run exactly the same code.

pub mod serve;
pub mod std_http;
pub mod title;
