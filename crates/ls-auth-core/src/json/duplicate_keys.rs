//! Duplicate object keys (contract §3.3): the keys of one object remembered, without allocating
//! for the usual handful and at a near-constant cost per key for a hundred.

use std::borrow::Cow;
use std::collections::BTreeSet;

/// Keys compared one by one before a table is worth building.
const INLINE: usize = 8;

/// Remembers the keys of one object to refuse duplicates.
///
/// The first eight are compared directly. Past those, keys go into an open-addressing table
/// under a multiplicative hash of all their bytes: a sorted list cost a binary search and a
/// shift of half the list per key (about 30 ns a claim at a hundred claims), the table a hash
/// and usually one comparison. The hash has no secret seed, so keys chosen to collide would
/// make probing quadratic; past a budget of probes the keys move to a B-tree, whose cost
/// does not depend on the keys.
pub(crate) struct SeenKeys<'de> {
    inline: [Option<Cow<'de, str>>; INLINE],
    len: usize,
    spill: Option<Box<Spill<'de>>>,
}

struct Spill<'de> {
    keys: Vec<Cow<'de, str>>,
    /// Indices into `keys`, plus one; 0 is an empty slot. Its length is a power of two.
    slots: Vec<u32>,
    probes: usize,
    /// Set once the probe budget is spent; then it alone holds the keys.
    tree: Option<BTreeSet<Cow<'de, str>>>,
}

impl<'de> SeenKeys<'de> {
    pub(crate) fn new() -> Self {
        SeenKeys {
            inline: Default::default(),
            len: 0,
            spill: None,
        }
    }

    /// Records `key`; returns false when it was already there.
    pub(crate) fn insert(&mut self, key: Cow<'de, str>) -> bool {
        if self.len < INLINE {
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
        let inline = &mut self.inline;
        self.spill
            .get_or_insert_with(|| {
                let mut spill = Box::new(Spill {
                    keys: Vec::with_capacity(4 * INLINE),
                    slots: vec![0; 8 * INLINE],
                    probes: 0,
                    tree: None,
                });
                for key in inline.iter_mut().filter_map(Option::take) {
                    spill.insert(key);
                }
                spill
            })
            .insert(key)
    }
}

impl<'de> Spill<'de> {
    fn insert(&mut self, key: Cow<'de, str>) -> bool {
        if let Some(tree) = &mut self.tree {
            return tree.insert(key);
        }
        if 2 * (self.keys.len() + 1) > self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut at = slot_of(key.as_bytes(), self.slots.len());
        loop {
            match self.slots[at] {
                0 => break,
                i if self.keys[i as usize - 1] == key => return false,
                _ => {
                    self.probes += 1;
                    at = (at + 1) & mask;
                }
            }
        }
        // A few collisions are normal; this many means keys that share a hash.
        if self.probes > 4 * self.keys.len() + 64 {
            let mut tree: BTreeSet<_> = self.keys.drain(..).collect();
            let fresh = tree.insert(key);
            self.tree = Some(tree);
            return fresh;
        }
        self.keys.push(key);
        // Keys in a 4 KiB token number far fewer than u32::MAX.
        self.slots[at] = u32::try_from(self.keys.len()).unwrap_or(u32::MAX);
        true
    }

