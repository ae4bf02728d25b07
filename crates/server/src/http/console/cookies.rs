//! Reading and setting the console's cookies. Every one is HttpOnly and SameSite=Strict, and
//! Secure whenever the console is served over TLS (see `ConsoleConfig::secure_cookies`).

use axum::http::{HeaderMap, HeaderValue, header};

/// The value of cookie `name` in the request, if present and not empty.
pub fn get<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim_matches('"'))
        .filter(|value| !value.is_empty())
}

/// A `Set-Cookie` value. `max_age_s` of `None` makes a cookie that ends with the browser
/// session; `Some(0)` removes it.
pub fn set(
    name: &str,
    value: &str,
    path: &str,
    max_age_s: Option<i64>,
    secure: bool,
) -> Option<HeaderValue> {
    let mut cookie = format!("{name}={value}; Path={path}; HttpOnly; SameSite=Strict");
    if let Some(age) = max_age_s {
        cookie.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        cookie.push_str("; Secure");
    }
    HeaderValue::from_str(&cookie).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_one_cookie_among_many() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; unipay_console=tok; lang=en"),
        );
        assert_eq!(get(&headers, "unipay_console"), Some("tok"));
        assert_eq!(get(&headers, "lang"), Some("en"));
        assert_eq!(get(&headers, "missing"), None);
        let cookie = set("lang", "en", "/console", Some(10), true).unwrap();
        assert_eq!(
            cookie.to_str().unwrap(),
            "lang=en; Path=/console; HttpOnly; SameSite=Strict; Max-Age=10; Secure"
        );
    }
}
