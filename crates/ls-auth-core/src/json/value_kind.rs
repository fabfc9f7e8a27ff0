//! The kind of a JSON value, read through serde without building the value: enough to tell a
//! claim's or header member's JSON type and to keep its string or integer, borrowing from the
//! decoded segment whenever the text has no escapes. Also the borrowed object key.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// What a header or claim value turned out to be.
#[derive(Debug, PartialEq)]
pub(crate) enum ValueKind<'de> {
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

impl<'de> Deserialize<'de> for ValueKind<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueKindVisitor)
    }
}

struct ValueKindVisitor;

impl<'de> Visitor<'de> for ValueKindVisitor {
    type Value = ValueKind<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(ValueKind::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(ValueKind::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(ValueKind::Str(Cow::Owned(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(ValueKind::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(i64::try_from(v).map_or(ValueKind::BigInt, ValueKind::Int))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(ValueKind::Float)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(ValueKind::Bool)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(ValueKind::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(ValueKind::Array)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(ValueKind::Object)
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

#[cfg(test)]
mod tests {
    use super::*;

    impl ValueKind<'_> {
        /// The JSON type name, for error messages.
        fn type_name(&self) -> &'static str {
            match self {
                ValueKind::Str(_) => "string",
                ValueKind::Int(_) | ValueKind::BigInt => "integer",
                ValueKind::Float => "float",
                ValueKind::Bool => "boolean",
                ValueKind::Null => "null",
                ValueKind::Array => "array",
                ValueKind::Object => "object",
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
            let v: ValueKind = serde_json::from_str(json).unwrap();
            assert_eq!(v.type_name(), ty, "{json}");
        }
        let big: ValueKind = serde_json::from_str("9223372036854775808").unwrap();
        assert_eq!(big, ValueKind::BigInt);
    }

    #[test]
    fn strings_borrow_unless_escaped() {
        let v: ValueKind = serde_json::from_str("\"plain\"").unwrap();
        assert!(matches!(v, ValueKind::Str(Cow::Borrowed("plain"))));
        let v: ValueKind = serde_json::from_str("\"a\\u0062\"").unwrap();
        assert!(matches!(v, ValueKind::Str(Cow::Owned(ref s)) if s == "ab"));
    }
}
