//! Lets OSQP print (to stderr) only while a `verbose` solver is running on this
//! thread; see csrc/osqp_print.c.

#[cfg(af_osqp_print_wrap)]
extern "C" {
    fn af_osqp_set_print_enabled(enabled: std::os::raw::c_int);
}

/// Printing is enabled while this value lives.
pub struct PrintScope(());

impl PrintScope {
    pub fn new(verbose: bool) -> PrintScope {
        #[cfg(af_osqp_print_wrap)]
        unsafe {
            af_osqp_set_print_enabled(verbose as std::os::raw::c_int)
        };
        #[cfg(not(af_osqp_print_wrap))]
        let _ = verbose;
        PrintScope(())
    }
}

impl Drop for PrintScope {
    fn drop(&mut self) {
        #[cfg(af_osqp_print_wrap)]
        unsafe {
            af_osqp_set_print_enabled(0)
        };
    }
}
