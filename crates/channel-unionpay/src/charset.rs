//! The byte encoding of a message: the request's `encoding` field names it, and the bank
//! answers and notifies in the same one.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Charset {
    #[default]
    Utf8,
    /// For merchants whose account is configured so; the reconciliation file is GBK always.
    Gbk,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CharsetError {
    #[error("unknown encoding {0:?} (expected UTF-8 or GBK)")]
    Unknown(String),
    #[error("text has characters {0} cannot encode")]
    Unencodable(&'static str),
    #[error("bytes are not valid {0}")]
    Undecodable(&'static str),
}

impl Charset {
    /// The value for the `encoding` field.
    pub fn name(self) -> &'static str {
        match self {
            Charset::Utf8 => "UTF-8",
            Charset::Gbk => "GBK",
        }
    }

    /// Reads an `encoding` value. The bank echoes whatever case the request used (`utf-8`
    /// is seen in real traffic), so case is ignored.
    pub fn parse(name: &str) -> Result<Charset, CharsetError> {
        let name = name.trim();
        if name.eq_ignore_ascii_case("UTF-8") || name.eq_ignore_ascii_case("UTF8") {
            Ok(Charset::Utf8)
        } else if name.eq_ignore_ascii_case("GBK") {
            Ok(Charset::Gbk)
        } else {
            Err(CharsetError::Unknown(name.to_string()))
        }
    }

    /// The bytes that are hashed and sent. A character GBK lacks is an error rather than a
    /// `&#NNNN;` escape: the bank would sign and echo other text than ours.
    pub fn encode(self, text: &str) -> Result<Vec<u8>, CharsetError> {
        match self {
            Charset::Utf8 => Ok(text.as_bytes().to_vec()),
            Charset::Gbk => {
                let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
                if unmappable {
                    return Err(CharsetError::Unencodable("GBK"));
                }
                Ok(bytes.into_owned())
            }
        }
    }

    /// Text from bytes; invalid bytes are an error, never replaced (the text is verified).
    pub fn decode(self, bytes: &[u8]) -> Result<String, CharsetError> {
        match self {
            Charset::Utf8 => std::str::from_utf8(bytes)
                .map(str::to_string)
                .map_err(|_| CharsetError::Undecodable("UTF-8")),
            Charset::Gbk => encoding_rs::GBK
                .decode_without_bom_handling_and_without_replacement(bytes)
                .map(|text| text.into_owned())
                .ok_or(CharsetError::Undecodable("GBK")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_read_in_any_case() {
        assert_eq!(Charset::parse("utf-8"), Ok(Charset::Utf8));
        assert_eq!(Charset::parse("UTF-8"), Ok(Charset::Utf8));
        assert_eq!(Charset::parse("gbk"), Ok(Charset::Gbk));
        assert!(Charset::parse("ISO-8859-1").is_err());
    }

    #[test]
    fn gbk_round_trips_chinese_and_refuses_what_it_lacks() {
        let bytes = Charset::Gbk.encode("成功").unwrap();
        assert_eq!(bytes, vec![0xB3, 0xC9, 0xB9, 0xA6]);
        assert_eq!(Charset::Gbk.decode(&bytes).unwrap(), "成功");
        assert!(Charset::Gbk.encode("😀").is_err());
        assert!(Charset::Utf8.decode(&[0xB3, 0xC9]).is_err());
    }
}
