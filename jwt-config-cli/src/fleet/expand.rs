//! `$(VAR)` in a container's `env[].value`, as the kubelet expands it: a variable defined
//! before (by `envFrom` or an earlier `env` entry) is replaced by its value, an undefined one
//! stays as written, `$$` is one `$` (so `$$(VAR)` is the text `$(VAR)`), and a `$` before
//! anything else, or a `$(` never closed, is kept.

/// What a name refers to while expanding.
pub(crate) enum Lookup<'a> {
    /// Its value as the container gets it (a Secret's bytes need not be UTF-8).
    Defined(&'a [u8]),
    /// Defined, by something the inputs cannot tell (a Secret not in the input).
    Unknown,
    Undefined,
}

/// `text` expanded, as bytes; `None` when it refers to a variable whose value is unknown.
pub(crate) fn expand<'a>(text: &str, lookup: impl Fn(&str) -> Lookup<'a>) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    let mut rest = text;
    while let Some(dollar) = rest.find('$') {
        out.extend_from_slice(&rest.as_bytes()[..dollar]);
        let after = &rest[dollar + 1..];
        match after.chars().next() {
            Some('$') => {
                out.push(b'$');
                rest = &after[1..];
            }
            Some('(') => match after.find(')') {
                Some(close) => {
                    let name = &after[1..close];
                    match lookup(name) {
                        Lookup::Defined(value) => out.extend_from_slice(value),
                        Lookup::Unknown => return None,
                        Lookup::Undefined => {
                            out.extend_from_slice(b"$(");
                            out.extend_from_slice(name.as_bytes());
                            out.push(b')');
                        }
                    }
                    rest = &after[close + 1..];
                }
                None => {
                    out.extend_from_slice(b"$(");
                    rest = &after[1..];
                }
            },
            Some(other) => {
                out.push(b'$');
                out.extend_from_slice(other.encode_utf8(&mut [0; 4]).as_bytes());
                rest = &after[other.len_utf8()..];
            }
            None => {
                out.push(b'$');
                rest = after;
            }
        }
    }
    out.extend_from_slice(rest.as_bytes());
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expanded(text: &str) -> Option<String> {
        expand(text, |name| match name {
            "HOST" => Lookup::Defined(b"auth.internal"),
            "PORT" => Lookup::Defined(b"8443"),
            "SECRET" => Lookup::Unknown,
            _ => Lookup::Undefined,
        })
        .map(|bytes| String::from_utf8(bytes).unwrap())
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
