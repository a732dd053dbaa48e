fn main() {
    napi_build::setup();

    // Route OSQP's console output (see csrc/osqp_print.c) away from stdout.
    // `--wrap` is a GNU ld / lld / gold option, so this is Linux-only; on other
    // targets OSQP prints to stdout when `verbose` is set.
    println!("cargo:rerun-if-changed=csrc/osqp_print.c");
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os == "linux" {
        cc::Build::new()
            .file("csrc/osqp_print.c")
            .std("c11")
            .warnings(true)
            .extra_warnings(true)
            .warnings_into_errors(true)
            // Nothing in Rust calls these symbols, so keep the linker from dropping them.
            .link_lib_modifier("+whole-archive")
            .compile("af_osqp_print");
        for symbol in ["printf", "puts", "putchar"] {
            println!("cargo:rustc-link-arg-cdylib=-Wl,--wrap={symbol}");
        }
        println!("cargo:rustc-cfg=af_osqp_print_wrap");
    }
    println!("cargo:rustc-check-cfg=cfg(af_osqp_print_wrap)");
}
