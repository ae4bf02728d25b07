//! A payment's metadata: the JSON object the merchant gave, passed through as written. The
//! server keeps it as text; answering it as raw JSON spares parsing it on every read.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use std::borrow::Cow;

/// JSON text known to be an object (the server checked it when the payment was created).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata<'a>(Cow<'a, str>);

impl<'a> Metadata<'a> {
    /// Text that is already known to be a JSON object, such as what the server stored.
    pub fn from_checked(text: impl Into<Cow<'a, str>>) -> Metadata<'a> {
        Metadata(text.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The metadata parsed, for callers that look inside it.
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::from_str(&self.0).unwrap_or(serde_json::Value::Null)
    }
}

impl Serialize for Metadata<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Borrowing the text as a raw value checks it without copying it.
        let raw: &RawValue = serde_json::from_str(&self.0).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

impl<'de, 'a> Deserialize<'de> for Metadata<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        if !raw.get().trim_start().starts_with('{') {
            return Err(D::Error::custom("metadata must be a JSON object"));
        }
        Ok(Metadata(Cow::Owned(raw.get().to_string())))
    }
}
