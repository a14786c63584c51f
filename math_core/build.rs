//! Compiles `c/do_math.c` with the system C compiler (found by the `cc` crate) into a static
//! library linked into this crate: the course's `setup.py`, `cythonize` and `build_ext` in one.
//! It also tells the crate which compiler and flags were used, so the notebook can show them.

fn main() {
    println!("cargo:rerun-if-changed=c/do_math.c");
    let mut build = cc::Build::new();
    // Optimised whatever the profile, as the notebook's kernel builds it: the chapter times it.
    build.file("c/do_math.c").opt_level(2).warnings(true);
    let compiler = build.get_compiler();
    let flags: Vec<String> = compiler
        .args()
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    println!("cargo:rustc-env=MATH_CORE_CC={}", compiler.path().display());
    println!("cargo:rustc-env=MATH_CORE_CFLAGS={}", flags.join(" "));
    build.compile("math_core_c");
    // sqrt lives in libm on Linux and the BSDs (on macOS and Windows it is in the C library).
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if !matches!(os.as_str(), "macos" | "ios" | "windows") {
        println!("cargo:rustc-link-lib=m");
    }
}
