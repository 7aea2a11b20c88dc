//! `docs`: the Markdown reference of the schema.

use std::io::Write;

use jwt_config::{Config, schema_fingerprint_of};

use super::Outcome;
use crate::EXIT_OK;

/// `docs`: the Markdown reference.
pub(crate) fn docs<T: Config>(out: &mut dyn Write) -> Outcome {
    writeln!(out, "# {}\n", T::SCHEMA.name())?;
    if !T::SCHEMA.doc().is_empty() {
        writeln!(out, "{}\n", T::SCHEMA.doc())?;
    }
    write!(out, "{}", T::SCHEMA.markdown())?;
    writeln!(
        out,
        "\nSchema fingerprint: `{}`",
        schema_fingerprint_of::<T>()
    )?;
    Ok(EXIT_OK)
}
