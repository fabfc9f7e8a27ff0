//! Reading and writing the JSON of tokens: the claims scanner and its stop index, the
//! duplicate-key rule, the kinds of values, and PyJWT's way of writing values. The domain
//! modules (claims, jws, issue) use these; nothing here knows what a claim means.

pub(crate) mod duplicate_keys;
pub(crate) mod members;
pub(crate) mod pyjwt_json;
pub(crate) mod scanner;
mod stop_index;
pub(crate) mod value_kind;
