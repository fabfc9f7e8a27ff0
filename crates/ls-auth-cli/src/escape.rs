//! What the CLI prints is made inert before it reaches a terminal.
//!
//! Much of it comes from elsewhere: a server's `detail`, a user's e-mail, a token's unverified
//! claims. A terminal acts on control characters (OSC 52 writes the clipboard, CSI sequences
//! redraw the screen or forge earlier lines) and bidi controls reorder what is shown, so every
//! line goes through [`line()`] on its way out and every JSON document through [`json`]: an
//! escape at the sink cannot be forgotten at a new call site.

use std::borrow::Cow;
use std::fmt::Write;

/// Characters a terminal may act on or that change how a line reads: C0 (newline included: a
/// line of output is one line), DEL, C1, the bidi embeddings, overrides, isolates and marks,
/// and the Unicode line and paragraph separators.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{2028}' | '\u{2029}' | '\u{202a}'
                ..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// One line of text, with each unsafe character written as `\xHH` (C0, DEL) or `\u{HHHH}`.
pub fn line(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            c if !is_unsafe(c) => out.push(c),
            c if (c as u32) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\u{{{:04x}}}", c as u32);
            }
        }
    }
    Cow::Owned(out)
}

/// A serialized JSON document with its unsafe characters written as `\uHHHH` escapes. serde
/// already escapes C0 inside strings, and JSON's own syntax is ASCII, so whatever is left can
/// only sit inside a string, where the escape denotes the very same character: the document
/// parses to the same value.
pub fn json(document: &str) -> Cow<'_, str> {
    let unsafe_here = |c: char| is_unsafe(c) && c != '\n';
    if !document.chars().any(unsafe_here) {
        return Cow::Borrowed(document);
    }
    let mut out = String::with_capacity(document.len() + 8);
    for c in document.chars() {
        if unsafe_here(c) {
            // Every unsafe character is in the basic plane: one escape each, no surrogates.
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_lose_every_control_and_bidi_character() {
        assert_eq!(line("plain é ✓ …"), "plain é ✓ …");
        assert_eq!(
            line("\u{1b}]52;c;eA==\u{7}\u{1b}[2J\u{7f}\u{9b}\u{202e}a\nb\tc\r"),
            "\\x1b]52;c;eA==\\x07\\x1b[2J\\x7f\\u{009b}\\u{202e}a\\x0ab\\x09c\\x0d"
        );
        for c in [
            '\u{61c}', '\u{200e}', '\u{200f}', '\u{2028}', '\u{2029}', '\u{202a}', '\u{2066}',
            '\u{2069}', '\u{85}', '\0',
        ] {
            assert!(!line(&c.to_string()).contains(c), "{c:?}");
        }
    }

    #[test]
    fn json_stays_the_same_value() {
        let value = serde_json::json!({
            "detail": "\u{1b}[2J\u{7f}\u{9b}\u{202e}\u{2028}x\n",
            "\u{202e}key": ["\u{85}"],
        });
        for document in [format!("{value}"), format!("{value:#}")] {
            let escaped = json(&document);
            assert!(
                !escaped.chars().any(|c| is_unsafe(c) && c != '\n'),
                "{escaped}"
            );
            let back: serde_json::Value = serde_json::from_str(&escaped).unwrap();
            assert_eq!(back, value);
        }
    }
}
