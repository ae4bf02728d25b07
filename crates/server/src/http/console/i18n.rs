//! The console's two languages. Every visible word comes from `i18n/en.toml` or
//! `i18n/zh-CN.toml` (flat `key = "text"`), compiled into the binary and read once.

use axum::http::HeaderMap;
use std::collections::BTreeMap;
use std::sync::OnceLock;

pub const EN_CATALOGUE: &str = include_str!("../../../i18n/en.toml");
pub const ZH_CN_CATALOGUE: &str = include_str!("../../../i18n/zh-CN.toml");

/// The cookie that remembers a chosen language.
pub const LANG_COOKIE: &str = "lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    ZhCn,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::ZhCn, Lang::En];

    /// As in `<html lang>`, the cookie and `/console/lang/{code}`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|lang| lang.code() == code)
    }

    /// The `lang` cookie if set, else the browser's first language we have, else Chinese.
    pub fn from_headers(headers: &HeaderMap) -> Lang {
        if let Some(lang) = super::cookies::get(headers, LANG_COOKIE).and_then(Lang::parse) {
            return lang;
        }
        headers
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(Lang::from_accept_language)
            .unwrap_or(Lang::ZhCn)
    }

    /// The highest-weighted language of an `Accept-Language` header that we have.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(u16, Lang)> = None;
        for part in header.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let weight = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            // Weights have three decimals at most; as thousandths they compare exactly.
            let weight = (weight.clamp(0.0, 1.0) * 1000.0) as u16;
            let lang = if tag == "zh" || tag.starts_with("zh-") {
                Lang::ZhCn
            } else if tag == "en" || tag.starts_with("en-") {
                Lang::En
            } else {
                continue;
            };
            if weight > 0 && best.is_none_or(|(w, _)| weight > w) {
                best = Some((weight, lang));
            }
        }
        best.map(|(_, lang)| lang)
    }

    pub fn tr(self) -> Tr {
        Tr { lang: self }
    }
}

/// Looks words up in one language's catalogue; what templates call as `t.get("key")`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    /// The text of `key`; a missing key shows as itself (a test keeps that from happening).
    pub fn get<'k>(&self, key: &'k str) -> &'k str {
        catalogue(self.lang)
            .get(key)
            .map(String::as_str)
            .unwrap_or(key)
    }

    /// The text of `key` with each `{name}` replaced by its value.
    pub fn fill(&self, key: &str, values: &[(&str, &str)]) -> String {
        let mut text = self.get(key).to_string();
        for (name, value) in values {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// Whether the catalogue has `key` (for keys that arrive from outside, like a flash).
    pub fn has(&self, key: &str) -> bool {
        catalogue(self.lang).contains_key(key)
    }

    pub fn lang(&self) -> &'static str {
        self.lang.code()
    }
}

fn catalogue(lang: Lang) -> &'static BTreeMap<String, String> {
    static EN: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    static ZH_CN: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    let (cell, text) = match lang {
        Lang::En => (&EN, EN_CATALOGUE),
        Lang::ZhCn => (&ZH_CN, ZH_CN_CATALOGUE),
    };
    cell.get_or_init(|| parse_catalogue(text).unwrap_or_default())
}

