//! Names in a source that look like the schema's but are not in it: a typo such as
//! `JWT_ACCES_TOKEN_EXPIRE_MINUTES=60` would otherwise load as valid with the default.
//!
//! It runs on every load, so the common case (a name of another family, or a known name) is
//! decided by walking the static schema without allocating; only an unknown name of a known
//! family builds the schema's full list of names, for its message.

use crate::environment::never_prefixed;
use crate::schema::{Entry, Schema, VarSchema};

/// Whether a schema has any name family, decided at compile time (a const of each `Config`),
/// so a schema without one pays nothing at load: some variable under a non-empty prefix, or
/// two variables whose names share a leading word.
pub(crate) const fn has_families(schema: &Schema) -> bool {
    let mut names: [&str; MAX_NAMES] = [""; MAX_NAMES];
    let mut count = 0;
    if collect_unprefixed(schema, &mut names, &mut count) {
        return true;
    }
    let mut i = 0;
    while i < count {
        let mut j = i + 1;
        while j < count {
            if same_leading_word(names[i], names[j]) {
                return true;
            }
            j += 1;
        }
        i += 1;
    }
    false
}

const MAX_NAMES: usize = 512;

/// Gathers the names of unprefixed variables; `true` as soon as a prefix is found (a
/// family by itself) or there are more names than it keeps (treated as having families).
const fn collect_unprefixed(
    schema: &Schema,
    names: &mut [&'static str; MAX_NAMES],
    count: &mut usize,
) -> bool {
    if !schema.prefix.is_empty() {
        return true;
    }
    let mut i = 0;
    while i < schema.entries.len() {
        match &schema.entries[i] {
            Entry::Var(var) => {
                if *count == MAX_NAMES {
                    return true;
                }
                names[*count] = var.name;
                *count += 1;
            }
            Entry::Flatten(child) => {
                if !child.prefix.is_empty() || collect_unprefixed(child.schema, names, count) {
                    return true;
                }
            }
        }
        i += 1;
    }
    false
}

/// Whether two names start with the same word and its `_` (`JWT_ISSUER`, `JWT_AUDIENCE`).
const fn same_leading_word(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut i = 0;
    while i < a.len() && i < b.len() && a[i] == b[i] {
        if a[i] == b'_' {
            return i > 0;
        }
        i += 1;
    }
    false
}

/// The name families of a schema: each prefix of a struct or flattened struct, and each
/// leading word (`JWT_`) that at least two of its variables share. A lone `STRIPE_API_KEY`
/// does not claim every `STRIPE_*` name of the environment.
pub(crate) fn families(schema: &'static Schema) -> Vec<String> {
    // Counted without allocating: most schemas have no prefix, so a family is a slice of a
    // static name; only a prefixed schema builds its prefix once.
    let mut counted: Vec<(std::borrow::Cow<'static, str>, usize)> = Vec::new();
    walk(schema, &mut Vec::new(), &mut |prefixes, var| {
        let Some(family) = family_of(prefixes, var.name) else {
            return;
        };
        match counted.iter_mut().find(|(f, _)| *f == family) {
            Some((_, count)) => *count += 1,
            // A prefix is a family by itself: it was chosen to name a group.
            None => {
                let weight = if prefixes.iter().any(|p| !p.is_empty()) {
                    2
                } else {
                    1
                };
                counted.push((family, weight));
            }
        }
    });
    counted
        .into_iter()
        .filter(|(_, count)| *count >= 2)
        .map(|(family, _)| family.into_owned())
        .collect()
}

/// One warning for each name of `names` of one of `families` that is no canonical name,
/// alias or `_FILE` variant of the schema: the unknown name and the message.
pub(crate) fn unknown_names(
    schema: &'static Schema,
    families: &[String],
    names: &[String],
) -> Vec<(String, String)> {
    names
        .iter()
        .filter(|name| {
            families
                .iter()
                .any(|family| name.starts_with(family.as_str()))
        })
        .filter(|name| !is_known(schema, name))
        .map(|name| (name.clone(), message(schema, name)))
        .collect()
}

/// Calls `visit` with every variable and the prefixes in force over it.
fn walk(
    schema: &'static Schema,
    prefixes: &mut Vec<&'static str>,
    visit: &mut dyn FnMut(&[&'static str], &'static VarSchema),
) {
    prefixes.push(schema.prefix);
    for entry in schema.entries {
        match entry {
            Entry::Var(var) => visit(prefixes, var),
            Entry::Flatten(child) => {
                prefixes.push(child.prefix);
                walk(child.schema, prefixes, visit);
                prefixes.pop();
            }
        }
    }
    prefixes.pop();
}

/// The family of a name: its prefixes when it has any, else its first word with the `_`
/// (`JWT_` of `JWT_ISSUER`); `None` for a one-word name without prefix (`ENVIRONMENT`).
fn family_of(
    prefixes: &[&'static str],
    name: &'static str,
) -> Option<std::borrow::Cow<'static, str>> {
    if prefixes.iter().any(|p| !p.is_empty()) && !never_prefixed(name) {
        return Some(std::borrow::Cow::Owned(prefixes.concat()));
    }
    match name.find('_') {
        Some(index) if index > 0 => Some(std::borrow::Cow::Borrowed(&name[..=index])),
        _ => None,
    }
}

/// The unknown-variable message of `name` when it is a typo of a name the schema reads (near
/// enough to one), whatever its family; `None` for a name the schema reads, or one near none.
pub(crate) fn near_miss(schema: &'static Schema, name: &str) -> Option<String> {
    if is_known(schema, name) {
        return None;
    }
    let variables = schema.variables();
    let candidates = variables
        .iter()
        .flat_map(|v| std::iter::once(&v.name).chain(&v.aliases))
        .map(String::as_str);
    closest(name, candidates)?;
    Some(message(schema, name))
}

/// Whether `name` is a name the schema reads, comparing piece by piece without allocating.
fn is_known(schema: &'static Schema, name: &str) -> bool {
    if never_prefixed(name) {
        return true;
    }
    let mut known = false;
    walk(schema, &mut Vec::new(), &mut |prefixes, var| {
        let Some(rest) = prefixes
            .iter()
            .try_fold(name, |rest, prefix| rest.strip_prefix(prefix))
        else {
            return;
        };
        for base in std::iter::once(&var.name).chain(var.aliases) {
            known |= rest == *base || (var.file && rest.strip_suffix("_FILE") == Some(base));
        }
    });
    known
}

/// The words before the name an unknown variable's warning suggests.
const DID_YOU_MEAN: &str = "did you mean ";

/// Whether an unknown-variable warning's message suggests `variable`: the hint a problem of
/// that variable is shown with (`JWT_ISSUER: is missing` beside `JWT_ISSUR` set).
pub(crate) fn suggests(message: &str, variable: &str) -> bool {
    message
        .rsplit_once(DID_YOU_MEAN)
        .is_some_and(|(_, rest)| rest.strip_suffix('?') == Some(variable))
}

fn message(schema: &'static Schema, name: &str) -> String {
    let variables = schema.variables();
    let readable: Vec<&str> = variables
        .iter()
        .flat_map(|v| std::iter::once(&v.name).chain(&v.aliases))
        .map(String::as_str)
        .collect();
    if let Some(base) = name.strip_suffix("_FILE")
        && readable.contains(&base)
    {
        return format!(
            "is not read: {base} accepts no `_FILE` variant; set {base} itself (only secrets and fields marked `file` accept one)"
        );
    }
    let files = variables.iter().filter_map(|v| v.file_variable.as_deref());
    let candidates = readable.iter().copied().chain(files);
    match closest(name, candidates) {
        Some(candidate) => format!(
            "is not a variable of {} and is ignored; {DID_YOU_MEAN}{candidate}?",
            schema.name
        ),
        None => format!(
            "is not a variable of {} and is ignored; check its spelling or remove it",
            schema.name
        ),
    }
}

/// The known name nearest to `name`, if it is near enough to be a typo of it.
fn closest<'a>(name: &str, known: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    // A typo of at most 3 edits changes the length by at most 3: the rest need no distance.
    known
        .filter(|candidate| candidate.len().abs_diff(name.len()) <= 3)
        .map(|candidate| (strsim::osa_distance(name, candidate), candidate))
        .filter(|(distance, candidate)| *distance <= 3 && *distance * 4 <= candidate.len())
        .min()
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_are_the_prefix_or_the_first_word() {
        assert_eq!(family_of(&[""], "JWT_ISSUER").as_deref(), Some("JWT_"));
        assert_eq!(family_of(&["", "DB_"], "HOST").as_deref(), Some("DB_"));
        assert_eq!(family_of(&["", "DB_"], "ENVIRONMENT"), None);
        assert_eq!(family_of(&["APP_"], "ENVIRONMENT"), None);
        assert_eq!(family_of(&[""], "_X"), None);
    }

    #[test]
    fn leading_words_compare_up_to_the_first_underscore() {
        assert!(same_leading_word("JWT_ISSUER", "JWT_AUDIENCE"));
        assert!(!same_leading_word("JWT_ISSUER", "JWTX_ISSUER"));
        assert!(!same_leading_word("PORT", "PORTS"));
        assert!(!same_leading_word("_A", "_B"));
    }

    #[test]
    fn a_typo_is_matched_to_the_nearest_name() {
        let known = ["JWT_ACCESS_TOKEN_EXPIRE_MINUTES", "JWT_ISSUER"];
        assert_eq!(
            closest("JWT_ACCES_TOKEN_EXPIRE_MINUTES", known.into_iter()),
            Some("JWT_ACCESS_TOKEN_EXPIRE_MINUTES")
        );
        assert_eq!(closest("JWT_SOMETHING_ELSE", known.into_iter()), None);
    }
}
