//! The stop index of the claims scanner: one pass over a payload sets a bit for every byte at
//! which a string ends or needs a closer look (`"`, `\\`, control characters), 16 bytes per SSE2
//! compare and `pmovmskb` on x86-64 (eight bytes per word operation elsewhere). The scanner
//! ([`super::scanner`]) then finds each string's end with a shift and a count of trailing zeros
//! instead of testing the string's bytes itself: claims are many short strings, and the
//! per-string setup was most of the scan.

pub(super) const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
#[cfg(any(test, not(all(target_arch = "x86_64", target_feature = "sse2"))))]
const LOWS: u64 = u64::from_ne_bytes([0x7f; 8]);

/// The longest payload the scanner indexes: what a token under the size cap decodes to at
/// most. Anything longer is left to serde_json.
const MAX_INDEXED_LEN: usize = crate::jws::MAX_TOKEN_LEN / 4 * 3;

/// Index words on the stack for a payload of up to 512 bytes, the usual size; a larger one
/// gets an index for the cap. Only the index a payload needs is zeroed.
pub(super) const SMALL_INDEX_WORDS: usize = index_words(512);
pub(super) const LARGE_INDEX_WORDS: usize = index_words(MAX_INDEXED_LEN);

/// Bytes per index word: one bit each.
const BLOCK: usize = 64;

/// Words of stop bits for a text of `len` bytes: one per 64 bytes and one for the partial
/// last block, which always has a stop (past the end reads as NUL).
pub(super) const fn index_words(len: usize) -> usize {
    len / BLOCK + 1
}

/// The eight bytes at `at` as a little-endian word, bytes past the end read as `fill`.
///
/// Near the end the word is the buffer's last eight bytes shifted down, not a copy into a
/// padded array: that copy is a call to memcpy and a load that waits for byte stores, and
/// nearly every payload ends on a short string.
#[inline(always)]
pub(super) fn word_at(b: &[u8], at: usize, fill: u8) -> u64 {
    let word = |from: usize| u64::from_le_bytes(b[from..from + 8].try_into().unwrap_or([fill; 8]));
    if at + 8 <= b.len() {
        return word(at);
    }
    let rest = b.len().saturating_sub(at);
    if rest == 0 {
        return u64::from_ne_bytes([fill; 8]);
    }
    let fill_high = u64::from_ne_bytes([fill; 8]) << (8 * rest);
    if b.len() >= 8 {
        word(b.len() - 8) >> (8 * (8 - rest)) | fill_high
    } else {
        // A buffer shorter than a word: byte by byte.
        b[at..]
            .iter()
            .rev()
            .fold(0u64, |w, &byte| w << 8 | u64::from(byte))
            | fill_high
    }
}

/// The lowest byte of `w` that is `"`, `\\` or a control character, as a bit mask (its high
/// bit), or 0. One borrow chain per kind, sharing the final masks: only the lowest flagged
/// byte is exact, which is the only one used.
#[inline(always)]
fn string_stops(w: u64) -> u64 {
    ((w ^ (ONES * u64::from(b'"'))).wrapping_sub(ONES)
        | (w ^ (ONES * u64::from(b'\\'))).wrapping_sub(ONES)
        | w.wrapping_sub(ONES * 0x20))
        & !w
        & HIGHS
}

/// Every byte of `w` that is `"`, `\\` or a control character, as its high bit. Exact for
/// every byte (unlike [`string_stops`]), so that a search may start anywhere in the word: the
/// low seven bits are compared by additions that cannot carry out of their byte.
#[cfg(any(test, not(all(target_arch = "x86_64", target_feature = "sse2"))))]
#[inline(always)]
fn stop_flags(w: u64) -> u64 {
    let low = w & LOWS;
    let not_quote = (low ^ (ONES * u64::from(b'"'))) + LOWS;
    let not_backslash = (low ^ (ONES * u64::from(b'\\'))) + LOWS;
    let not_control = low + ONES * (0x80 - 0x20);
    // Bytes with the high bit set are never stops.
    !((not_quote & not_backslash & not_control) | w) & HIGHS
}

