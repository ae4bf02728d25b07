//! The URLs a merchant gives us to call back or send the consumer to (`notify_url`,
//! `return_url`): absolute http(s) URLs, kept exactly as given so that what the merchant sent
//! is what we call and show.

use std::fmt;

/// The longest URL kept: a column's width, and more than any callback needs.
pub const MAX_URL_LEN: usize = 512;

/// An absolute `http://` or `https://` URL of at most [`MAX_URL_LEN`] bytes, without white
/// space or control characters, that the `url` crate reads with a host.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HttpUrl(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be an absolute http(s) URL of at most 512 characters")]
pub struct HttpUrlError;

impl HttpUrl {
    pub fn parse(text: &str) -> Result<HttpUrl, HttpUrlError> {
        let plain = text.len() <= MAX_URL_LEN
            && (text.starts_with("http://") || text.starts_with("https://"))
            && !text.chars().any(|c| c.is_whitespace() || c.is_control());
        if !plain {
            return Err(HttpUrlError);
        }
        let parsed = url::Url::parse(text).map_err(|_| HttpUrlError)?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
            return Err(HttpUrlError);
        }
        Ok(HttpUrl(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for HttpUrl {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<HttpUrl> for String {
    fn from(url: HttpUrl) -> String {
        url.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_and_https_urls_are_kept_as_given() {
        for text in [
            "http://127.0.0.1:1/notify",
            "https://shop.example/return?order=1&x=%20",
            "HTTPS://Shop.Example",
        ] {
            let kept = HttpUrl::parse(text).map(HttpUrl::into_string);
            if text.starts_with("HTTPS") {
                // The prefix is matched as written: an upper-case scheme is refused, as before.
                assert_eq!(kept, Err(HttpUrlError));
            } else {
                assert_eq!(kept.as_deref(), Ok(text));
            }
        }
    }

    #[test]
    fn anything_else_is_refused() {
        let long = format!("https://shop.example/{}", "a".repeat(MAX_URL_LEN));
        for text in [
            "",
            "ftp://shop.example/",
            "shop.example/notify",
            "https://shop.example/a b",
            "https://shop.example/\n",
            "http://",
            long.as_str(),
        ] {
            assert_eq!(HttpUrl::parse(text), Err(HttpUrlError), "{text:?}");
        }
    }
}
