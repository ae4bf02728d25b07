//! A message as UnionPay sees it: named text fields. Kept sorted by key, byte order (= code
//! point order, "按ascii排序"), which is the order of the string that is signed.

use std::collections::BTreeMap;

/// The field that carries the signature: the one field never signed.
pub const SIGNATURE: &str = "signature";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields(BTreeMap<String, String>);

impl Fields {
    pub fn new() -> Fields {
        Fields::default()
    }

    /// Sets a field, trimmed; a blank value removes it. The SDKs never send (nor sign) an
    /// empty field and trim the rest before signing, so a blank value is the same as none.
    pub fn set(&mut self, key: &str, value: impl AsRef<str>) {
        let value = value.as_ref().trim();
        if value.is_empty() {
            self.0.remove(key);
        } else {
            self.0.insert(key.to_string(), value.to_string());
        }
    }

    /// Sets a field only when there is a value.
    pub fn set_optional(&mut self, key: &str, value: Option<impl AsRef<str>>) {
        if let Some(value) = value {
            self.set(key, value);
        }
    }

    /// Stores a received value exactly as it came, empty or not (received text is verified,
    /// never trimmed).
    pub(crate) fn insert_received(&mut self, key: String, value: String) -> Option<String> {
        self.0.insert(key, value)
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    pub fn remove(&mut self, key: &str) -> Option<String> {
        self.0.remove(key)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// In key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The string to sign: every field but `signature`, sorted by key, joined as `k=v&k=v`
    /// with values raw (no URL encoding, no escaping: braces, Chinese text and the CR LF
    /// inside `signPubKeyCert` stay as they are). Fields built here are never empty; an
    /// empty field received in an answer is signed as `k=`, as the SDKs verify it.
    pub fn string_to_sign(&self) -> String {
        let mut out = String::new();
        for (key, value) in self.iter() {
            if key == SIGNATURE {
                continue;
            }
            if !out.is_empty() {
                out.push('&');
            }
            out.push_str(key);
            out.push('=');
            out.push_str(value);
        }
        out
    }
}

impl<K: AsRef<str>, V: AsRef<str>> FromIterator<(K, V)> for Fields {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(pairs: I) -> Fields {
        let mut fields = Fields::new();
        for (key, value) in pairs {
            fields.set(key.as_ref(), value);
        }
        fields
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_to_sign_sorts_by_code_point_skips_signature_and_keeps_values_raw() {
        let fields: Fields = [
            ("version", "5.1.0"),
            ("sysReserved", "{aaa=a&bbb=b}"),
            ("merId", "888888888888888"),
            ("Zeta", "upper case sorts first"),
            ("signature", "xyz"),
            ("blank", "  "),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            fields.string_to_sign(),
            "Zeta=upper case sorts first&merId=888888888888888&sysReserved={aaa=a&bbb=b}&version=5.1.0"
        );
    }

    #[test]
    fn an_empty_received_value_is_signed_as_received() {
        let mut fields = Fields::new();
        fields.insert_received("a".to_string(), String::new());
        fields.insert_received("b".to_string(), " 1 ".to_string());
        assert_eq!(fields.string_to_sign(), "a=&b= 1 ");
    }

    #[test]
    fn values_are_trimmed_and_blank_values_dropped() {
        let mut fields = Fields::new();
        fields.set("orderId", " 123 ");
        fields.set("reqReserved", "");
        assert_eq!(fields.get("orderId"), Some("123"));
        assert!(!fields.contains("reqReserved"));
        fields.set("orderId", "");
        assert!(fields.is_empty());
    }
}
