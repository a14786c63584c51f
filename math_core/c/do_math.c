/* Chapter 09: the course's Cython do_math (math_core.pyx), in plain C.
 *
 * Counts pos from start up to num and takes a square root at every step. Cython's version
 * threw the root away, and a C compiler is then free to skip computing it; here each root is
 * written to a volatile variable, which the compiler must do, so the work really happens.
 *
 * The volatile write also makes every call well defined, including one that never ends (a
 * bound of infinity, or beyond 2^53, where pos += 1 stops changing pos): C11 lets a compiler
 * assume that a loop ends only when its body does no input/output, no volatile access and no
 * synchronisation (6.8.5p6). Rust's `safe fn` declaration of this function relies on that.
 *
 * The types are double (64-bit), not Cython's float: see the notebook's f32 trap.
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
