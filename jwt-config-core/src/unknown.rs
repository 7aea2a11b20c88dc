//! Names in a source that look like the schema's but are not in it: a typo such as
//! `JWT_ACCES_TOKEN_EXPIRE_MINUTES=60` would otherwise load as valid with the default.

use std::collections::BTreeSet;

use crate::environment::ENVIRONMENT_VARIABLE;
use crate::schema::Schema;

/// One warning for each name of `names` that shares a leading word with the schema's names
/// (`JWT_`, `SERVICE_`, a prefix such as `BILLING_`) but is no canonical name, alias or
/// `_FILE` variant: the unknown name and the message.
pub(crate) fn unknown_names(schema: &'static Schema, names: &[String]) -> Vec<(String, String)> {
    let variables = schema.variables();
    let mut known: BTreeSet<String> = BTreeSet::from([ENVIRONMENT_VARIABLE.to_owned()]);
    let mut readable: BTreeSet<String> = BTreeSet::new();
    for variable in &variables {
        for name in std::iter::once(&variable.name).chain(&variable.aliases) {
            readable.insert(name.clone());
            known.insert(name.clone());
            if variable.file_variable.is_some() {
                known.insert(format!("{name}_FILE"));
            }
        }
    }
    let families: BTreeSet<&str> = readable.iter().filter_map(|n| leading_word(n)).collect();
    names
        .iter()
        .filter(|name| !known.contains(*name))
        .filter(|name| families.iter().any(|family| name.starts_with(family)))
        .map(|name| (name.clone(), message(schema.name, name, &known, &readable)))
        .collect()
}

/// `JWT_` of `JWT_ISSUER`; `None` for a name of one word.
fn leading_word(name: &str) -> Option<&str> {
    match name.find('_') {
        Some(index) if index > 0 => Some(&name[..=index]),
        _ => None,
    }
}

fn message(
    schema: &str,
    name: &str,
    known: &BTreeSet<String>,
    readable: &BTreeSet<String>,
) -> String {
    if let Some(base) = name.strip_suffix("_FILE")
        && readable.contains(base)
    {
        return format!(
            "is not read: {base} accepts no `_FILE` variant; set {base} itself (only secrets and fields marked `file` accept one)"
        );
    }
    match closest(name, known) {
        Some(candidate) => {
            format!("is not a variable of {schema} and is ignored; did you mean {candidate}?")
        }
        None => {
            format!("is not a variable of {schema} and is ignored; check its spelling or remove it")
        }
    }
}

/// The known name nearest to `name`, if it is near enough to be a typo of it.
fn closest<'a>(name: &str, known: &'a BTreeSet<String>) -> Option<&'a str> {
    known
        .iter()
        .map(|candidate| (strsim::damerau_levenshtein(name, candidate), candidate))
        .filter(|(distance, candidate)| *distance <= 3 && *distance * 4 <= candidate.len())
        .min()
        .map(|(_, candidate)| candidate.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_words_are_the_first_word_with_its_underscore() {
        assert_eq!(leading_word("JWT_ISSUER"), Some("JWT_"));
        assert_eq!(leading_word("ENVIRONMENT"), None);
        assert_eq!(leading_word("_X"), None);
    }

    #[test]
    fn a_typo_is_matched_to_the_nearest_name() {
        let known: BTreeSet<String> = ["JWT_ACCESS_TOKEN_EXPIRE_MINUTES", "JWT_ISSUER"]
            .map(String::from)
            .into();
        assert_eq!(
            closest("JWT_ACCES_TOKEN_EXPIRE_MINUTES", &known),
            Some("JWT_ACCESS_TOKEN_EXPIRE_MINUTES")
        );
        assert_eq!(closest("JWT_SOMETHING_ELSE", &known), None);
    }
}
