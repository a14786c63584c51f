//! Solutions to the exercises of chapter 03, "Threads".

use std::ops::Range;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

// ANCHOR: run_chunks
/// Exercise 03.1: runs `work` on every chunk, each chunk on its own thread, and returns the
/// results in the order of `chunks`. `std::thread::scope` lets the threads borrow `work` and
/// joins them all before it returns; collecting the handles first starts every thread before
/// the first `join`, so the chunks run at the same time.
pub fn run_chunks(chunks: Vec<Range<u64>>, work: &(dyn Fn(Range<u64>) -> f64 + Sync)) -> Vec<f64> {
    std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| s.spawn(move || work(chunk)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}
// ANCHOR_END: run_chunks

// ANCHOR: map_with_workers
/// Exercise 03.2: a pool of `workers` threads (at least one) that applies `work` to every
/// input; results come back in input order. The threads share one counter, the index of the
/// next input: each takes an index with `fetch_add`, so no input is done twice, and a thread
/// that finishes early simply takes the next one. Results go into a `Mutex`ed vector of slots.
pub fn map_with_workers(
    inputs: Vec<u64>,
    workers: usize,
    work: &(dyn Fn(u64) -> u64 + Sync),
) -> Vec<u64> {
    let next = AtomicUsize::new(0);
    let results = Mutex::new(vec![0; inputs.len()]);
    std::thread::scope(|s| {
        for _ in 0..workers.max(1) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&input) = inputs.get(i) else { break };
                    let output = work(input);
                    results.lock().unwrap_or_else(|e| e.into_inner())[i] = output;
                }
            });
        }
    });
    results.into_inner().unwrap_or_else(|e| e.into_inner())
}
// ANCHOR_END: map_with_workers
