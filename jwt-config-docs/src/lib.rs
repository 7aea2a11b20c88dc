//! Facts the derive and the runtime share (the environments, the rule that `ENVIRONMENT` is
//! never prefixed) and the one renderer of jwt-config's variable tables. The derive renders a struct's rustdoc
//! table with it at compile time, from the attributes; the runtime renders `jwt-config docs`
//! and the requirement texts of `template` with it, from the schema. Both describe a variable
//! through the same [`Variable`], so the two cannot disagree.
//!
//! ```
//! use jwt_config_docs::{Item, Requirement, Variable, table};
//!
//! let port = Variable {
//!     name: "PORT".into(),
//!     ty: "u16".into(),
//!     requirement: Requirement { default: Some("8080".into()), range: Some("1..=65535".into()), ..Requirement::default() },
//!     doc: "Port of the HTTP server.".into(),
//!     ..Variable::default()
//! };
//! let markdown = table(&[Item::Variable(port)]);
//! assert!(markdown.contains("| `PORT` | `u16`; default `8080`; range `1..=65535` | Port of the HTTP server. |"));
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

/// The variable every load reads first.
pub const ENVIRONMENT_VARIABLE: &str = "ENVIRONMENT";

/// The one rule "`ENVIRONMENT` is never prefixed", for the derive and the runtime alike.
/// Const, so compile-time checks of schemas use it too.
pub const fn never_prefixed(name: &str) -> bool {
    let (a, b) = (name.as_bytes(), ENVIRONMENT_VARIABLE.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The environments, as `ENVIRONMENT` and `required_in(...)` name them: the one list.
pub const ENVIRONMENTS: [&str; 4] = ["development", "test", "staging", "production"];

/// When a variable must be set, and what bounds it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Requirement {
    /// Required in every environment (neither an `Option` nor a default).
    pub always: bool,
    /// Environments where it is required: `["staging", "production"]`.
    pub required_in: Vec<String>,
    /// A condition, in words, under which the struct's own checks require it.
    pub required_when: Option<String>,
    /// The default, as it applies.
    pub default: Option<String>,
    /// `range(...)` as written.
    pub range: Option<String>,
    /// `min_len = N`.
    pub min_len: Option<usize>,
    /// A setting of one service.
    pub per_service: bool,
}

impl Requirement {
    /// "required", "required in staging and production", "optional", "default `15`", the
    /// range, the least length and "per service", joined with `; `.
    pub fn text(&self) -> String {
        let mut parts = Vec::new();
        if self.always {
            parts.push("required".to_owned());
        } else if self.required_in.is_empty()
            && self.required_when.is_none()
            && self.default.is_none()
        {
            parts.push("optional".to_owned());
        }
        if !self.required_in.is_empty() {
            parts.push(format!("required in {}", prose(&self.required_in)));
        }
        if let Some(condition) = &self.required_when {
            parts.push(format!("required when {condition}"));
        }
        if let Some(default) = &self.default {
            parts.push(format!("default `{default}`"));
        }
        if let Some(range) = &self.range {
            parts.push(format!("range `{range}`"));
        }
        if let Some(min_len) = self.min_len {
            parts.push(format!("at least {min_len} long"));
        }
        if self.per_service {
            parts.push("per service".to_owned());
        }
        parts.join("; ")
    }
}

/// "staging and production", "test, staging and production".
fn prose(items: &[String]) -> String {
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// One variable as the table shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Variable {
    /// The canonical name, prefixes applied.
    pub name: String,
    /// Legacy aliases, prefixes applied.
    pub aliases: Vec<String>,
    /// The `NAME_FILE` variable, where accepted.
    pub file_variable: Option<String>,
    /// The Rust type as written.
    pub ty: String,
    /// Never shown.
    pub secret: bool,
    /// When it must be set.
    pub requirement: Requirement,
    /// The field's documentation.
    pub doc: String,
}

impl Variable {
    /// In a schema that requires `ENVIRONMENT` (`require_environment`), the `ENVIRONMENT`
    /// variable is documented as required, never with the default it never takes.
    pub fn environment_required(mut self, required: bool) -> Self {
        if required && never_prefixed(&self.name) {
            self.requirement.always = true;
            self.requirement.default = None;
        }
        self
    }
}

/// A row of the table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// A variable.
    Variable(Variable),
    /// A flattened struct whose variables are documented on its own page.
    Flattened {
        /// The struct's type as written.
        ty: String,
        /// The prefix its variables take (empty for none).
        prefix: String,
        /// The field's documentation.
        doc: String,
    },
}

/// The Markdown table: three columns (the variable with its aliases and `_FILE`, what it
/// takes with its default or requirement, the description), narrow enough for a rustdoc
/// page.
pub fn table(items: &[Item]) -> String {
    let mut text = String::from("| variable | takes | description |\n| --- | --- | --- |\n");
    for item in items {
        let row = match item {
            Item::Variable(variable) => variable_row(variable),
            Item::Flattened { ty, prefix, doc } => {
                let prefix = if prefix.is_empty() {
                    String::new()
                } else {
                    format!(", prefixed `{prefix}`")
                };
                format!("| every variable of [`{ty}`]{prefix} | | {} |", cell(doc))
            }
        };
        text.push_str(&row);
        text.push('\n');
    }
    text
}

fn variable_row(variable: &Variable) -> String {
    let mut name = format!("`{}`", variable.name);
    for alias in &variable.aliases {
        name.push_str(&format!("<br>legacy `{alias}`"));
    }
    if let Some(file) = &variable.file_variable {
        name.push_str(&format!("<br>or `{file}`"));
    }
    let secret = if variable.secret { " (secret)" } else { "" };
    format!(
        "| {name} | `{}`{secret}; {} | {} |",
        cell(&variable.ty),
        variable.requirement.text(),
        cell(&variable.doc)
    )
}

/// Text for one cell: one line, pipes escaped.
fn cell(text: &str) -> String {
    text.replace('\n', " ").replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirements_read_as_prose() {
        let staging = Requirement {
            required_in: vec!["staging".into(), "production".into()],
            default: Some("jwt-config-dev".into()),
            ..Requirement::default()
        };
        assert_eq!(
            staging.text(),
            "required in staging and production; default `jwt-config-dev`"
        );
        assert_eq!(Requirement::default().text(), "optional");
        let always = Requirement {
            always: true,
            ..Requirement::default()
        };
        assert_eq!(always.text(), "required");
    }

    #[test]
    fn a_variable_lists_its_aliases_and_file_variant_in_its_cell() {
        let variable = Variable {
            name: "JWT_SECRET_KEY".into(),
            aliases: vec!["JWT_SECRET".into()],
            file_variable: Some("JWT_SECRET_KEY_FILE".into()),
            ty: "Option<Secret<HmacKey>>".into(),
            secret: true,
            doc: "HMAC key | raw".into(),
            ..Variable::default()
        };
        let row = variable_row(&variable);
        assert!(row.starts_with(
            "| `JWT_SECRET_KEY`<br>legacy `JWT_SECRET`<br>or `JWT_SECRET_KEY_FILE` |"
        ));
        assert!(row.contains("(secret); optional | HMAC key \\| raw |"));
    }
}
