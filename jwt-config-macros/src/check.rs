//! Rules across attributes and fields, one function a rule.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::ToTokens;

use crate::ast::{Container, Field};
use crate::ctxt::Ctxt;
use crate::symbol::VARIABLE_KEYS;

pub(crate) fn check(cx: &Ctxt, cont: &Container) {
    for field in &cont.fields {
        check_flatten_takes_no_variable_attributes(cx, field);
        check_computed_takes_no_variable_attributes(cx, field);
        check_prefix_only_with_flatten(cx, field);
        check_conditional_requirement_needs_a_fallback(cx, field);
        check_range_is_not_empty(cx, field);
        check_literal_default_is_in_range(cx, field);
        check_input_only_is_an_option(cx, field);
        check_input_only_is_read(cx, cont, field);
    }
    check_fields_read_distinct_variables(cx, cont);
    check_alias_is_not_its_own_name(cx, cont);
    check_alias_is_not_another_fields_variable(cx, cont);
    check_alias_is_not_another_alias(cx, cont);
}

/// The variable attributes a field has (see `symbol::VARIABLE_KEYS`), each with its key.
fn variable_attributes<'f>(
    field: &'f Field<'_>,
) -> impl Iterator<Item = &'f (&'static str, syn::Path)> {
    field
        .attrs
        .keys
        .iter()
        .filter(|(key, _)| VARIABLE_KEYS.contains(key))
}

/// A flattened field reads no variable of its own, so variable attributes contradict it.
fn check_flatten_takes_no_variable_attributes(cx: &Ctxt, field: &Field) {
    if field.attrs.flatten.is_none() {
        return;
    }
    for (name, key) in variable_attributes(field) {
        cx.error_spanned_by(key, format!("`{name}` cannot be combined with `flatten`; put it on the fields of the flattened struct"));
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
    for (name, key) in variable_attributes(field) {
        cx.error_spanned_by(
            key,
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

/// An `input_only` field keeps `None` after the load, so it must be an `Option`.
fn check_input_only_is_an_option(cx: &Ctxt, field: &Field) {
    if let Some(key) = &field.attrs.input_only
        && !field.shape.optional
    {
        cx.error_spanned_by(
            key,
            "`input_only` needs an `Option<...>` field: after the load the struct keeps `None`",
        );
    }
}

/// An `input_only` value is dropped after the load: something must read it before.
fn check_input_only_is_read(cx: &Ctxt, cont: &Container, field: &Field) {
    let readers =
        cont.attrs.validate.is_some() || cont.fields.iter().any(|f| f.attrs.computed.is_some());
    if let Some(key) = &field.attrs.input_only
        && !readers
    {
        cx.error_spanned_by(
            key,
            "`input_only` drops the value after the load and nothing reads it before: add a `computed` field or a `validate` check that uses it, or remove `input_only`",
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
    let empty = match low.value.compare(high.value) {
        Some(Ordering::Greater) => true,
        Some(Ordering::Equal) => !range.inclusive,
        _ => false,
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
    let below = range
        .low
        .as_ref()
        .is_some_and(|low| value.compare(low.value) == Some(Ordering::Less));
    let above = range
        .high
        .as_ref()
        .is_some_and(|high| match value.compare(high.value) {
            Some(Ordering::Greater) => true,
            Some(Ordering::Equal) => !range.inclusive,
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

/// The canonical variable of every variable field, prefix applied, each with its first field.
fn canonical_names<'c>(cont: &'c Container<'c>) -> BTreeMap<String, &'c Field<'c>> {
    let mut names = BTreeMap::new();
    for field in cont.fields.iter().filter(|f| f.is_variable()) {
        names
            .entry(cont.full_name(field.variable_name()))
            .or_insert(field);
    }
    names
}

/// Every alias of the struct, prefix applied: its field and its token.
fn aliases<'c>(cont: &'c Container<'c>) -> Vec<(String, &'c Field<'c>, &'c syn::LitStr)> {
    cont.fields
        .iter()
        .filter(|f| f.is_variable())
        .flat_map(|field| {
            let aliases = field.attrs.aliases.iter();
            aliases.map(move |alias| (cont.full_name(alias.value()), field, alias))
        })
        .collect()
}

/// Two fields never read one variable.
fn check_fields_read_distinct_variables(cx: &Ctxt, cont: &Container) {
    let first = canonical_names(cont);
    for field in cont.fields.iter().filter(|f| f.is_variable()) {
        let name = cont.full_name(field.variable_name());
        if let Some(other) = first.get(&name).filter(|other| other.ident != field.ident) {
            cx.error_spanned_by(
                name_tokens(field),
                format!(
                    "fields `{}` and `{}` both read `{name}`",
                    other.ident, field.ident
                ),
            );
        }
    }
}

/// An alias is never its own field's name.
fn check_alias_is_not_its_own_name(cx: &Ctxt, cont: &Container) {
    for (name, field, alias) in aliases(cont) {
        if name == cont.full_name(field.variable_name()) {
            cx.error_spanned_by(alias, format!("alias `{name}` is the field's own name"));
        }
    }
}

/// An alias never names another field's variable.
fn check_alias_is_not_another_fields_variable(cx: &Ctxt, cont: &Container) {
    let canonical = canonical_names(cont);
    for (name, field, alias) in aliases(cont) {
        if let Some(other) = canonical
            .get(&name)
            .filter(|other| other.ident != field.ident)
        {
            cx.error_spanned_by(
                alias,
                format!("alias `{name}` is the variable of field `{}`", other.ident),
            );
        }
    }
}

/// An alias never repeats an alias given before it.
fn check_alias_is_not_another_alias(cx: &Ctxt, cont: &Container) {
    let mut seen: BTreeMap<String, &Field> = BTreeMap::new();
    for (name, field, alias) in aliases(cont) {
        match seen.get(&name) {
            Some(other) => cx.error_spanned_by(
                alias,
                format!(
                    "alias `{name}` is already an alias of field `{}`",
                    other.ident
                ),
            ),
            None => {
                seen.insert(name, field);
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
