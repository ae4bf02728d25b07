//! Environment overrides. Every key of `unipay.toml` has a variable: `UNIPAY_<SECTION>_<KEY>`,
//! or `UNIPAY_<KEY>` at the top level, upper case (`[notifier] lease_ms` is
//! `UNIPAY_NOTIFIER_LEASE_MS`). The keys are read off the settings' own serialised form rather
//! than listed, so a new setting has its variable the day it is added; and since keys contain
//! underscores, a variable is matched against the known keys, never split.

use super::{ConfigError, ServerConfig};
use serde::Deserialize;
use serde_json::Value;

/// Not a key of the file: the database URL read from the file this names, so that a password
/// need be neither in the file nor in the environment. Wins over `UNIPAY_DATABASE_URL`.
pub const DATABASE_URL_FILE: &str = "UNIPAY_DATABASE_URL_FILE";

/// One key of the configuration and the variable that overrides it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The `[section]`; `None` at the top level.
    pub section: Option<String>,
    pub key: String,
    pub variable: String,
}

impl Setting {
    fn new(section: Option<&str>, key: &str) -> Setting {
        let path = match section {
            Some(section) => format!("{section}_{key}"),
            None => key.to_string(),
        };
        Setting {
            section: section.map(str::to_string),
            key: key.to_string(),
            variable: format!("UNIPAY_{}", path.to_ascii_uppercase()),
        }
    }

    /// As the file spells it: `section.key`, or `key` at the top level.
    pub fn path(&self) -> String {
        match &self.section {
            Some(section) => format!("{section}.{}", self.key),
            None => self.key.clone(),
        }
    }

    fn slot<'a>(&self, tree: &'a mut Value) -> Option<&'a mut Value> {
        match &self.section {
            Some(section) => tree.get_mut(section)?.get_mut(&self.key),
            None => tree.get_mut(&self.key),
        }
    }
}

impl ServerConfig {
    /// Every key of the configuration, with its variable.
    pub fn settings() -> Result<Vec<Setting>, ConfigError> {
        Ok(settings_of(&tree(&ServerConfig::default())?))
    }

    /// Overrides each setting whose variable `var` knows, then applies
    /// [`DATABASE_URL_FILE`]. A value is taken as text if the setting is text, else as TOML
    /// (`60000`, `true`, `[0, 15000]`); one that fits neither way is an error naming its
    /// variable.
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        let mut tree = tree(self)?;
        let mut overridden = false;
        for setting in settings_of(&tree) {
            let Some(raw) = var(&setting.variable) else {
                continue;
            };
            let value = typed(&tree, &setting, &raw)?;
            if let Some(slot) = setting.slot(&mut tree) {
                *slot = value;
                overridden = true;
            }
        }
        if overridden {
            *self = ServerConfig::deserialize(&tree)
                .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        }
        if let Some(path) = var(DATABASE_URL_FILE) {
            let text = std::fs::read_to_string(&path)
                .map_err(|source| ConfigError::Read { path, source })?;
            self.database_url = text.trim().to_string();
        }
        Ok(())
    }
}

fn tree(config: &ServerConfig) -> Result<Value, ConfigError> {
    serde_json::to_value(config).map_err(|e| ConfigError::Invalid(e.to_string()))
}

/// The leaves of the tree: a table is a section, anything else a key. JSON rather than TOML
/// because it keeps an unset optional setting (as `null`), which TOML would drop.
fn settings_of(tree: &Value) -> Vec<Setting> {
    let Some(top) = tree.as_object() else {
        return Vec::new();
    };
    let mut settings = Vec::new();
    for (name, value) in top {
        match value.as_object() {
            Some(section) => {
                settings.extend(section.keys().map(|key| Setting::new(Some(name), key)))
            }
            None => settings.push(Setting::new(None, name)),
        }
    }
    settings
}

/// The value `raw` stands for in the setting's own type: text first, so that a name or a URL
/// that happens to look like a number stays text.
fn typed(tree: &Value, setting: &Setting, raw: &str) -> Result<Value, ConfigError> {
    let text = Value::String(raw.to_string());
    let mut refusal = match fits(tree, setting, &text) {
        Ok(()) => return Ok(text),
        Err(refusal) => refusal,
    };
    if let Ok(literal) = toml::Value::deserialize(toml::de::ValueDeserializer::new(raw))
        && let Ok(value) = serde_json::to_value(literal)
    {
        match fits(tree, setting, &value) {
            Ok(()) => return Ok(value),
            Err(wrong) => refusal = wrong,
        }
    }
    Err(ConfigError::Variable {
        name: setting.variable.clone(),
        problem: format!("not a valid {}: {refusal}", setting.path()),
    })
}

/// Whether the configuration still reads with `value` in the setting's place.
fn fits(tree: &Value, setting: &Setting, value: &Value) -> Result<(), serde_json::Error> {
    let mut candidate = tree.clone();
    if let Some(slot) = setting.slot(&mut candidate) {
        *slot = value.clone();
    }
    ServerConfig::deserialize(&candidate).map(drop)
}

#[cfg(test)]
mod tests;
