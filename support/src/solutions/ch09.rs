//! Solutions to the exercises of chapter 09, "Native parallelism".

// ANCHOR: do_math_sum
/// Exercise 09.1: the course's `do_math`, but keeping its work by *using* the result: it
/// returns the sum of every square root it takes. A result that is returned cannot be deleted
/// by the optimiser, so no `black_box` is needed. Like `do_math`, it counts `pos` up from
/// `start` while `pos < num`, adding 1 before each root.
pub fn do_math_sum(start: f64, num: f64) -> f64 {
    let k_sq = 1000.0 * 1000.0;
    let mut pos = start;
    let mut sum = 0.0;
    while pos < num {
        pos += 1.0;
        sum += ((pos - k_sq) * (pos - k_sq)).sqrt();
    }
    sum
}
// ANCHOR_END: do_math_sum

// ANCHOR: first_stuck_f32
/// Exercise 09.2: the smallest positive `f32` that adding 1.0 no longer changes. An `f32` has
/// 24 bits of significand, so from 2^24 on, neighbouring values are 2 apart and `x + 1.0`
/// rounds back to `x` (ties go to the even significand). Found by doubling, not by formula, to
/// show that it is a property of the type.
pub fn first_stuck_f32() -> f32 {
    let mut x: f32 = 1.0;
    while x + 1.0 != x {
        x *= 2.0;
    }
    // x is the first power of two that is stuck; no smaller integer-valued f32 is, because
    // below 2^24 every integer is exactly representable.
    x
}
// ANCHOR_END: first_stuck_f32
