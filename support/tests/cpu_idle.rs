//! The idle-CPU check of `support::cpu`, in a test binary of its own: it measures this whole
//! process's CPU use, so it must not share the process with the library's other tests (with
//! eight test threads it failed whenever a busy test ran beside it).

use std::time::Duration;
use support::cpu::{MIN_INTERVAL, sample_cpu};

#[test]
fn idle_work_uses_little_cpu() {
    let (_, trace) = sample_cpu(MIN_INTERVAL, || {
        std::thread::sleep(Duration::from_millis(450))
    })
    .unwrap();
    assert!(trace.busy_cores() < 0.3, "{}", trace.busy_cores());
    assert_eq!(trace.per_core.len(), trace.cores());
    assert!(trace.per_core.iter().all(|c| c.len() == trace.times.len()));
}