    fn grow(&mut self) {
        let size = self.slots.len() * 2;
        let mask = size - 1;
        let mut slots = vec![0u32; size];
        for (i, key) in self.keys.iter().enumerate() {
            let mut at = slot_of(key.as_bytes(), size);
            while slots[at] != 0 {
                at = (at + 1) & mask;
            }
            slots[at] = u32::try_from(i + 1).unwrap_or(u32::MAX);
        }
        self.slots = slots;
    }
}

/// The slot for `key` in a table of `size` (a power of two) slots: every byte of the key,
/// eight at a time, mixed by multiplication (the constant of rustc's FxHash); the top bits
/// of the product are the best mixed. A key's last partial word is read as the overlapping
/// last eight bytes, or assembled from two overlapping halves: copying it into a buffer first
/// costs a call and a stalled load (byte stores read back as one word) per key.
#[inline]
fn slot_of(key: &[u8], size: usize) -> usize {
    index(hash(key), size)
}

/// The slot of a hash in a table of `size` (a power of two) slots: its top bits.
#[inline(always)]
fn index(hash: u64, size: usize) -> usize {
    (hash >> (64 - size.trailing_zeros())) as usize
}

/// The hash whose top bits [`slot_of`] takes.
#[inline]
fn hash(key: &[u8]) -> u64 {
    const K: u64 = 0xf135_7aea_2e62_a9c5;
    let mix = |h: u64, w: u64| (h.rotate_left(26) ^ w).wrapping_mul(K);
    let len = key.len();
    let word = |at: usize| u64::from_le_bytes(key[at..at + 8].try_into().unwrap_or([0; 8]));
    let half = |at: usize| {
        u64::from(u32::from_le_bytes(
            key[at..at + 4].try_into().unwrap_or([0; 4]),
        ))
    };
    let mut h = (len as u64).wrapping_mul(K);
    if len >= 8 {
        // Keys of up to 16 bytes, most of them, in two words with no loop to set up.
        let mut at = 0;
        while at + 16 < len {
            h = mix(h, word(at));
            at += 8;
        }
        h = mix(mix(h, word(at)), word(len - 8));
    } else if len >= 4 {
        h = mix(h, half(0) | half(len - 4) << 32);
    } else if len > 0 {
        h = mix(
            h,
            u64::from(key[0]) | u64::from(key[len / 2]) << 8 | u64::from(key[len - 1]) << 16,
        );
    }
    h
}

/// Slots of the table a [`KeySet`] keeps on the stack: room for 128 keys at half load, one
/// kilobyte to zero.
const STACK_SLOTS: usize = 256;

/// Bits of a slot for a key's offset plus one, and for its length: payloads under the token
/// cap decode to less than 4 KiB.
const FIELD_BITS: u32 = 12;
const FIELD: usize = 1 << FIELD_BITS;

/// The member names of one payload as the claims scanner meets them: all borrowed from the
/// payload, none escaped. The same hashing as [`SeenKeys`], in a table whose slots are one
/// `u32` each (eight bits of the key's hash, its length, its offset in the payload) and
/// whose first 256 are on the stack: a token with up to 128 custom claims checks them
/// without allocating, a larger one allocates a table four times as large (then again as
/// needed). A slot of four bytes instead of a hash and a slice (24) keeps the table small
/// enough to clear for every payload that has custom claims at all.
///
/// It answers for the fast path only: when keys collide past the probe budget it gives up
/// (`insert` returns false, as for a duplicate) and the caller falls back to serde_json and
/// [`SeenKeys`], which decide.
pub(crate) struct KeySet<'a> {
    payload: &'a [u8],
    stack: [u32; STACK_SLOTS],
    heap: Vec<u32>,
    len: usize,
    probes: usize,
}

impl<'a> KeySet<'a> {
    /// An empty set of keys, all of which will be slices of `payload`.
    pub(crate) fn new(payload: &'a [u8]) -> Self {
        KeySet {
            payload,
            stack: [0; STACK_SLOTS],
            heap: Vec::new(),
            len: 0,
            probes: 0,
        }
    }

    /// Records `key`, which is `payload[at..at + key.len()]`. False when it is already there,
    /// or when the probe budget is spent.
    #[inline]
    pub(crate) fn insert(&mut self, at: usize, key: &[u8]) -> bool {
        let len = key.len();
        // Offsets and lengths fit their fields in any payload the scanner reads (at most
        // 3 KiB): one comparison keeps a longer one out.
        if at + len >= FIELD {
            return false;
        }
        if 2 * (self.len + 1) > self.slots().len() {
            self.grow();
        }
        let hash = hash(key);
        let slot = slot_for(hash, at, len);
        let slots: &mut [u32] = if self.heap.is_empty() {
            &mut self.stack
        } else {
            &mut self.heap
        };
        let mask = slots.len() - 1;
        let mut i = index(hash, slots.len());
        loop {
            let other = slots[i];
            if other == 0 {
                break;
            }
            // The same tag and length: compare the bytes.
            if other >> FIELD_BITS == slot >> FIELD_BITS {
                let other_at = (other as usize & (FIELD - 1)) - 1;
                if self.payload.get(other_at..other_at + len) == Some(key) {
                    return false;
                }
            }
            self.probes += 1;
            if self.probes > 4 * self.len + 64 {
                return false;
            }
            i = (i + 1) & mask;
        }
        slots[i] = slot;
        self.len += 1;
        true
    }

    fn slots(&self) -> &[u32] {
        if self.heap.is_empty() {
            &self.stack
        } else {
            &self.heap
        }
    }

    #[cold]
    fn grow(&mut self) {
        let size = 4 * self.slots().len();
        let mut heap = vec![0; size];
        let mask = size - 1;
        for &slot in self.slots().iter().filter(|&&s| s != 0) {
            let len = (slot >> FIELD_BITS) as usize & (FIELD - 1);
            let at = (slot as usize & (FIELD - 1)) - 1;
            let mut i = index(hash(&self.payload[at..at + len]), size);
            while heap[i] != 0 {
                i = (i + 1) & mask;
            }
            heap[i] = slot;
        }
        self.heap = heap;
    }
}

