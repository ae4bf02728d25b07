use super::*;

/// A value of the same type as `value` and different from it: as a variable spells it, and as
/// the configuration then holds it.
fn another(value: &Value) -> (String, Value) {
    let next = |n: &Value| n.as_i64().map_or(Value::Null, |n| Value::from(n + 1));
    match value {
        Value::Bool(b) => ((!b).to_string(), Value::Bool(!b)),
        Value::Number(_) => (next(value).to_string(), next(value)),
        Value::String(s) => (format!("{s}x"), Value::String(format!("{s}x"))),
        // The unset optional settings are flags (`console.secure_cookies`).
        Value::Null => ("true".into(), Value::Bool(true)),
        Value::Array(items) => {
            let items: Vec<Value> = items.iter().map(next).collect();
            (Value::Array(items.clone()).to_string(), Value::Array(items))
        }
        Value::Object(_) => panic!("no setting is a table"),
    }
}

#[test]
fn every_setting_is_overridden_by_its_variable() {
    let defaults = tree(&ServerConfig::default()).unwrap();
    let settings = ServerConfig::settings().unwrap();
    assert!(settings.len() > 40, "{settings:?}");
    for setting in settings {
        let mut expected = defaults.clone();
        let slot = setting.slot(&mut expected).unwrap();
        let (raw, value) = another(slot);
        *slot = value;
        let mut config = ServerConfig::default();
        config
            .apply_env(|name| (name == setting.variable).then(|| raw.clone()))
            .unwrap_or_else(|e| panic!("{} = {raw}: {e}", setting.variable));
        assert_eq!(tree(&config).unwrap(), expected, "{}", setting.variable);
    }
}

#[test]
fn variables_are_named_after_their_section_and_key() {
    let settings = ServerConfig::settings().unwrap();
    let variable = |path: &str| {
        settings
            .iter()
            .find(|s| s.path() == path)
            .map(|s| s.variable.as_str())
    };
    assert_eq!(variable("listen"), Some("UNIPAY_LISTEN"));
    assert_eq!(variable("database_url"), Some("UNIPAY_DATABASE_URL"));
    assert_eq!(
        variable("notifier.lease_ms"),
        Some("UNIPAY_NOTIFIER_LEASE_MS")
    );
    assert_eq!(
        variable("janitor.resend_grace_ms"),
        Some("UNIPAY_JANITOR_RESEND_GRACE_MS")
    );
    assert_eq!(
        variable("privacy.hmac_key_file"),
        Some("UNIPAY_PRIVACY_HMAC_KEY_FILE")
    );
    assert_eq!(
        variable("console.secure_cookies"),
        Some("UNIPAY_CONSOLE_SECURE_COOKIES")
    );
    let mut names: Vec<&str> = settings.iter().map(|s| s.variable.as_str()).collect();
    names.push(DATABASE_URL_FILE);
    let count = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), count, "two settings share a variable");
}

#[test]
fn a_value_of_the_wrong_type_is_an_error_naming_its_variable() {
    for (variable, raw, path) in [
        ("UNIPAY_NOTIFIER_LEASE_MS", "soon", "notifier.lease_ms"),
        (
            "UNIPAY_BOOKS_FETCH_AFTER_HOUR",
            "300",
            "books.fetch_after_hour",
        ),
        (
            "UNIPAY_CONSOLE_SECURE_COOKIES",
            "yes",
            "console.secure_cookies",
        ),
        (
            "UNIPAY_JANITOR_QUERY_SCHEDULE_MS",
            "[1, \"x\"]",
            "janitor.query_schedule_ms",
        ),
        ("UNIPAY_API_MAX_BODY_BYTES", "1.5", "api.max_body_bytes"),
    ] {
        let error = ServerConfig::default()
            .apply_env(|name| (name == variable).then(|| raw.to_string()))
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with(&format!("environment variable {variable}: ")),
            "{error}"
        );
        assert!(error.contains(path), "{error}");
    }
}

#[test]
fn values_are_read_as_the_file_writes_them_and_text_stays_text() {
    let mut config = ServerConfig::default();
    config
        .apply_env(|name| match name {
            "UNIPAY_NODE_NAME" => Some("123".into()),
            "UNIPAY_PUBLIC_URL" => Some("true".into()),
            "UNIPAY_NOTIFIER_SCHEDULE_MS" => Some("[0, 1_000]".into()),
            "UNIPAY_BOOKS_SCHEDULED" => Some("false".into()),
            _ => None,
        })
        .unwrap();
    assert_eq!(config.node_name, "123");
    assert_eq!(config.public_url, "true");
    assert_eq!(config.notifier.schedule_ms.len(), 2);
    assert!(!config.books.scheduled);
}

#[test]
fn other_variables_change_nothing() {
    let mut config = ServerConfig::default();
    config
        .apply_env(|name| {
            matches!(
                name,
                "UNIPAY_TEST_POSTGRES_URL" | "UNIPAY_NOTIFIER" | "UNIPAY_API"
            )
            .then(|| "x".to_string())
        })
        .unwrap();
    assert_eq!(
        tree(&config).unwrap(),
        tree(&ServerConfig::default()).unwrap()
    );
}

#[test]
fn the_database_url_file_wins_over_the_url() {
    let path = std::env::temp_dir().join(format!("database-url-{}", std::process::id()));
    std::fs::write(&path, "postgres://db/from-file\n").unwrap();
    let mut config = ServerConfig::default();
    config
        .apply_env(|name| match name {
            "UNIPAY_DATABASE_URL" => Some("postgres://db/from-variable".into()),
            DATABASE_URL_FILE => Some(path.display().to_string()),
            _ => None,
        })
        .unwrap();
    let _ = std::fs::remove_file(&path);
    assert_eq!(config.database_url, "postgres://db/from-file");
}
