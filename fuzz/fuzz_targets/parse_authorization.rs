#![no_main]
// The body is in the library so that `cargo test` replays corpora on stable.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ls_auth_fuzz::parse_authorization(data));