/// The stops of a 64-byte block, one bit per byte (bit `i`: byte `i`), on any target: eight
/// words of [`stop_flags`], each word's eight high bits gathered into one byte by a multiply
/// (bit `8k` lands on bit `56 + k`; no two partial products meet).
#[cfg(any(test, not(all(target_arch = "x86_64", target_feature = "sse2"))))]
#[inline(always)]
fn stop_bits_portable(block: &[u8; BLOCK]) -> u64 {
    const GATHER: u64 = 0x0102_0408_1020_4080;
    let (words, _) = block.as_chunks::<8>();
    words.iter().enumerate().fold(0, |bits, (i, word)| {
        let flags = stop_flags(u64::from_le_bytes(*word)) >> 7;
        bits | (flags.wrapping_mul(GATHER) >> 56) << (8 * i)
    })
}

/// The stops of a 64-byte block, one bit per byte, with SSE2 (the x86-64 baseline, so no
/// run-time dispatch): per 16 bytes three byte compares and `pmovmskb`, about 0.6 instructions
/// per byte where the portable words take about 1.2 and give a byte per byte. safe_arch makes
/// the intrinsics safe to call because they are compiled only where the target has SSE2.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn stop_bits_sse2(block: &[u8; BLOCK]) -> u64 {
    use safe_arch::{
        bitor_m128i, cmp_eq_mask_i8_m128i, load_unaligned_m128i, min_u8_m128i, move_mask_i8_m128i,
        set_splat_i8_m128i,
    };
    let quote = set_splat_i8_m128i(b'"' as i8);
    let backslash = set_splat_i8_m128i(b'\\' as i8);
    let last_control = set_splat_i8_m128i(0x1f);
    let (chunks, _) = block.as_chunks::<16>();
    chunks.iter().enumerate().fold(0, |bits, (i, chunk)| {
        let v = load_unaligned_m128i(chunk);
        // A control byte is one that min(v, 0x1f) leaves unchanged (unsigned).
        let stops = bitor_m128i(
            bitor_m128i(
                cmp_eq_mask_i8_m128i(v, quote),
                cmp_eq_mask_i8_m128i(v, backslash),
            ),
            cmp_eq_mask_i8_m128i(min_u8_m128i(v, last_control), v),
        );
        bits | u64::from(move_mask_i8_m128i(stops) as u16) << (16 * i)
    })
}

/// The stops of a 64-byte block, one bit per byte.
#[inline(always)]
fn stop_bits(block: &[u8; BLOCK]) -> u64 {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    return stop_bits_sse2(block);
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    return stop_bits_portable(block);
}

/// A text with the stop bit of its every byte, one word per 64 bytes: where a string's scan
/// must stop (`"`, `\\`, a control character, or the end of the text).
pub(super) struct Indexed<'a, 's> {
    pub(super) b: &'a [u8],
    stops: &'s [u64],
}

impl<'a, 's> Indexed<'a, 's> {
    /// Sets the stop bits of `b` into `stops`, which has [`index_words`]`(b.len())` words.
    pub(super) fn new(b: &'a [u8], stops: &'s mut [u64]) -> Self {
        let (blocks, rest) = b.as_chunks::<BLOCK>();
        for (bits, block) in stops.iter_mut().zip(blocks) {
            *bits = stop_bits(block);
        }
        // The partial last block reads NUL past the end, a control character: every search
        // ends there at the latest.
        if let Some(last) = stops.get_mut(blocks.len()) {
            let mut block = [0; BLOCK];
            if let Some(head) = block.get_mut(..rest.len()) {
                head.copy_from_slice(rest);
            }
            *last = stop_bits(&block);
        }
        Indexed { b, stops }
    }

    /// The position of the first `"`, `\\` or control character at or after `pos`, or a
    /// position at or past the end.
    #[inline(always)]
    pub(super) fn stop(&self, pos: usize) -> Option<usize> {
        // Most strings end in the block they start in.
        let bits = *self.stops.get(pos / BLOCK)? >> (pos % BLOCK);
        if bits != 0 {
            return Some(pos + bits.trailing_zeros() as usize);
        }
        let mut i = pos / BLOCK;
        loop {
            i += 1;
            let bits = *self.stops.get(i)?;
            if bits != 0 {
                return Some(i * BLOCK + bits.trailing_zeros() as usize);
            }
        }
    }
}

