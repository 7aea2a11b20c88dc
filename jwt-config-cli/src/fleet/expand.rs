//! `$(VAR)` in a container's `env[].value`, as the kubelet expands it: a variable defined
//! before (by `envFrom` or an earlier `env` entry) is replaced by its value, an undefined one
//! stays as written, `$$` is one `$` (so `$$(VAR)` is the text `$(VAR)`), and a `$` before
//! anything else, or a `$(` never closed, is kept.

/// What a name refers to while expanding.
pub(crate) enum Lookup<'a> {
    Defined(&'a str),
    /// Defined, by something the inputs cannot tell (a Secret not in the input).
    Unknown,
    Undefined,
}

/// `text` expanded; `None` when it refers to a variable whose value is unknown.
pub(crate) fn expand<'a>(text: &str, lookup: impl Fn(&str) -> Lookup<'a>) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        match after.chars().next() {
            Some('$') => {
                out.push('$');
                rest = &after[1..];
            }
            Some('(') => match after.find(')') {
                Some(close) => {
                    let name = &after[1..close];
                    match lookup(name) {
                        Lookup::Defined(value) => out.push_str(value),
                        Lookup::Unknown => return None,
                        Lookup::Undefined => {
                            out.push_str("$(");
                            out.push_str(name);
                            out.push(')');
                        }
                    }
                    rest = &after[close + 1..];
                }
                None => {
                    out.push_str("$(");
                    rest = &after[1..];
                }
            },
            Some(other) => {
                out.push('$');
                out.push(other);
                rest = &after[other.len_utf8()..];
            }
            None => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expanded(text: &str) -> Option<String> {
        expand(text, |name| match name {
            "HOST" => Lookup::Defined("auth.internal"),
            "PORT" => Lookup::Defined("8443"),
            "SECRET" => Lookup::Unknown,
            _ => Lookup::Undefined,
        })
    }

    #[test]
    fn a_defined_variable_is_replaced() {
        assert_eq!(
            expanded("https://$(HOST):$(PORT)/").as_deref(),
            Some("https://auth.internal:8443/")
        );
    }

    #[test]
    fn an_undefined_variable_stays_as_written() {
        assert_eq!(expanded("$(NOPE)-x").as_deref(), Some("$(NOPE)-x"));
        assert_eq!(expanded("$()").as_deref(), Some("$()"));
    }

    #[test]
    fn a_double_dollar_escapes() {
        assert_eq!(expanded("$$(HOST)").as_deref(), Some("$(HOST)"));
        assert_eq!(expanded("a$$b").as_deref(), Some("a$b"));
        assert_eq!(expanded("$$$(HOST)").as_deref(), Some("$auth.internal"));
    }

    #[test]
    fn other_dollars_are_kept() {
        assert_eq!(
            expanded("$HOST ${HOST} $").as_deref(),
            Some("$HOST ${HOST} $")
        );
        assert_eq!(expanded("$(HOST").as_deref(), Some("$(HOST"));
        assert_eq!(expanded("€$é").as_deref(), Some("€$é"));
    }

    #[test]
    fn a_reference_to_an_unknown_value_makes_the_result_unknown() {
        assert_eq!(expanded("x$(SECRET)"), None);
    }
}
