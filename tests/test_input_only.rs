//! `input_only`: a variable read by the checks and computed fields, then dropped; the struct
//! keeps `None` and what was computed from it, and the report still lists it.

use jwt_config::{Config, Context, MapSource, Secret};

/// A digest of the key, standing for a parsed key.
fn key_length(partial: &ServicePartial<'_>, _: &mut Context<'_>) -> Option<usize> {
    Some(
        partial
            .signing_key?
            .as_ref()
            .map_or(0, |key| key.expose().len()),
    )
}

#[derive(Config, Debug)]
struct Service {
    /// Signing key text: read once, turned into `key_length`, dropped.
    #[config(env = "SIGNING_KEY", input_only)]
    signing_key: Option<Secret<String>>,
    #[config(computed = key_length)]
    key_length: usize,
}

#[test]
fn an_input_only_value_is_read_by_computed_fields_then_dropped() {
    let source: MapSource = [("SIGNING_KEY", "signing-key-of-some-length")]
        .into_iter()
        .collect();
    let loaded = Service::load_with_report(&source).unwrap();
    assert!(loaded.value.signing_key.is_none());
    assert_eq!(loaded.value.key_length, "signing-key-of-some-length".len());
    let listed = loaded
        .variables
        .iter()
        .find(|v| v.variable() == "SIGNING_KEY")
        .unwrap();
    assert!(listed.rendered().is_some(), "still listed as set");
}
