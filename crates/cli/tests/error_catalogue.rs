//! Every code of the merchant API's error catalogue (`unipay_api::ErrorCode`, the one list the
//! OpenAPI document publishes) is asserted by at least one end-to-end or
//! browser test. A code counts when its quoted name (`"payment_not_found"`) stands in an
//! asserting statement of `tests/e2e/*.rs` or `tests/browser/*.rs`: a statement (the text up to
//! its `;`, comments left out) that calls an `assert…` macro or helper, or a helper whose name
//! starts with `expect` (`expect(...)`, `expect_code(...)`; not the `.expect()` of a `Result`).
//! A code no test produces is a promise nobody checks: this test names each one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use unipay_server::http::api::error::ErrorCode;

/// The test sources, as (file name, text).
fn test_sources() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut sources = Vec::new();
    for dir in ["e2e", "browser"] {
        let mut paths: Vec<_> = std::fs::read_dir(root.join(dir))
            .unwrap_or_else(|e| panic!("reading tests/{dir}: {e}"))
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
            .collect();
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path).unwrap();
            sources.push((
                format!("{dir}/{}", path.file_name().unwrap().display()),
                text,
            ));
        }
    }
    sources
}

/// The source's statements, comment lines left out.
fn statements(source: &str) -> Vec<String> {
    let code: String = source
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    code.split(';').map(str::to_string).collect()
}

/// Whether a statement asserts: an `assert…` macro or helper, or a call of a helper whose name
/// starts with `expect` (a method call `.expect(` is a `Result`'s, which asserts nothing about
/// the string it carries).
fn asserts(statement: &str) -> bool {
    if statement.contains("assert") {
        return true;
    }
    statement.match_indices("expect").any(|(at, _)| {
        let before = statement[..at].chars().next_back();
        let free = !before.is_some_and(|c| c == '.' || c == '_' || c.is_alphanumeric());
        let rest = &statement[at..];
        let name_end = rest
            .find(|c: char| !(c == '_' || c.is_alphanumeric()))
            .unwrap_or(rest.len());
        free && rest[name_end..].starts_with('(')
    })
}

/// The catalogue's codes that no test source asserts.
fn unasserted(codes: &[&str], sources: &[(String, String)]) -> Vec<String> {
    let asserting: Vec<String> = sources
        .iter()
        .flat_map(|(_, text)| statements(text))
        .filter(|statement| asserts(statement))
        .collect();
    codes
        .iter()
        .filter(|code| {
            let quoted = format!("\"{code}\"");
            !asserting
                .iter()
                .any(|statement| statement.contains(&quoted))
        })
        .map(|code| code.to_string())
        .collect()
}

#[test]
fn every_catalogued_error_code_is_asserted_by_a_test() {
    let sources = test_sources();
    assert!(
        sources.len() > 10,
        "the e2e and browser sources are found: {:?}",
        sources.iter().map(|(name, _)| name).collect::<Vec<_>>()
    );
    let codes: Vec<&str> = ErrorCode::ALL.iter().map(|code| code.as_str()).collect();
    let missing = unasserted(&codes, &sources);
    assert!(
        missing.is_empty(),
        "{} of the {} catalogued error codes are asserted by no e2e or browser test \
         (add a request that produces each, and assert its code):\n  {}",
        missing.len(),
        codes.len(),
        missing.join("\n  ")
    );
}

/// Proves what counts as asserting: a code in an assertion or an `expect…` helper's call
/// counts; a code in a comment, in a plain `let`, or in a `Result`'s `.expect()` does not.
#[test]
fn only_asserting_statements_count() {
    let source = r#"
        // "in_a_comment" is only talked about
        let body = "in_a_let";
        let x = f().expect("in_a_result_expect");
        assert_eq!(answer.error_code().as_deref(), Some("in_an_assert"));
        expect(post(world, "{not json").await, 400, "in_an_expect_helper");
        assert_code(
            &answer,
            409,
            "in_a_multiline_helper",
        );
    "#;
    let sources = vec![("t.rs".to_string(), source.to_string())];
    let codes = [
        "in_a_comment",
        "in_a_let",
        "in_a_result_expect",
        "in_an_assert",
        "in_an_expect_helper",
        "in_a_multiline_helper",
    ];
    assert_eq!(
        unasserted(&codes, &sources),
        ["in_a_comment", "in_a_let", "in_a_result_expect"]
    );
}
