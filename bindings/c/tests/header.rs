//! The committed `include/ls_auth.h` must be exactly what the pinned cbindgen generates from
//! this crate. `LS_AUTH_BLESS=1` (what `scripts/gen-header` sets) rewrites it instead.

use std::path::PathBuf;

#[test]
fn committed_header_matches_cbindgen() {
    let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let header = crate_dir.join("../../include/ls_auth.h");
    let config =
        cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen failed")
        .write(&mut generated);
    let generated = String::from_utf8(generated).expect("header is UTF-8");
    if std::env::var_os("LS_AUTH_BLESS").is_some() {
        std::fs::write(&header, &generated).expect("write include/ls_auth.h");
        return;
    }
    let committed = std::fs::read_to_string(&header).unwrap_or_default();
    assert!(
        committed == generated,
        "include/ls_auth.h differs from what cbindgen generates from bindings/c/src: run scripts/gen-header"
    );
}