pub fn parse_catalogue(text: &str) -> Result<BTreeMap<String, String>, toml::de::Error> {
    toml::from_str(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_best_we_have() {
        assert_eq!(Lang::from_accept_language("en-US,en;q=0.9"), Some(Lang::En));
        assert_eq!(
            Lang::from_accept_language("fr;q=1, zh-TW;q=0.8, en;q=0.5"),
            Some(Lang::ZhCn)
        );
        assert_eq!(
            Lang::from_accept_language("en;q=0.3, zh-CN"),
            Some(Lang::ZhCn)
        );
        assert_eq!(Lang::from_accept_language("de, fr"), None);
        assert_eq!(Lang::from_accept_language("en;q=0"), None);
    }

    #[test]
    fn fill_replaces_placeholders() {
        let t = Lang::En.tr();
        assert_eq!(t.get("no.such.key"), "no.such.key");
        assert!(t.has("nav.dashboard"));
    }
}

/// The catalogues are complete: both languages have the same keys (and the same `{names}` in
/// each text), and every key the templates and the console's code name exists.
#[cfg(test)]
mod completeness {
    use super::*;
    use std::collections::BTreeSet;
    use std::path::Path;

    fn catalogues() -> (BTreeMap<String, String>, BTreeMap<String, String>) {
        (
            parse_catalogue(EN_CATALOGUE).expect("en.toml parses"),
            parse_catalogue(ZH_CN_CATALOGUE).expect("zh-CN.toml parses"),
        )
    }

    fn placeholders(text: &str) -> BTreeSet<&str> {
        text.split('{')
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
            .collect()
    }

    #[test]
    fn both_languages_have_the_same_keys() {
        let (en, zh) = catalogues();
        let en_keys: BTreeSet<_> = en.keys().collect();
        let zh_keys: BTreeSet<_> = zh.keys().collect();
        assert_eq!(
            en_keys.symmetric_difference(&zh_keys).collect::<Vec<_>>(),
            Vec::<&&String>::new(),
            "keys in one catalogue only"
        );
        for (key, text) in &en {
            assert!(!text.trim().is_empty(), "en {key} is empty");
            assert!(!zh[key].trim().is_empty(), "zh-CN {key} is empty");
            assert_eq!(placeholders(text), placeholders(&zh[key]), "{key}");
        }
    }

    fn files(dir: &Path, extension: &str, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).expect("reads the folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                files(&path, extension, out);
            } else if path.extension().is_some_and(|e| e == extension) {
                let text = std::fs::read_to_string(&path).expect("reads the file");
                out.push((path.display().to_string(), text));
            }
        }
    }

    /// Every `"..."` literal right after one of `openers`.
    fn quoted_after<'a>(text: &'a str, openers: &[&str]) -> Vec<&'a str> {
        let mut found = Vec::new();
        for opener in openers {
            for (at, _) in text.match_indices(opener) {
                let rest = &text[at + opener.len()..];
                if let Some(end) = rest.find('"') {
                    found.push(&rest[..end]);
                }
            }
        }
        found
    }

    /// The text of a call's arguments, up to its closing parenthesis.
    fn arguments(after_open: &str) -> &str {
        let mut depth = 0usize;
        for (at, c) in after_open.char_indices() {
            match c {
                '(' => depth += 1,
                ')' if depth == 0 => return &after_open[..at],
                ')' => depth -= 1,
                _ => {}
            }
        }
        after_open
    }

    fn key_shaped(literal: &str) -> bool {
        literal.split_once('.').is_some_and(|(family, rest)| {
            !family.is_empty()
                && !rest.is_empty()
                && literal.bytes().all(|b| {
                    b.is_ascii_lowercase()
                        || b.is_ascii_digit()
                        || b == b'_'
                        || b == b'.'
                        || b == b'-'
                })
        })
    }

    #[test]
    fn every_key_in_use_exists() {
        let (en, _) = catalogues();
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut missing = Vec::new();

        let mut templates = Vec::new();
        files(&root.join("templates/console"), "html", &mut templates);
        assert!(templates.len() >= 5, "finds the templates");
        for (path, text) in &templates {
            for key in quoted_after(text, &["t.get(\"", "t.fill(\""]) {
                if !en.contains_key(key) {
                    missing.push(format!("{path}: {key}"));
                }
            }
        }

        // In the code, keys are passed around before they are looked up: everything quoted
        // in a call that takes keys (titles, messages) or after `t.get(`, and every `flash.`.
        let mut code = Vec::new();
        files(&root.join("src/http/console"), "rs", &mut code);
        for (path, text) in &code {
            if path.ends_with("i18n.rs") {
                continue;
            }
            let mut keys = quoted_after(text, &["t.get(\"", "t.fill(\""]);
            keys.retain(|k| key_shaped(k));
            for opener in [
                "Layout::new(",
                "Layout::anonymous(",
                "message(",
                "Flash::Ok(",
                "Flash::Error(",
            ] {
                for (at, _) in text.match_indices(opener) {
                    let call = arguments(&text[at + opener.len()..]);
                    keys.extend(call.split('"').skip(1).step_by(2).filter(|l| key_shaped(l)));
                }
            }
            keys.extend(
                text.split('"')
                    .skip(1)
                    .step_by(2)
                    .filter(|l| l.starts_with("flash.") && key_shaped(l)),
            );
            for key in keys {
                if !en.contains_key(key) {
                    missing.push(format!("{path}: {key}"));
                }
            }
        }
        for key in crate::http::console::page::FLASH_KEYS {
            if !en.contains_key(*key) {
                missing.push(format!("FLASH_KEYS: {key}"));
            }
        }
        for item in crate::http::console::page::NAV {
            if !en.contains_key(item.label) {
                missing.push(format!("NAV: {}", item.label));
            }
        }
        assert!(
            missing.is_empty(),
            "keys missing from the catalogues: {missing:#?}"
        );
    }
}