/// A slot of a [`KeySet`]: eight bits of the hash other than those that pick the slot (the
/// top ones), the key's length, its offset plus one (so that 0 is an empty slot).
#[inline(always)]
fn slot_for(hash: u64, at: usize, len: usize) -> u32 {
    let tag = (hash >> 32) as u32 & 0xff;
    tag << (2 * FIELD_BITS) | (len as u32) << FIELD_BITS | (at as u32 + 1)
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

    #[test]
    fn many_keys_through_table_growth() {
        let mut seen = SeenKeys::new();
        let keys: Vec<String> = (0..700).map(|i| format!("claim_{i:03}")).collect();
        for k in &keys {
            assert!(seen.insert(Cow::Borrowed(k)), "{k}");
        }
        for k in &keys {
            assert!(!seen.insert(Cow::Borrowed(k)), "{k}");
        }
        assert!(seen.spill.as_ref().unwrap().tree.is_none(), "no pile-up");
        // Prefixes of one another and the empty key are all distinct.
        let mut seen = SeenKeys::new();
        for n in 0..40 {
            assert!(seen.insert(Cow::Owned("x".repeat(n))));
        }
        assert!(!seen.insert(Cow::Borrowed("")));
        assert!(!seen.insert(Cow::Owned("x".repeat(17))));
    }

    /// `keys` written one after another into one payload, and where each starts.
    fn payload_of(keys: &[String]) -> (String, Vec<(usize, usize)>) {
        let mut payload = String::new();
        let mut at = Vec::new();
        for k in keys {
            at.push((payload.len(), k.len()));
            payload.push_str(k);
        }
        (payload, at)
    }

    #[test]
    fn key_set_through_stack_and_heap() {
        let mut keys: Vec<String> = (0..300).map(|i| format!("claim_{i:03}")).collect();
        keys.push(String::new());
        let (payload, at) = payload_of(&keys);
        let p = payload.as_bytes();
        let mut set = KeySet::new(p);
        for i in 0..300 {
            let (start, len) = at[i];
            assert!(set.insert(start, &p[start..start + len]), "{}", keys[i]);
            let (start, len) = at[i / 2];
            assert!(!set.insert(start, &p[start..start + len]), "{}", keys[i]);
        }
        // A key equal to a prefix of another is distinct from it, and the empty key is a key.
        assert!(set.insert(at[5].0, &p[at[5].0..at[5].0 + 5]));
        assert!(!set.insert(at[7].0, &p[at[7].0..at[7].0 + 5]));
        let (start, len) = at[300];
        assert!(set.insert(start, &p[start..start + len]));
        assert!(!set.insert(start, &p[start..start + len]));
    }

    #[test]
    fn key_set_finds_the_same_key_anywhere() {
        let p = b"abcdefghij-abcdefghij-abcdefghiX-abcdefghijklmnopqrstuvwxyz-abcdefghijklmnopqrstuvwxyZ";
        let mut set = KeySet::new(p);
        assert!(set.insert(0, &p[0..10]));
        assert!(!set.insert(11, &p[11..21]), "same bytes at another offset");
        assert!(set.insert(22, &p[22..32]), "one byte differs");
        assert!(set.insert(1, &p[1..10]));
        assert!(!set.insert(12, &p[12..21]));
        // Long keys, hashed word by word, equal up to their last byte.
        assert!(set.insert(33, &p[33..59]));
        assert!(set.insert(60, &p[60..86]));
        assert!(!set.insert(33, &p[33..59]));
    }

    #[test]
    fn key_set_gives_up_on_colliding_keys() {
        let target = slot_of(b"seed", STACK_SLOTS);
        let colliding: Vec<String> = (0..)
            .map(|i| format!("c{i}"))
            .filter(|k| slot_of(k.as_bytes(), STACK_SLOTS) == target)
            .take(80)
            .collect();
        let (payload, at) = payload_of(&colliding);
        let p = payload.as_bytes();
        let mut set = KeySet::new(p);
        let accepted = at
            .iter()
            .take_while(|&&(start, len)| set.insert(start, &p[start..start + len]))
            .count();
        assert!(accepted < colliding.len(), "the probe budget ends it");
    }

    #[test]
    fn colliding_keys_move_to_the_tree() {
        // Keys that land in one slot of the first table: probing would grow quadratically.
        let size = 8 * INLINE;
        let target = slot_of(b"seed", size);
        let colliding: Vec<String> = (0..)
            .map(|i| format!("c{i}"))
            .filter(|k| slot_of(k.as_bytes(), size) == target)
            .take(30)
            .collect();
        let mut seen = SeenKeys::new();
        for k in &colliding {
            assert!(seen.insert(Cow::Borrowed(k)));
        }
        assert!(
            seen.spill.as_ref().unwrap().tree.is_some(),
            "probe budget spent"
        );
        for k in &colliding {
            assert!(!seen.insert(Cow::Borrowed(k)));
        }
        assert!(seen.insert(Cow::Borrowed("fresh")));
    }
}
