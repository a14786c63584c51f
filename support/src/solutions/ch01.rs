//! Solutions to the exercises of chapter 01, "Why async".

use std::ops::Range;

// ANCHOR: gustafson
/// Gustafson's law: if a job keeps its serial part fixed and grows its parallel part with the
/// number of workers, the work done per unit of time grows by `(1 - p) + p·n`, where `p` is the
/// share of the run time spent in the parallel part on `n` workers.
pub fn gustafson(parallel_fraction: f64, workers: usize) -> f64 {
    (1.0 - parallel_fraction) + parallel_fraction * workers as f64
}
// ANCHOR_END: gustafson

// ANCHOR: karp_flatt
/// The Karp–Flatt metric: the serial fraction `e` that a measured speed-up `s` on `n > 1`
/// workers implies, by solving Amdahl's law for the serial share:
/// `e = (1/s − 1/n) / (1 − 1/n)`. A value that grows with `n` points at overhead (locks,
/// start-up, memory bandwidth) rather than a fixed serial part. `n` is a float so that it can
/// be the cores' worth a machine delivered (a [`Bench`](crate::bench::Bench)'s ceiling) rather
/// than the number of threads.
pub fn karp_flatt(speedup: f64, workers: f64) -> f64 {
    (1.0 / speedup - 1.0 / workers) / (1.0 - 1.0 / workers)
}
// ANCHOR_END: karp_flatt

// ANCHOR: split
/// Cuts `0..total` into `parts` contiguous ranges whose lengths differ by at most one: the first
/// `total % parts` ranges get one extra element. `parts` must be at least 1.
pub fn split(total: u64, parts: usize) -> Vec<Range<u64>> {
    let parts_u64 = parts as u64;
    let (base, extra) = (total / parts_u64, total % parts_u64);
    let mut start = 0;
    (0..parts_u64)
        .map(|i| {
            let len = base + u64::from(i < extra);
            let range = start..start + len;
            start += len;
            range
        })
        .collect()
}
// ANCHOR_END: split

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_examples() {
        assert_eq!(split(10, 3), vec![0..4, 4..7, 7..10]);
        assert_eq!(split(2, 4), vec![0..1, 1..2, 2..2, 2..2]);
    }

    #[test]
    fn gustafson_grows_linearly() {
        assert_eq!(gustafson(0.5, 10), 5.5);
    }

    #[test]
    fn karp_flatt_inverts_amdahl() {
        let s = crate::work::amdahl(0.75, 4).unwrap();
        assert!((karp_flatt(s, 4.0) - 0.25).abs() < 1e-12);
        // On 1.8 cores' worth (a busy machine's ceiling on 2 threads), measured against 1.8.
        let busy = 1.0 / (0.25 + 0.75 / 1.8);
        assert!((karp_flatt(busy, 1.8) - 0.25).abs() < 1e-12);
        assert!(karp_flatt(busy, 2.0) > 0.3);
    }
}
