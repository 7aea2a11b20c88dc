//! Rules across attributes and fields, one function a rule.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::ToTokens;

use crate::ast::{Container, Field};
use crate::attr::Number;
use crate::ctxt::Ctxt;

pub fn check(cx: &Ctxt, cont: &Container) {
    for field in &cont.fields {
        check_flatten_takes_no_variable_attributes(cx, field);
        check_computed_takes_no_variable_attributes(cx, field);
        check_prefix_only_with_flatten(cx, field);
        check_conditional_requirement_needs_a_fallback(cx, field);
        check_range_is_not_empty(cx, field);
        check_literal_default_is_in_range(cx, field);
    }
    check_variables_are_distinct(cx, cont);
}

/// The variable attributes a field has, each with its key token.
fn variable_attributes(field: &Field) -> Vec<(&'static str, TokenStream)> {
    let a = &field.attrs;
    let mut found: Vec<(&'static str, TokenStream)> = Vec::new();
    let mut add = |name: &'static str, tokens: Option<TokenStream>| {
        if let Some(tokens) = tokens {
            found.push((name, tokens));
        }
    };
    add("env", a.env.as_ref().map(ToTokens::to_token_stream));
    add("alias", a.aliases.first().map(ToTokens::to_token_stream));
    add(
        "default",
        a.default.as_ref().map(|d| d.key.to_token_stream()),
    );
    add(
        "required_in",
        a.required_in.as_ref().map(|r| r.key.to_token_stream()),
    );
    add(
        "required_when",
        a.required_when.as_ref().map(ToTokens::to_token_stream),
    );
    add("secret", a.secret.as_ref().map(ToTokens::to_token_stream));
    add("file", a.file.as_ref().map(ToTokens::to_token_stream));
    add("range", a.range.as_ref().map(|r| r.tokens.clone()));
    add("min_len", a.min_len.as_ref().map(ToTokens::to_token_stream));
    add(
        "per_service",
        a.per_service.as_ref().map(ToTokens::to_token_stream),
    );
    add(
        "parse_with",
        a.parse_with.as_ref().map(ToTokens::to_token_stream),
    );
    found
}

/// A flattened field reads no variable of its own, so variable attributes contradict it.
fn check_flatten_takes_no_variable_attributes(cx: &Ctxt, field: &Field) {
    if field.attrs.flatten.is_none() {
        return;
    }
    for (name, tokens) in variable_attributes(field) {
        cx.error_spanned_by(tokens, format!("`{name}` cannot be combined with `flatten`; put it on the fields of the flattened struct"));
    }
    if let Some(computed) = &field.attrs.computed {
        cx.error_spanned_by(computed, "`computed` cannot be combined with `flatten`");
    }
}

/// A computed field is not read from a variable, so variable attributes contradict it.
fn check_computed_takes_no_variable_attributes(cx: &Ctxt, field: &Field) {
    if field.attrs.computed.is_none() || field.attrs.flatten.is_some() {
        return;
    }
    for (name, tokens) in variable_attributes(field) {
        cx.error_spanned_by(
            tokens,
            format!("`{name}` cannot be combined with `computed`, which reads no variable"),
        );
    }
}

/// A field-level `prefix` renames a flattened struct's variables; elsewhere it means nothing.
fn check_prefix_only_with_flatten(cx: &Ctxt, field: &Field) {
    if let Some(prefix) = &field.attrs.prefix
        && field.attrs.flatten.is_none()
    {
        cx.error_spanned_by(
            prefix,
            "`prefix` on a field needs `flatten`; use `env` to name a single variable",
        );
    }
}

/// `required_in` and `required_when` only mean something for a field that may be unset
/// elsewhere; on a field required in every environment they contradict the schema.
fn check_conditional_requirement_needs_a_fallback(cx: &Ctxt, field: &Field) {
    if !field.is_variable() || field.shape.optional || field.attrs.default.is_some() {
        return;
    }
    let a = &field.attrs;
    let keys = [
        (
            "required_in",
            a.required_in.as_ref().map(|r| r.key.to_token_stream()),
        ),
        (
            "required_when",
            a.required_when.as_ref().map(ToTokens::to_token_stream),
        ),
    ];
    for (name, tokens) in keys.into_iter().filter_map(|(n, t)| Some((n, t?))) {
        cx.error_spanned_by(
            tokens,
            format!("`{name}` on a field that is required in every environment anyway; make it an `Option` or give it a `default`"),
        );
    }
}

/// A range must admit at least one value.
fn check_range_is_not_empty(cx: &Ctxt, field: &Field) {
    let Some(range) = &field.attrs.range else {
        return;
    };
    let (Some(low), Some(high)) = (&range.low, &range.high) else {
        return;
    };
    let empty = if range.inclusive {
        low.value > high.value
    } else {
        low.value >= high.value
    };
    if empty {
        cx.error_spanned_by(
            &range.tokens,
            "this range is empty: its lower bound is not below its upper bound",
        );
    }
}

/// A literal default must satisfy the field's own range.
fn check_literal_default_is_in_range(cx: &Ctxt, field: &Field) {
    let (Some(range), Some(default)) = (&field.attrs.range, &field.attrs.default) else {
        return;
    };
    let Some(value) = default.number else { return };
    let compare = |a: Number, b: Number| a.as_f64().partial_cmp(&b.as_f64());
    let below = range
        .low
        .as_ref()
        .is_some_and(|low| compare(value, low.value) == Some(std::cmp::Ordering::Less));
    let above = range
        .high
        .as_ref()
        .is_some_and(|high| match compare(value, high.value) {
            Some(std::cmp::Ordering::Greater) => true,
            Some(std::cmp::Ordering::Equal) => !range.inclusive,
            _ => false,
        });
    if below || above {
        let range_text = range.tokens.to_string().replace(' ', "");
        cx.error_spanned_by(
            &default.tokens,
            format!("the default is outside the field's range ({range_text})"),
        );
    }
}

/// Two fields never read one variable, and an alias never names another field's
/// variable, another alias, or its own field's name.
fn check_variables_are_distinct(cx: &Ctxt, cont: &Container) {
    let full = |name: String| cont.full_name(name);
    let mut canonical: BTreeMap<String, &Field> = BTreeMap::new();
    for field in cont.fields.iter().filter(|f| f.is_variable()) {
        let name = full(field.variable_name());
        if let Some(first) = canonical.get(&name) {
            let tokens = name_tokens(field);
            cx.error_spanned_by(
                tokens,
                format!(
                    "fields `{}` and `{}` both read `{name}`",
                    first.ident, field.ident
                ),
            );
        } else {
            canonical.insert(name, field);
        }
    }
    let mut aliases: BTreeMap<String, &Field> = BTreeMap::new();
    for field in cont.fields.iter().filter(|f| f.is_variable()) {
        let own = full(field.variable_name());
        for alias in &field.attrs.aliases {
            let name = full(alias.value());
            if name == own {
                cx.error_spanned_by(alias, format!("alias `{name}` is the field's own name"));
            } else if let Some(other) = canonical.get(&name) {
                cx.error_spanned_by(
                    alias,
                    format!("alias `{name}` is the variable of field `{}`", other.ident),
                );
            } else if let Some(other) = aliases.get(&name) {
                cx.error_spanned_by(
                    alias,
                    format!(
                        "alias `{name}` is already an alias of field `{}`",
                        other.ident
                    ),
                );
            } else {
                aliases.insert(name, field);
            }
        }
    }
}

fn name_tokens(field: &Field) -> TokenStream {
    match &field.attrs.env {
        Some(env) => env.to_token_stream(),
        None => field.original.ident.to_token_stream(),
    }
}
