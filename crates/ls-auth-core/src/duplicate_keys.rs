//! Duplicate object keys (SPEC §3.3): the keys of one object remembered without allocating
//! for the usual handful.

use std::borrow::Cow;

/// Remembers the keys of one object to refuse duplicates (SPEC §3.3) without allocating for
/// the usual handful of keys. Past those, keys go to a sorted list: binary search costs less
/// than hashing every key of a token with a hundred claims.
pub(crate) struct SeenKeys<'de> {
    inline: [Option<Cow<'de, str>>; 8],
    len: usize,
    sorted: Vec<Cow<'de, str>>,
}

impl<'de> SeenKeys<'de> {
    pub(crate) fn new() -> Self {
        SeenKeys {
            inline: Default::default(),
            len: 0,
            sorted: Vec::new(),
        }
    }

    /// Records `key`; returns false when it was already there.
    pub(crate) fn insert(&mut self, key: Cow<'de, str>) -> bool {
        if self.len < self.inline.len() {
            if self.inline[..self.len]
                .iter()
                .any(|k| k.as_deref() == Some(&*key))
            {
                return false;
            }
            self.inline[self.len] = Some(key);
            self.len += 1;
            return true;
        }
        if self.sorted.is_empty() {
            self.sorted = self.inline.iter_mut().filter_map(Option::take).collect();
            self.sorted.sort_unstable();
        }
        match self.sorted.binary_search(&key) {
            Ok(_) => false,
            Err(at) => {
                self.sorted.insert(at, key);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_keys_spill_past_the_inline_slots() {
        let mut seen = SeenKeys::new();
        for i in 0..20 {
            assert!(seen.insert(Cow::Owned(format!("k{i}"))));
        }
        assert!(!seen.insert(Cow::Borrowed("k3")));
        assert!(!seen.insert(Cow::Borrowed("k19")));
        assert!(seen.insert(Cow::Borrowed("k20")));
    }
}
