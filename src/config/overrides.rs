//! Command-line overrides of configuration keys: `--set KEY=VALUE`.
//!
//! A sensitivity study changes one or two keys of a configuration many
//! times; `eqnemix run config.toml --set pipeline.picker.error_s=0.3`
//! does that without writing a TOML file per case. `KEY` is the dotted path
//! of the key as in the file (tables created as needed); `VALUE` is read as
//! a TOML value (`0.3`, `true`, `[0.5, 1.0]`, `"nuts"`), and as a string
//! when it is not one (so `--set sampler.kind=nuts` works). The file is
//! read and checked as given first (its errors keep their line numbers),
//! then the overrides are applied and the result is checked again (errors
//! then name the key).

use super::{invalid, ConfigError, LocateConfig};
use std::path::Path;

/// One `--set` override: dotted key and TOML value.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    /// Dotted key, e.g. `pipeline.picker.error_s`.
    pub key: Vec<String>,
    /// The value.
    pub value: toml::Value,
}

impl std::str::FromStr for Override {
    type Err = String;
    /// Parse `KEY=VALUE` (clap's value parser).
    fn from_str(s: &str) -> Result<Self, String> {
        let (key, value) = s.split_once('=').ok_or_else(|| format!("`{s}`: expected KEY=VALUE, e.g. sampler.kind=nuts"))?;
        let key: Vec<String> = key.trim().split('.').map(|k| k.trim().to_string()).collect();
        if key.iter().any(|k| k.is_empty()) {
            return Err(format!("`{s}`: empty part in the dotted key"));
        }
        let text = value.trim();
        // A TOML value parses as the right side of `v = ...`; anything else is a string.
        let value = toml::from_str::<toml::Table>(&format!("v = {text}"))
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or_else(|| toml::Value::String(text.to_string()));
        Ok(Override { key, value })
    }
}

impl std::fmt::Display for Override {
    /// `KEY=VALUE`, the value as TOML (strings quoted).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}={}", self.key.join("."), self.value)
    }
}

/// `table` with `overrides` applied in order; a key whose parent is not a
/// table is an error naming it.
pub fn apply(mut table: toml::Table, overrides: &[Override]) -> Result<toml::Table, ConfigError> {
    for o in overrides {
        let (last, parents) = o.key.split_last().expect("non-empty key");
        let mut t = &mut table;
        for (i, k) in parents.iter().enumerate() {
            let entry = t.entry(k.clone()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
            t = match entry {
                toml::Value::Table(sub) => sub,
                _ => return Err(invalid(o.key[..=i].join("."), format!("is not a table, so --set {} cannot apply", o.key.join(".")))),
            };
        }
        t.insert(last.clone(), o.value.clone());
    }
    Ok(table)
}

impl LocateConfig {
    /// [`LocateConfig::from_file`], then `overrides` applied and the result
    /// checked again (module docs).
    pub fn from_file_with(path: impl AsRef<Path>, overrides: &[Override]) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io { path: path.to_path_buf(), source })?;
        // The file as given first, so that its own errors keep their lines.
        let cfg = Self::from_toml_str(&text, path)?;
        if overrides.is_empty() {
            return Ok(cfg);
        }
        Self::from_toml_str_with(&text, path, overrides)
    }

    /// [`LocateConfig::from_toml_str`] of `text` with `overrides` applied.
    /// Errors from the overridden keys name `--set` and the key.
    pub fn from_toml_str_with(text: &str, path: impl AsRef<Path>, overrides: &[Override]) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let table: toml::Table = toml::from_str(text).map_err(|e| invalid("(file)", format!("{}: {}", path.display(), e.message())))?;
        let merged = toml::to_string(&apply(table, overrides)?).map_err(|e| invalid("--set", e.to_string()))?;
        let named = format!("{} with --set {}", path.display(), overrides.iter().map(|o| o.key.join(".")).collect::<Vec<_>>().join(", "));
        Self::from_toml_str(&merged, Path::new(&named))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(s: &str) -> Override {
        s.parse().unwrap()
    }

    #[test]
    fn values_parse_as_toml_else_as_strings() {
        assert_eq!(set("a.b=0.3").value, toml::Value::Float(0.3));
        assert_eq!(set("n_chains=2").value, toml::Value::Integer(2));
        assert_eq!(set("x=true").value, toml::Value::Boolean(true));
        assert_eq!(set("sampler.kind=nuts").value, toml::Value::String("nuts".into()));
        assert_eq!(set("k=\"smc\"").value, toml::Value::String("smc".into()));
        assert_eq!(set("w=[0.5, 1.0]").value, toml::Value::Array(vec![toml::Value::Float(0.5), toml::Value::Float(1.0)]));
        assert_eq!(set(" pipeline . picker.error_s = 1 ").key, ["pipeline", "picker", "error_s"]);
        assert!("noequals".parse::<Override>().is_err());
        assert!("a..b=1".parse::<Override>().is_err());
    }

    #[test]
    fn overrides_replace_and_create_keys_and_are_checked() {
        let text = "n_chains = 4\n[likelihood]\nmodel_error_s = 0.1\n";
        let c = LocateConfig::from_toml_str_with(text, "c.toml", &[set("likelihood.model_error_s=0.25"), set("sampler.kind=metropolis")]).unwrap();
        assert_eq!(c.likelihood.model_error_s, 0.25);
        assert_eq!(c.sampler.kind(), "metropolis");
        assert_eq!(c.n_chains, 4);
        // Checked like the file: a bad value names its key, an unknown key is refused.
        let e = LocateConfig::from_toml_str_with(text, "c.toml", &[set("n_chains=0")]).unwrap_err();
        assert!(e.to_string().contains("n_chains"), "{e}");
        let e = LocateConfig::from_toml_str_with(text, "c.toml", &[set("likelihood.no_such_key=1")]).unwrap_err();
        assert!(e.to_string().contains("no_such_key") && e.to_string().contains("--set"), "{e}");
        // A key below a value that is not a table.
        let e = LocateConfig::from_toml_str_with(text, "c.toml", &[set("n_chains.x=1")]).unwrap_err();
        assert!(e.to_string().contains("n_chains") && e.to_string().contains("not a table"), "{e}");
    }
}
