//! Every `#[no_mangle]` export of the C ABI must run its body inside the panic guard
//! (`guard` or `guard_or`), so no panic ever unwinds into C. Scans the source.

#[test]
fn every_export_is_guarded() {
    let src_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut exports = 0;
    let mut unguarded = Vec::new();
    for entry in std::fs::read_dir(&src_dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        // An `extern "C" fn` that is not `#[no_mangle]` would be an unreviewed export path.
        let externs = text.matches("pub extern \"C\" fn").count()
            + text.matches("pub unsafe extern \"C\" fn").count();
        let marked =
            text.matches("#[no_mangle]").count() + text.matches("#[unsafe(no_mangle)]").count();
        assert_eq!(
            externs,
            marked,
            "{}: every pub extern \"C\" fn must be #[no_mangle]",
            path.display()
        );
        let mut rest = text.as_str();
        while let Some(at) = rest
            .find("#[no_mangle]")
            .or_else(|| rest.find("#[unsafe(no_mangle)]"))
        {
            rest = &rest[at + 1..];
            let fn_at = rest.find("fn ").expect("fn after #[no_mangle]");
            let name: String = rest[fn_at + 3..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let body = &rest[rest[fn_at..].find('{').unwrap() + fn_at + 1..];
            // The first statement, skipping comments, must be the guard.
            let first = body
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty() && !l.starts_with("//"))
                .unwrap_or("");
            exports += 1;
            if !(first.starts_with("guard(") || first.starts_with("guard_or(")) {
                unguarded.push(format!("{name}: starts with `{first}`"));
            }
        }
    }
    assert!(exports >= 50, "found only {exports} exports");
    assert!(
        unguarded.is_empty(),
        "exports without the panic guard:\n{}",
        unguarded.join("\n")
    );
}

#[test]
fn the_guard_turns_a_panic_into_a_result() {
    // The guard itself, through the public ABI: a NULL out-parameter is a plain result, and a
    // panic inside a guarded body is LS_AUTH_PANIC (exercised from C by ls_auth_test_panic).
    let rc = unsafe { ls_auth::ls_auth_policy_new(std::ptr::null_mut()) };
    assert_eq!(rc, ls_auth::ls_auth_result::LS_AUTH_NULL_PARAMETER);
}
