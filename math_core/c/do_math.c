/* Chapter 09: the course's Cython do_math (math_core.pyx), in plain C.
 *
 * Counts pos from start up to num and takes a square root at every step. Cython's version
 * threw the root away, and a C compiler is then free to skip computing it; here each root is
 * written to a volatile variable, which the compiler must do, so the work really happens.
 *
 * The volatile write also makes every call well defined, including one that never ends (a
 * bound of infinity, or beyond 2^53, where pos += 1 stops changing pos): C11 (6.8.5p6) lets a
 * compiler assume that a loop with a non-constant condition ends, unless its body does input
 * or output, accesses a volatile object or synchronises. Rust's `safe fn` declaration of this
 * function relies on that.
 *
 * The types are double (64-bit), not Cython's float, which stops counting at 2^24 (the
 * notebook's "A float that stops counting").
 */
#include <math.h>

void math_core_do_math(double start, double num) {
    volatile double sink;
    const double k_sq = 1000.0 * 1000.0;
    double pos = start;
    while (pos < num) {
        pos += 1;
        sink = sqrt((pos - k_sq) * (pos - k_sq));
    }
    (void)sink;
}
