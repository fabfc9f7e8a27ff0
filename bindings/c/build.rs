//! Gives libls_auth.so the shape of a system library on Linux: a SONAME that changes exactly
//! when the ABI may break, and no exported symbol but the `ls_auth_*` functions of this crate.
//!
//! The SONAME follows Cargo's compatibility rule: `libls_auth.so.MAJOR` from 1.0 on, and
//! `libls_auth.so.0.MINOR` before it, since any 0.x minor release may break the ABI.
//! `scripts/install-c` reads the SONAME back from the built file rather than recomputing it.
//!
//! Exports: rustc already links a cdylib with a version script of its own, naming exactly the
//! `#[no_mangle]` functions of the whole crate graph, everything else local. A second script
//! cannot narrow that (exact names beat wildcards), so what could still leak is a dependency's
//! `#[no_mangle]` function; `--exclude-libs,ALL` keeps every symbol of every linked archive
//! (all dependency rlibs, the standard library, C code such as ring's) out of the dynamic
//! table. This crate's own exports are the header's functions: `scripts/test-c` and
//! `scripts/test-dist` check `nm -D` against include/ls_auth.h.

use std::env;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    // Cargo's defaults everywhere else: the flags below are for ELF linkers (GNU ld, lld).
    if env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("linux") {
        return;
    }
    let major = env::var("CARGO_PKG_VERSION_MAJOR").expect("set by cargo");
    let minor = env::var("CARGO_PKG_VERSION_MINOR").expect("set by cargo");
    let abi = if major == "0" {
        format!("0.{minor}")
    } else {
        major
    };
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libls_auth.so.{abi}");
    println!("cargo:rustc-cdylib-link-arg=-Wl,--exclude-libs,ALL");
}
