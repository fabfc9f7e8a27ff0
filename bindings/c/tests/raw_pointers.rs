//! Every raw-pointer operation of the C ABI lives in `src/ffi.rs` (docs/architecture.md): the
//! other modules reach C's memory and the host's callbacks only by calling its helpers. Scans
//! the source: outside `ffi.rs`, an `unsafe { ... }` block may call functions, but may not
//! dereference, convert, write through or call a pointer itself.

/// What an `unsafe` block outside `ffi.rs` must not contain: pointer-to-reference conversions,
/// reads and writes through pointers, box/slice reconstruction, pointer arithmetic, a call of a
/// parenthesised expression (a function pointer from C), a dereference.
const RAW_OPERATIONS: &[&str] = &[
    ".as_ref()",
    ".as_mut()",
    "from_raw",
    ".write(",
    ".read(",
    "copy_nonoverlapping",
    ".add(",
    ".offset(",
    ")(",
    "*ptr",
    "(*",
];

fn unsafe_blocks(text: &str) -> Vec<&str> {
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("unsafe {") {
        let body = &rest[at + "unsafe {".len()..];
        let mut depth = 1;
        let end = body
            .char_indices()
            .find(|&(_, c)| {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                depth == 0
            })
            .map(|(i, _)| i)
            .expect("an unsafe block closes");
        blocks.push(&body[..end]);
        rest = &body[end..];
    }
    blocks
}

#[test]
fn raw_pointers_are_touched_only_in_ffi_rs() {
    let src_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut blocks = 0;
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&src_dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".rs") || name == "ffi.rs" {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for block in unsafe_blocks(&text) {
            blocks += 1;
            for op in RAW_OPERATIONS {
                if block.contains(op) {
                    found.push(format!("{name}: `{op}` in unsafe {{{block}}}"));
                }
            }
        }
    }
    assert!(
        blocks >= 50,
        "found only {blocks} unsafe blocks outside ffi.rs"
    );
    assert!(
        found.is_empty(),
        "raw-pointer operations outside ffi.rs:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_scan_sees_what_it_refuses() {
    // The scan itself: the two forms issue 21 found outside ffi.rs are reported.
    let old =
        "let s = unsafe { ptr.as_ref() }; let r = unsafe { (self.is_revoked)(self.ctx, p, n) };";
    let blocks = unsafe_blocks(old);
    assert_eq!(blocks.len(), 2);
    assert!(blocks[0].contains(".as_ref()"));
    assert!(blocks[1].contains(")("));
}