/// The position of the first `"`, `\\` or control character at or after `pos`, found without
/// an index: for the few short strings of the server's own payload.
#[inline(always)]
pub(super) fn string_stop(b: &[u8], mut pos: usize) -> Option<usize> {
    loop {
        if pos >= b.len() {
            return None;
        }
        // Past the end reads as 'a', which stops nothing.
        let hits = string_stops(word_at(b, pos, b'a'));
        if hits != 0 {
            let at = pos + (hits.trailing_zeros() / 8) as usize;
            return (at < b.len()).then_some(at);
        }
        pos += 8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn string_stop_finds_the_first_stop_byte() {
        for len in 0..40 {
            for at in 0..=len {
                for stop in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
                    let mut bytes = vec![b'a'; len];
                    // Bytes that must not stop it: high bytes and the neighbours of the stops.
                    for (i, b) in bytes.iter_mut().enumerate() {
                        *b = [b'a', 0xff, 0x80, b'#', b'!', b'[', b']', b' '][i % 8];
                    }
                    if at < len {
                        bytes[at] = stop;
                        // A later stop must not win.
                        if at + 1 < len {
                            bytes[at + 1] = b'"';
                        }
                    }
                    let expected = bytes
                        .iter()
                        .position(|&b| b == b'"' || b == b'\\' || b < 0x20);
                    for start in 0..=at.min(len) {
                        assert_eq!(
                            string_stop(&bytes, start),
                            expected.filter(|&e| e >= start),
                            "len {len} at {at} stop {stop} from {start}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn stop_flags_are_exact_for_every_byte() {
        let is_stop = |b: u8| b == b'"' || b == b'\\' || b < 0x20;
        for byte in 0..=255u8 {
            for at in 0..8 {
                // Neighbours that are stops, and ones that are not, must not change the answer.
                for fill in [b'a', b'"', 0x00, 0xff, 0x7f, b'!', b'#', b'[', b']'] {
                    let mut word = [fill; 8];
                    word[at] = byte;
                    let flags = stop_flags(u64::from_le_bytes(word));
                    for (i, &b) in word.iter().enumerate() {
                        assert_eq!(
                            flags >> (8 * i) & 0xff,
                            if is_stop(b) { 0x80 } else { 0 },
                            "byte {byte:#04x} at {at}, fill {fill:#04x}, checking {i}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn stop_bits_are_exact_for_every_byte() {
        let is_stop = |b: u8| b == b'"' || b == b'\\' || b < 0x20;
        for byte in 0..=255u8 {
            for at in 0..BLOCK {
                for fill in [b'a', b'"', 0x00, 0xff, 0x7f, 0x20, b'!', b'[', b']'] {
                    let mut block = [fill; BLOCK];
                    block[at] = byte;
                    let expected = block
                        .iter()
                        .enumerate()
                        .fold(0u64, |bits, (i, &b)| bits | u64::from(is_stop(b)) << i);
                    let context = format!("byte {byte:#04x} at {at}, fill {fill:#04x}");
                    assert_eq!(stop_bits_portable(&block), expected, "portable: {context}");
                    assert_eq!(stop_bits(&block), expected, "{context}");
                }
            }
        }
    }

    proptest! {
        /// The indexed search finds the first stop at or after any position, or answers past
        /// the end when there is none.
        #[test]
        fn indexed_stop_is_the_first_stop(
            bytes in proptest::collection::vec(
                proptest::sample::select(vec![b'a', b'"', b'\\', 0x00, 0x1f, b' ', 0x80, 0xff]),
                0..200,
            )
        ) {
            let mut stops = vec![0; index_words(bytes.len())];
            let t = Indexed::new(&bytes, &mut stops);
            for start in 0..=bytes.len() {
                let expected = bytes[start..]
                    .iter()
                    .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                    .map(|i| start + i);
                let found = t.stop(start).unwrap();
                match expected {
                    Some(at) => prop_assert_eq!(found, at),
                    None => prop_assert!(found >= bytes.len()),
                }
            }
        }
    }

    #[test]
    fn words_near_the_end_are_padded() {
        for len in 0..20 {
            let b: Vec<u8> = (1..=len as u8).collect();
            for at in 0..=len + 2 {
                let mut expected = [b'x'; 8];
                for (i, e) in expected.iter_mut().enumerate() {
                    if let Some(&byte) = b.get(at + i) {
                        *e = byte;
                    }
                }
                assert_eq!(
                    word_at(&b, at, b'x'),
                    u64::from_le_bytes(expected),
                    "{len} {at}"
                );
            }
        }
    }
}
