//! A JSON object whose member names are unique (RFC 8259 §4 says they SHOULD be; JWS, JWK and
//! our contract §3.3 say they MUST): serde_json alone keeps the last of a repeated name
//! silently, which would let two readers of the same text see different values.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

/// A JSON object's members in order, refused when a name repeats (RFC 7517 §4 and §5: member
/// names MUST be unique; serde_json would keep the last silently).
pub(crate) struct Members(pub(crate) Vec<(String, Value)>);

impl<'de> de::Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Members;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                let mut out: Vec<(String, Value)> = Vec::new();
                while let Some(name) = map.next_key::<String>()? {
                    if out.iter().any(|(n, _)| *n == name) {
                        return Err(de::Error::custom("duplicate member"));
                    }
                    let value = map.next_value::<Value>()?;
                    out.push((name, value));
                }
                Ok(Members(out))
            }
        }
        d.deserialize_map(V)
    }
}

impl Members {
    /// The value of the member `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&Value> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// The members as a map, in their order.
    pub(crate) fn into_map(self) -> Map<String, Value> {
        self.0.into_iter().collect()
    }
}
