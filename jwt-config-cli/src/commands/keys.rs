//! `keys`: the key ids, kinds and roles of a configuration, never key material; or the
//! public JWK Set to publish.

use std::io::Write;

use jwt_config::{Config, HasJwtConfig, KeyInfo};
use serde::Serialize;

use super::Outcome;
use super::check::{layers, load};
use super::report::{Purpose, clean, problem_text, report_unreadable, to_json};
use crate::args::{Format, KeysAction, KeysArgs};
use crate::style::Style;
use crate::{EXIT_OK, EXIT_PROBLEMS};

/// One key as `keys` lists it.
#[derive(Serialize)]
struct KeyJson {
    id: String,
    purpose: Purpose,
    /// An identifier: `hmac`, `rsa`, `ec_p256`, `ec_p384`, `ed25519`.
    kind: &'static str,
    /// The kind in words, for the text output.
    #[serde(skip)]
    kind_text: &'static str,
    /// This service signs with it.
    signs: bool,
    /// This service accepts what is signed with it; neither signs nor verifies is a key held
    /// and refused (a shared secret where callers have keys of their own).
    verifies: bool,
    variable: &'static str,
}

impl KeyJson {
    fn new(key: KeyInfo, purpose: Purpose) -> Self {
        KeyJson {
            signs: key.signs,
            verifies: key.verifies,
            id: key.id,
            purpose,
            kind: key.key_type,
            kind_text: key.kind,
            variable: key.variable,
        }
    }

    /// The role in words, for the text output.
    fn role(&self) -> &'static str {
        match (self.signs, self.verifies) {
            (true, true) => "signs and verifies",
            (true, false) => "signs",
            (false, true) => "verifies",
            (false, false) => "refused (a shared secret where callers have keys of their own)",
        }
    }
}

/// `keys`: loads like `check`, then lists the keys (or prints the public JWK Set).
pub(crate) fn keys<T: Config + HasJwtConfig>(
    args: &KeysArgs,
    style: Style,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Outcome {
    match &args.action {
        Some(KeysAction::Bundle(bundle)) => {
            return super::keys_bundle::bundle::<T>(bundle, out, err);
        }
        Some(KeysAction::New(new)) => return super::keys_new(new, out, err),
        None => {}
    }
    let layers = match layers(&args.source) {
        Ok(layers) => layers,
        Err(error) => return report_unreadable(&error, args.format, out),
    };
    let loaded = match load::<T>(&layers, args.source.environment) {
        Ok(loaded) => loaded,
        Err(error) => {
            writeln!(
                out,
                "{} {}: the configuration does not load",
                style.bad("invalid"),
                T::SCHEMA.name()
            )?;
            for problem in error.problems() {
                let json = super::report::ProblemJson::from(problem);
                writeln!(
                    out,
                    "  {} {}",
                    style.bad("problem"),
                    problem_text(&json, style)
                )?;
            }
            return Ok(EXIT_PROBLEMS);
        }
    };
    let config = loaded.value.jwt_config();
    if args.jwks {
        writeln!(out, "{}", to_json(&config.jwks()))?;
        return Ok(EXIT_OK);
    }
    let tokens = config
        .keys()
        .into_iter()
        .map(|k| KeyJson::new(k, Purpose::Tokens));
    let calls = config
        .service_call_keys()
        .into_iter()
        .map(|k| KeyJson::new(k, Purpose::ServiceCalls));
    let keys: Vec<KeyJson> = tokens.chain(calls).collect();
    match args.format {
        Format::Json => writeln!(out, "{}", to_json(&keys))?,
        // Markdown is refused when the command line is parsed (`text_or_json`).
        Format::Text | Format::Markdown | Format::Sarif | Format::Junit => {
            for key in &keys {
                let purpose = match key.purpose {
                    Purpose::Tokens => "",
                    Purpose::ServiceCalls => " for service calls",
                };
                writeln!(
                    out,
                    "{}  {}{purpose}, {} ({})",
                    style.name(&clean(&key.id)),
                    key.kind_text,
                    key.role(),
                    key.variable
                )?;
            }
        }
    }
    Ok(EXIT_OK)
}
