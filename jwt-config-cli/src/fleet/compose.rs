//! Docker Compose files: each service is an instance. Its environment is its `env_file`s in
//! order (a later one winning), then `environment` (a list of `NAME=value` or a map) over
//! them. A value Compose interpolates (`${VAR}`, `$VAR`) or takes from the shell (`NAME`
//! alone, a null) is known only at deploy time: not checked.

use std::path::Path;

use jwt_config::{EnvFile, Location, Problem, ProblemKind, Substitution};
use serde_json::Value;
use zeroize::Zeroizing;

use super::{Instance, Unchecked};
use crate::commands::UsageError;

/// A Compose file: a `services` mapping, and no Kubernetes `kind`.
pub(crate) fn is_compose(document: &Value) -> bool {
    document.get("kind").is_none() && matches!(document.get("services"), Some(Value::Object(_)))
}

/// Every service of a Compose file; `base` is its directory (`env_file` paths are relative
/// to it).
pub(crate) fn instances(
    input: &str,
    base: &Path,
    roots: &[std::path::PathBuf],
    document: &Value,
) -> Result<Vec<Instance>, UsageError> {
    let Some(Value::Object(services)) = document.get("services") else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (service, definition) in services {
        let mut instance = Instance::new(service.clone(), input);
        instance.labels = compose_labels(definition.get("labels"));
        for (path, required) in env_files(definition.get("env_file")) {
            let full = base.join(&path);
            if !full.exists() {
                if required {
                    instance.problems.push(Problem::new(
                        "env_file",
                        ProblemKind::File,
                        format!("{path} does not exist: Compose refuses to start {service}"),
                    ));
                }
                continue;
            }
            // An input names the files audit reads only inside the inputs it was given.
            if !super::is_inside(&full, roots) {
                instance.problems.push(Problem::new(
                    "env_file",
                    ProblemKind::File,
                    format!(
                        "{path} lies outside the inputs: not read (audit reads no file an input names outside the inputs it is given); give its directory as an input too"
                    ),
                ));
                continue;
            }
            let file = EnvFile::load(&full, Substitution::Refused)?;
            instance.source.absorb(&file);
        }
        let origin = Location::named(format!("{input}: services.{service}.environment"));
        for (name, value) in environment(definition.get("environment")) {
            match value.as_deref().map(interpolated) {
                Some(Some(value)) => {
                    instance
                        .unchecked
                        .retain(|u| u.variable.as_deref() != Some(name.as_str()));
                    instance.source.set_own(
                        &name,
                        Zeroizing::new(value.into_bytes()),
                        origin.clone(),
                    );
                }
                Some(None) | None => {
                    instance.source.unset(&name);
                    let how = if value.is_some() {
                        "interpolated by Compose"
                    } else {
                        "taken from the shell by Compose"
                    };
                    instance.unchecked.push(Unchecked {
                        variable: Some(name),
                        reason: format!("{how} at deploy time: not checked"),
                        deploy_time: true,
                    });
                }
            }
        }
        instance.note_container_files(input);
        out.push(instance);
    }
    Ok(out)
}

/// `env_file`: a path, or a list of paths or `{path, required}`.
fn env_files(value: Option<&Value>) -> Vec<(String, bool)> {
    let entry = |value: &Value| match value {
        Value::String(path) => Some((path.clone(), true)),
        Value::Object(map) => {
            let path = map.get("path")?.as_str()?.to_owned();
            let required = map.get("required").and_then(Value::as_bool).unwrap_or(true);
            Some((path, required))
        }
        _ => None,
    };
    match value {
        Some(Value::Array(items)) => items.iter().filter_map(entry).collect(),
        Some(other) => entry(other).into_iter().collect(),
        None => Vec::new(),
    }
}

/// `environment`: `NAME=value` / `NAME` items, or a map (a null value: from the shell).
fn environment(value: Option<&Value>) -> Vec<(String, Option<String>)> {
    match value {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(|item| match item.split_once('=') {
                Some((name, value)) => (name.to_owned(), Some(value.to_owned())),
                None => (item.to_owned(), None),
            })
            .collect(),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(name, value)| {
                let text = match value {
                    Value::Null => None,
                    Value::String(text) => Some(text.clone()),
                    other => Some(other.to_string()),
                };
                (name.clone(), text)
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// A value after Compose's interpolation: `$$` is a `$`; any other `$` needs the shell or a
/// `.env` file at deploy time (`None`).
fn interpolated(value: &str) -> Option<String> {
    let unescaped = value.replace("$$", "");
    if unescaped.contains('$') {
        None
    } else {
        Some(value.replace("$$", "$"))
    }
}

/// A Compose service's `labels`, as a mapping or a list of `KEY=VALUE`.
fn compose_labels(labels: Option<&Value>) -> std::collections::BTreeMap<String, String> {
    match labels {
        Some(Value::Object(entries)) => entries
            .iter()
            .filter_map(|(key, value)| Some((key.clone(), value.as_str()?.to_owned())))
            .collect(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| {
                let (key, value) = item.as_str()?.split_once('=')?;
                Some((key.to_owned(), value.to_owned()))
            })
            .collect(),
        _ => std::collections::BTreeMap::new(),
    }
}
