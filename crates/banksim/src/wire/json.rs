//! A small writer for an answer's TrxResponse, so that every field name comes from a constant
//! (see [`super::names`]) and fields stay in the order written (serde_json's own maps sort).
//! Values are strings, escaped as JSON; the simulator puts only safe text in them (the real
//! client's naive scanner reads no escapes and stops at `}`).

/// A JSON object under construction.
#[derive(Debug, Clone, Default)]
pub struct Obj {
    text: String,
}

impl Obj {
    pub fn new() -> Obj {
        Obj::default()
    }

    /// `"key":"value"`.
    pub fn s(mut self, key: &str, value: &str) -> Obj {
        self.key(key);
        self.text.push_str(&quote(value));
        self
    }

    /// `"key":[{…},…]`.
    pub fn list(mut self, key: &str, items: Vec<Obj>) -> Obj {
        self.key(key);
        self.text.push('[');
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                self.text.push(',');
            }
            self.text.push_str(&item.finish());
        }
        self.text.push(']');
        self
    }

    /// `"key":{…}`.
    pub fn obj(mut self, key: &str, value: Obj) -> Obj {
        self.key(key);
        self.text.push_str(&value.finish());
        self
    }

    fn key(&mut self, key: &str) {
        if !self.text.is_empty() {
            self.text.push(',');
        }
        self.text.push_str(&quote(key));
        self.text.push(':');
    }

    /// The object's text.
    pub fn finish(self) -> String {
        format!("{{{}}}", self.text)
    }
}

fn quote(text: &str) -> String {
    // Serialising a string cannot fail; the fallback keeps the object well-formed regardless.
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_in_order() {
        let text = Obj::new()
            .s("B", "1")
            .s("A", "\"")
            .list("L", vec![Obj::new().s("x", "y"), Obj::new()])
            .finish();
        assert_eq!(text, r#"{"B":"1","A":"\"","L":[{"x":"y"},{}]}"#);
    }
}
