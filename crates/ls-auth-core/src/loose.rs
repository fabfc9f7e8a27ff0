//! A JSON value seen without allocating: enough to tell a claim's type and read strings and
//! integers, borrowing from the decoded segment whenever the text has no escapes.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// What a header or claim value turned out to be.
#[derive(Debug, PartialEq)]
pub(crate) enum Loose<'de> {
    Str(Cow<'de, str>),
    /// A JSON integer that fits `i64`.
    Int(i64),
    /// A JSON integer above `i64::MAX`.
    BigInt,
    Float,
    Bool,
    Null,
    Array,
    Object,
}

impl<'de> Deserialize<'de> for Loose<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LooseVisitor)
    }
}

struct LooseVisitor;

impl<'de> Visitor<'de> for LooseVisitor {
    type Value = Loose<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Loose::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Loose::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Loose::Str(Cow::Owned(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Loose::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(i64::try_from(v).map_or(Loose::BigInt, Loose::Int))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Loose::Float)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Loose::Bool)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Loose::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Loose::Array)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Loose::Object)
    }
}

/// An object key, borrowed when it has no escapes.
pub(crate) struct Key<'de>(pub(crate) Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

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

    impl Loose<'_> {
        /// The JSON type name, for error messages.
        fn type_name(&self) -> &'static str {
            match self {
                Loose::Str(_) => "string",
                Loose::Int(_) | Loose::BigInt => "integer",
                Loose::Float => "float",
                Loose::Bool => "boolean",
                Loose::Null => "null",
                Loose::Array => "array",
                Loose::Object => "object",
            }
        }
    }

    #[test]
    fn types_are_told_apart() {
        let cases = [
            ("\"x\"", "string"),
            ("12", "integer"),
            ("-3", "integer"),
            ("18446744073709551615", "integer"),
            ("1.0", "float"),
            ("1e300", "float"),
            ("true", "boolean"),
            ("null", "null"),
            ("[1,[2]]", "array"),
            ("{\"a\":{}}", "object"),
        ];
        for (json, ty) in cases {
            let v: Loose = serde_json::from_str(json).unwrap();
            assert_eq!(v.type_name(), ty, "{json}");
        }
        let big: Loose = serde_json::from_str("9223372036854775808").unwrap();
        assert_eq!(big, Loose::BigInt);
    }

    #[test]
    fn strings_borrow_unless_escaped() {
        let v: Loose = serde_json::from_str("\"plain\"").unwrap();
        assert!(matches!(v, Loose::Str(Cow::Borrowed("plain"))));
        let v: Loose = serde_json::from_str("\"a\\u0062\"").unwrap();
        assert!(matches!(v, Loose::Str(Cow::Owned(ref s)) if s == "ab"));
    }

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
