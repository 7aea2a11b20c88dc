//! `schema`: the schema as JSON, from a typed report.

use std::io::Write;

use jwt_config::{Config, Presence, Variable, schema_fingerprint_of};
use serde::Serialize;

use super::Outcome;
use super::report::to_json;
use crate::EXIT_OK;

/// The schema as programs read it.
#[derive(Serialize)]
struct SchemaReport {
    name: &'static str,
    doc: &'static str,
    fingerprint: String,
    environment_required: bool,
    variables: Vec<VariableSchema>,
}

/// One variable of the schema, every prefix applied.
#[derive(Serialize)]
struct VariableSchema {
    name: String,
    field: String,
    aliases: Vec<String>,
    file_variable: Option<String>,
    #[serde(rename = "type")]
    ty: &'static str,
    default: Option<String>,
    required: bool,
    required_in: Vec<&'static str>,
    required_when: Option<&'static str>,
    secret: bool,
    per_service: bool,
    range: Option<&'static str>,
    min_len: Option<usize>,
    doc: &'static str,
}

impl From<&Variable> for VariableSchema {
    fn from(variable: &Variable) -> Self {
        let var = variable.schema;
        VariableSchema {
            name: variable.name.clone(),
            field: variable.path.clone(),
            aliases: variable.aliases.clone(),
            file_variable: variable.file_variable.clone(),
            ty: var.ty(),
            default: var.default_value(),
            required: var.presence() == Presence::Required,
            required_in: var.required_in().iter().map(|e| e.as_str()).collect(),
            required_when: var.required_when(),
            secret: var.secret(),
            per_service: var.per_service(),
            range: var.range(),
            min_len: var.min_len(),
            doc: var.doc(),
        }
    }
}

/// `schema`: the schema as JSON.
pub(crate) fn schema<T: Config>(out: &mut dyn Write) -> Outcome {
    let report = SchemaReport {
        name: T::SCHEMA.name(),
        doc: T::SCHEMA.doc(),
        fingerprint: schema_fingerprint_of::<T>(),
        environment_required: T::SCHEMA.requires_environment(),
        variables: T::SCHEMA
            .variables()
            .iter()
            .map(VariableSchema::from)
            .collect(),
    };
    writeln!(out, "{}", to_json(&report))?;
    Ok(EXIT_OK)
}
