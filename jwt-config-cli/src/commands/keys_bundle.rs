//! `keys bundle`: the JWK Set of every service's own public key in a fleet's inputs, read and
//! loaded exactly as `audit` reads them, for one ConfigMap that every receiver reads as
//! `SERVICE_VERIFICATION_KEYS`. Each key is what `JwtConfig::service_jwk` gives for its
//! service (its `kid` `SERVICE_KEY_ID`, or `SERVICE_ID`); public keys only.

use std::collections::BTreeMap;
use std::io::Write;

use jwt_config::jsonwebtoken::jwk::{Jwk, JwkSet};
use jwt_config::{Config, HasJwtConfig};

use super::Outcome;
use super::audit::{self, Status};
use super::report::{clean, to_json};
use crate::args::{BundleFormat, KeysBundleArgs};
use crate::{EXIT_OK, EXIT_PROBLEMS, fleet};

/// What a bundle holds, and what it leaves out and why.
#[derive(Default)]
struct Bundle {
    /// The keys by `kid`, with the instances that sign with each.
    keys: BTreeMap<String, (Jwk, Vec<String>)>,
    /// Instances on the shared `SERVICE_SECRET` (no key of their own), or with service
    /// authentication off.
    shared_secret: Vec<String>,
    /// Instances that do not load, and why in words.
    not_loaded: Vec<(String, String)>,
    /// Ids that two instances hold different keys under.
    conflicts: Vec<String>,
}

impl Bundle {
    fn add(&mut self, instance: String, jwk: Jwk) {
        let kid = jwk.common.key_id.clone().unwrap_or_default();
        match self.keys.get_mut(&kid) {
            Some((held, instances)) if *held == jwk => instances.push(instance),
            Some(_) => {
                if !self.conflicts.contains(&kid) {
                    self.conflicts.push(kid);
                }
            }
            None => {
                self.keys.insert(kid, (jwk, vec![instance]));
            }
        }
    }

    fn set(&self) -> JwkSet {
        JwkSet {
            keys: self.keys.values().map(|(jwk, _)| jwk.clone()).collect(),
        }
    }

    fn complete(&self) -> bool {
        self.not_loaded.is_empty() && self.conflicts.is_empty()
    }

    /// What is left out, for standard error: never key material.
    fn write_notes(&self, err: &mut dyn Write) -> std::io::Result<()> {
        let kids: Vec<String> = self.keys.keys().map(|k| clean(k).into_owned()).collect();
        let listed = if kids.is_empty() {
            "none".to_owned()
        } else {
            kids.join(", ")
        };
        writeln!(err, "keys bundle: {} service key(s): {listed}", kids.len())?;
        for name in &self.shared_secret {
            writeln!(
                err,
                "  not included: {} (no key of its own: it signs with the shared SERVICE_SECRET, or service authentication is off)",
                clean(name)
            )?;
        }
        for (name, why) in &self.not_loaded {
            writeln!(
                err,
                "  not included: {} ({why}; run `jwt-config audit` on the same inputs)",
                clean(name)
            )?;
        }
        for kid in &self.conflicts {
            writeln!(
                err,
                "  conflict: instances hold different keys under kid {:?}; only the first is included",
                clean(kid)
            )?;
        }
        Ok(())
    }
}

/// `keys bundle`: every instance of the inputs loaded as `audit` loads it; exit 1 where one
/// does not load or two hold different keys under one id, since the set may then miss a key.
pub(crate) fn bundle<T: Config + HasJwtConfig>(
    args: &KeysBundleArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Outcome {
    let fleet = fleet::read_inputs(&args.inputs)?;
    let names = audit::schema_names::<T>();
    let mut bundle = Bundle::default();
    for instance in fleet.instances {
        let audited = audit::audit_one::<T>(instance, None, &names);
        match (&audited.loaded, audited.status) {
            (_, Status::Sidecar) => {}
            (Some(loaded), _) => match loaded.value.jwt_config().service_jwk() {
                Some(jwk) => bundle.add(audited.name, jwk),
                None => bundle.shared_secret.push(audited.name),
            },
            (None, _) => {
                let why = why_not_loaded(&audited.unchecked);
                bundle.not_loaded.push((audited.name, why));
            }
        }
    }
    let set = bundle.set();
    match args.format {
        BundleFormat::Json => writeln!(out, "{}", to_json(&set))?,
        BundleFormat::Configmap => {
            let name = args.name.as_deref().unwrap_or("service-verification-keys");
            let json = serde_json::to_string(&set).unwrap_or_default();
            let variable = jwt_config::vars::SERVICE_VERIFICATION_KEYS;
            write!(
                out,
                "{}",
                manifest("ConfigMap", "data", name, &[(variable, &json)]).as_str()
            )?;
        }
    }
    bundle.write_notes(err)?;
    Ok(if bundle.complete() {
        EXIT_OK
    } else {
        EXIT_PROBLEMS
    })
}

/// Why an instance has no key in the set: what the inputs cannot tell (an object not in them),
/// or that it does not load.
fn why_not_loaded(unchecked: &[fleet::Unchecked]) -> String {
    let reasons: Vec<String> = unchecked
        .iter()
        .map(|u| clean(&u.reason).into_owned())
        .collect();
    if reasons.is_empty() {
        "does not load".to_owned()
    } else {
        format!("not checked: {}", reasons.join("; "))
    }
}

/// A Kubernetes object of `kind` (a ConfigMap's `data`, a Secret's `stringData`) holding
/// `entries`, variable and value. Strings are written as JSON strings, which YAML reads as
/// double-quoted scalars: nothing in a name or value escapes them. A value may be a private
/// key: every copy of it is wiped, and the text is never reallocated.
pub(super) fn manifest(
    kind: &str,
    field: &str,
    name: &str,
    entries: &[(&str, &str)],
) -> zeroize::Zeroizing<String> {
    let quoted =
        |text: &str| zeroize::Zeroizing::new(serde_json::to_string(text).unwrap_or_default());
    let head = format!(
        "apiVersion: v1\nkind: {kind}\nmetadata:\n  name: {}\n{field}:\n",
        quoted(name).as_str()
    );
    let entries: Vec<(&str, zeroize::Zeroizing<String>)> = entries
        .iter()
        .map(|(variable, value)| (*variable, quoted(value)))
        .collect();
    let length = entries
        .iter()
        .map(|(variable, value)| variable.len() + value.len() + 5)
        .sum::<usize>();
    let mut text = zeroize::Zeroizing::new(String::with_capacity(head.len() + length));
    text.push_str(&head);
    for (variable, value) in &entries {
        text.push_str("  ");
        text.push_str(variable);
        text.push_str(": ");
        text.push_str(value);
        text.push('\n');
    }
    text
}
