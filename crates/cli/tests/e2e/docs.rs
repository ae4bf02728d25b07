//! The README's merchant API table and the notification types it and docs/CONNECT.md list,
//! against the OpenAPI document the server serves, both ways: a route or an event type the
//! documents leave out fails, and so does one they name that the server does not have. The
//! document is built in-process from the same route table as the router.

use serde_json::Value;
use std::collections::BTreeSet;

const README: &str = include_str!("../../../../README.md");
const CONNECT: &str = include_str!("../../../../docs/CONNECT.md");

fn served() -> Value {
    serde_json::from_str(&unipay_server::http::api::openapi::document_json())
        .expect("the document is JSON")
}

/// The lines of `text` from the heading `heading` to the next heading of its level or above.
fn section<'a>(text: &'a str, heading: &str) -> Vec<&'a str> {
    let level = heading.chars().take_while(|c| *c == '#').count();
    let mut lines = text.lines().skip_while(|line| line.trim_end() != heading);
    assert!(lines.next().is_some(), "no {heading:?} heading");
    lines
        .take_while(|line| {
            let hashes = line.chars().take_while(|c| *c == '#').count();
            !(hashes > 0 && hashes <= level && line[hashes..].starts_with(' '))
        })
        .collect()
}

/// `(method, path)` of every row of the tables in `lines` whose first cell starts with a
/// code span `VERB /v1/…` (a query string is not part of the path).
fn documented_routes(lines: &[&str]) -> BTreeSet<(String, String)> {
    lines
        .iter()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split('`').next())
        .filter_map(|call| {
            let (verb, target) = call.split_once(' ')?;
            let path = target.split('?').next()?;
            path.starts_with("/v1/")
                .then(|| (verb.to_ascii_lowercase(), path.to_string()))
        })
        .collect()
}

fn served_routes(document: &Value) -> BTreeSet<(String, String)> {
    let paths = document["paths"].as_object().expect("paths");
    paths
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .expect("a path item")
                .keys()
                .filter(|key| ["get", "post", "put", "patch", "delete"].contains(&key.as_str()))
                .map(move |method| (method.clone(), path.clone()))
        })
        .collect()
}

/// Every event type of every `…EventType` schema.
fn served_event_types(document: &Value) -> BTreeSet<String> {
    let schemas = document["components"]["schemas"]
        .as_object()
        .expect("schemas");
    let types: BTreeSet<String> = schemas
        .iter()
        .filter(|(name, _)| name.ends_with("EventType"))
        .flat_map(|(name, schema)| {
            schema["enum"]
                .as_array()
                .unwrap_or_else(|| panic!("{name} lists its values"))
                .iter()
                .map(|value| value.as_str().expect("a name").to_string())
        })
        .collect();
    assert!(types.len() >= 12, "{types:?}");
    types
}

/// Code spans in `lines` that look like an event type of one of the served objects
/// (`payment.…`, `refund.…`): names a document may have got wrong as well as right.
fn named_event_types(lines: &[&str], served: &BTreeSet<String>) -> BTreeSet<String> {
    let objects: BTreeSet<&str> = served
        .iter()
        .filter_map(|name| name.split('.').next())
        .collect();
    lines
        .iter()
        .flat_map(|line| line.split('`').skip(1).step_by(2))
        .filter(|span| {
            span.split_once('.').is_some_and(|(object, kind)| {
                objects.contains(object)
                    && !kind.is_empty()
                    && kind.chars().all(|c| c.is_ascii_lowercase() || c == '_')
            })
        })
        .map(str::to_string)
        .collect()
}

fn assert_same<T: Ord + std::fmt::Debug>(
    what: &str,
    documented: &BTreeSet<T>,
    served: &BTreeSet<T>,
) {
    let missing: Vec<_> = served.difference(documented).collect();
    let unknown: Vec<_> = documented.difference(served).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "{what}: served but not documented {missing:?}; documented but not served {unknown:?}"
    );
}

#[test]
fn the_readme_api_table_has_every_route_and_no_other() {
    let document = served();
    let documented = documented_routes(&section(README, "## The merchant API"));
    assert_same("README routes", &documented, &served_routes(&document));
}

#[test]
fn the_notification_types_are_all_listed_where_notifications_are_described() {
    let served = served_event_types(&served());
    for (name, lines) in [
        ("README", section(README, "### Notifications")),
        ("docs/CONNECT.md", section(CONNECT, "## The notifications")),
    ] {
        assert_same(name, &named_event_types(&lines, &served), &served);
    }
}

#[test]
fn the_section_reader_stops_at_the_next_heading() {
    let text = "# A\n## B\none\n### C\ntwo\n## D\nthree\n";
    assert_eq!(section(text, "## B"), vec!["one", "### C", "two"]);
    assert_eq!(section(text, "### C"), vec!["two"]);
    let rows = [
        "| `GET /v1/x?y=1` | a |",
        "| `POST /v1/x` with z | b |",
        "| `GET /healthz` | c |",
    ];
    let routes = documented_routes(&rows);
    assert_eq!(
        routes.into_iter().collect::<Vec<_>>(),
        vec![
            ("get".to_string(), "/v1/x".to_string()),
            ("post".to_string(), "/v1/x".to_string())
        ]
    );
}
