//! Parses `#[config(...)]` on the struct and on its fields.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::parse::ParseStream;
use syn::{Ident, Lit, LitInt, LitStr, Token};

use crate::ctxt::Ctxt;
use crate::symbol::*;

/// A number of a `range` bound or a literal default, for compile-time comparison.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Number {
    Int(i128),
    Float(f64),
}

impl Number {
    /// The one way numbers of the attributes compare: integers exactly, anything with a
    /// float as floats.
    pub(crate) fn compare(self, other: Number) -> Option<std::cmp::Ordering> {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => Some(a.cmp(&b)),
            (a, b) => a.as_f64().partial_cmp(&b.as_f64()),
        }
    }

    fn as_f64(self) -> f64 {
        match self {
            Number::Int(value) => value as f64,
            Number::Float(value) => value,
        }
    }
}

/// One bound of `range(...)`: its tokens and its value.
pub(crate) struct Bound {
    pub tokens: TokenStream,
    pub value: Number,
}

pub(crate) struct Range {
    pub tokens: TokenStream,
    pub low: Option<Bound>,
    pub high: Option<Bound>,
    pub inclusive: bool,
}

pub(crate) struct DefaultValue {
    pub tokens: TokenStream,
    /// A number literal (negative ones included), for the range check.
    pub number: Option<Number>,
    /// A string literal, converted with `From<&str>`.
    pub string: Option<LitStr>,
}

pub(crate) struct RequiredIn {
    pub key: syn::Path,
    /// Each environment named: its token and the `Environment` variant.
    pub environments: Vec<(Ident, &'static str)>,
}

#[derive(Default)]
pub(crate) struct Container {
    pub prefix: Option<LitStr>,
    pub crate_path: Option<syn::Path>,
    pub validate: Option<syn::Path>,
    pub require_environment: Option<syn::Path>,
}

#[derive(Default)]
pub(crate) struct Field {
    pub env: Option<LitStr>,
    pub aliases: Vec<LitStr>,
    pub default: Option<DefaultValue>,
    pub required_in: Option<RequiredIn>,
    pub required_when: Option<LitStr>,
    pub secret: Option<syn::Path>,
    pub file: Option<syn::Path>,
    pub range: Option<Range>,
    pub min_len: Option<LitInt>,
    pub parse_with: Option<syn::Path>,
    pub flatten: Option<syn::Path>,
    pub prefix: Option<LitStr>,
    pub computed: Option<syn::Path>,
    pub per_service: Option<syn::Path>,
    pub key_material: Option<syn::Path>,
    pub input_only: Option<syn::Path>,
    /// Every known key given, in order, with its token: what the checks of combinations
    /// read, so a new key cannot escape them.
    pub keys: Vec<(&'static str, syn::Path)>,
}

impl Container {
    pub(crate) fn from_ast(cx: &Ctxt, attrs: &[syn::Attribute]) -> Container {
        let mut out = Container::default();
        for attr in attrs.iter().filter(|a| a.path().is_ident(CONFIG)) {
            let result = attr.parse_nested_meta(|meta| {
                let key = key_name(&meta);
                match key.as_str() {
                    // #[config(prefix = "BILLING_")]
                    PREFIX => {
                        let lit = parse_name(cx, &meta, true)?;
                        set_once(cx, &mut out.prefix, lit, &meta);
                    }
                    // #[config(crate = "my_jwt_config")]
                    CRATE => {
                        let lit: LitStr = meta.value()?.parse()?;
                        let path = lit.parse::<syn::Path>()?;
                        set_once(cx, &mut out.crate_path, path, &meta);
                    }
                    // #[config(require_environment)]
                    REQUIRE_ENVIRONMENT => {
                        set_once(cx, &mut out.require_environment, meta.path.clone(), &meta);
                    }
                    // #[config(validate = path::to_fn)]
                    VALIDATE => {
                        let path = meta.value()?.parse()?;
                        set_once(cx, &mut out.validate, path, &meta);
                    }
                    _ => unknown_key(cx, &meta, &key, CONTAINER_KEYS)?,
                }
                Ok(())
            });
            if let Err(error) = result {
                cx.syn_error(error);
            }
        }
        out
    }
}

impl Field {
    pub(crate) fn from_ast(cx: &Ctxt, attrs: &[syn::Attribute]) -> Field {
        let mut out = Field::default();
        for attr in attrs.iter().filter(|a| a.path().is_ident(CONFIG)) {
            if let Err(error) = attr.parse_nested_meta(|meta| out.parse_key(cx, meta)) {
                cx.syn_error(error);
            }
        }
        out
    }

    fn parse_key(&mut self, cx: &Ctxt, meta: ParseNestedMeta) -> syn::Result<()> {
        let key = key_name(&meta);
        if let Some(known) = FIELD_KEYS.iter().find(|known| **known == key) {
            self.keys.push((known, meta.path.clone()));
        }
        match key.as_str() {
            // #[config(env = "JWT_ISSUER")]
            ENV => {
                let lit = parse_name(cx, &meta, false)?;
                set_once(cx, &mut self.env, lit, &meta);
            }
            // #[config(alias = "JWT_SECRET")], repeatable
            ALIAS => self.aliases.push(parse_name(cx, &meta, false)?),
            // #[config(default = 15)], #[config(default = "text")], #[config(default = expr)]
            DEFAULT => {
                let value = parse_default(&meta)?;
                set_once(cx, &mut self.default, value, &meta);
            }
            // #[config(required_in(staging, production))]
            REQUIRED_IN => {
                let value = parse_required_in(cx, &meta)?;
                set_once(cx, &mut self.required_in, value, &meta);
            }
            // #[config(required_when = "JWT_ALGORITHM is HS256, HS384 or HS512")]
            REQUIRED_WHEN => {
                let lit: LitStr = meta.value()?.parse()?;
                if lit.value().trim().is_empty() {
                    cx.error_spanned_by(&lit, "`required_when` needs the condition in words");
                }
                set_once(cx, &mut self.required_when, lit, &meta);
            }
            // #[config(secret)]
            SECRET => set_once(cx, &mut self.secret, meta.path.clone(), &meta),
            // #[config(file)]
            FILE => set_once(cx, &mut self.file, meta.path.clone(), &meta),
            // #[config(range(1..=1440))], also `LOW..`, `..=HIGH`, `LOW..HIGH`
            RANGE => {
                let range = parse_range(&meta)?;
                set_once(cx, &mut self.range, range, &meta);
            }
            // #[config(min_len = 32)]
            MIN_LEN => {
                let lit: LitInt = meta.value()?.parse()?;
                lit.base10_parse::<usize>()?;
                set_once(cx, &mut self.min_len, lit, &meta);
            }
            // #[config(parse_with = path::to_fn)]
            PARSE_WITH => {
                let path = meta.value()?.parse()?;
                set_once(cx, &mut self.parse_with, path, &meta);
            }
            // #[config(per_service)]
            PER_SERVICE => set_once(cx, &mut self.per_service, meta.path.clone(), &meta),
            // #[config(key_material)]
            KEY_MATERIAL => set_once(cx, &mut self.key_material, meta.path.clone(), &meta),
            // #[config(input_only)]
            INPUT_ONLY => set_once(cx, &mut self.input_only, meta.path.clone(), &meta),
            // #[config(flatten)]
            FLATTEN => set_once(cx, &mut self.flatten, meta.path.clone(), &meta),
            // #[config(flatten, prefix = "DB_")]
            PREFIX => {
                let lit = parse_name(cx, &meta, true)?;
                set_once(cx, &mut self.prefix, lit, &meta);
            }
            // #[config(computed = path::to_fn)]
            COMPUTED => {
                let path = meta.value()?.parse()?;
                set_once(cx, &mut self.computed, path, &meta);
            }
            _ => unknown_key(cx, &meta, &key, FIELD_KEYS)?,
        }
        Ok(())
    }
}

fn key_name(meta: &ParseNestedMeta) -> String {
    meta.path.to_token_stream().to_string().replace(' ', "")
}

fn set_once<T>(cx: &Ctxt, slot: &mut Option<T>, value: T, meta: &ParseNestedMeta) {
    if slot.is_some() {
        cx.error_spanned_by(
            &meta.path,
            format!("duplicate `{}` in #[config]", key_name(meta)),
        );
    } else {
        *slot = Some(value);
    }
}

/// Records the error, skips the key's value, and lets parsing go on to the next key.
fn unknown_key(cx: &Ctxt, meta: &ParseNestedMeta, key: &str, known: &[&str]) -> syn::Result<()> {
    let mut message = format!("unknown #[config] key `{key}`");
    if let Some(best) = closest(key, known) {
        message.push_str(&format!("; did you mean `{best}`?"));
    } else {
        message.push_str(&format!("; expected one of: {}", known.join(", ")));
    }
    cx.error_spanned_by(&meta.path, message);
    if meta.input.peek(Token![=]) {
        meta.input.parse::<Token![=]>()?;
        skip_until_comma(meta.input)?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.input.parse::<proc_macro2::Group>()?;
    }
    Ok(())
}

fn closest<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|candidate| (edit_distance(key, candidate), *candidate))
        .filter(|(distance, candidate)| *distance <= candidate.len().div_ceil(2).max(1))
        .min()
        .map(|(_, candidate)| candidate)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

/// The tokens up to the next `,` that separates keys: one inside angle brackets (a
/// turbofish, `BTreeMap::<String, String>::new()`) belongs to the value. Parentheses and
/// brackets are single token trees already.
fn skip_until_comma(input: ParseStream) -> syn::Result<TokenStream> {
    use proc_macro2::{Spacing, TokenTree};
    let mut tokens = TokenStream::new();
    let mut depth = 0usize;
    let mut after_joint_arrow_start = false;
    let at_separator = |depth: usize| depth == 0 && input.peek(Token![,]);
    while !(input.is_empty() || at_separator(depth)) {
        let token = input.parse::<TokenTree>()?;
        if let TokenTree::Punct(punct) = &token {
            match punct.as_char() {
                '<' => depth += 1,
                // `->` and `=>` are no closing bracket.
                '>' if !after_joint_arrow_start => depth = depth.saturating_sub(1),
                _ => {}
            }
            after_joint_arrow_start =
                matches!(punct.as_char(), '-' | '=') && punct.spacing() == Spacing::Joint;
        } else {
            after_joint_arrow_start = false;
        }
        tokens.extend([token]);
    }
    Ok(tokens)
}

/// A variable name (or, with `is_prefix`, a prefix): `[A-Z_][A-Z0-9_]*`.
fn parse_name(cx: &Ctxt, meta: &ParseNestedMeta, is_prefix: bool) -> syn::Result<LitStr> {
    let lit: LitStr = meta.value()?.parse()?;
    let name = lit.value();
    let valid_start = name.starts_with(|c: char| c.is_ascii_uppercase() || c == '_');
    let valid_rest = name
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if !(valid_start && valid_rest) {
        let what = if is_prefix {
            "prefix"
        } else {
            "environment variable name"
        };
        cx.error_spanned_by(
            &lit,
            format!("invalid {what} `{name}`: use upper-case letters, digits and `_`, not starting with a digit"),
        );
    }
    Ok(lit)
}

fn parse_default(meta: &ParseNestedMeta) -> syn::Result<DefaultValue> {
    let input = meta.value()?;
    let tokens = skip_until_comma(input)?;
    if tokens.is_empty() {
        return Err(meta.error("expected a value after `default =`"));
    }
    let mut number = None;
    let mut string = None;
    if let Ok(parsed) = syn::parse2::<SignedLit>(tokens.clone()) {
        match parsed.lit {
            Lit::Str(lit) if !parsed.negative => string = Some(lit),
            lit => number = number_of(&lit, parsed.negative),
        }
    }
    Ok(DefaultValue {
        tokens,
        number,
        string,
    })
}

/// A literal with an optional leading minus sign.
struct SignedLit {
    negative: bool,
    lit: Lit,
}

impl syn::parse::Parse for SignedLit {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let negative = input.parse::<Option<Token![-]>>()?.is_some();
        Ok(SignedLit {
            negative,
            lit: input.parse()?,
        })
    }
}

fn number_of(lit: &Lit, negative: bool) -> Option<Number> {
    let sign = if negative { -1 } else { 1 };
    match lit {
        Lit::Int(int) => int
            .base10_parse::<i128>()
            .ok()
            .map(|v| Number::Int(sign * v)),
        Lit::Float(float) => float
            .base10_parse::<f64>()
            .ok()
            .map(|v| Number::Float(sign as f64 * v)),
        _ => None,
    }
}

fn parse_bound(input: ParseStream) -> syn::Result<Bound> {
    let start = input.fork();
    let parsed: SignedLit = input.parse().map_err(|error| {
        syn::Error::new(
            error.span(),
            "a range bound must be a number literal, such as 1, -5 or 0.5",
        )
    })?;
    let Some(value) = number_of(&parsed.lit, parsed.negative) else {
        return Err(syn::Error::new_spanned(
            &parsed.lit,
            "a range bound must be a number literal",
        ));
    };
    let mut tokens = TokenStream::new();
    let cursor = start;
    while cursor.cursor() != input.cursor() {
        tokens.extend([cursor.parse::<proc_macro2::TokenTree>()?]);
    }
    Ok(Bound { tokens, value })
}

fn parse_range(meta: &ParseNestedMeta) -> syn::Result<Range> {
    let content;
    syn::parenthesized!(content in meta.input);
    let tokens: TokenStream = content.fork().parse()?;
    let low = if content.peek(Token![..]) {
        None
    } else {
        Some(parse_bound(&content)?)
    };
    let inclusive = if content.peek(Token![..=]) {
        content.parse::<Token![..=]>()?;
        true
    } else {
        content.parse::<Token![..]>()?;
        false
    };
    let high = if content.is_empty() {
        None
    } else {
        Some(parse_bound(&content)?)
    };
    if !content.is_empty() {
        return Err(content.error("expected `LOW..=HIGH`, `LOW..HIGH`, `LOW..` or `..=HIGH`"));
    }
    if inclusive && high.is_none() {
        return Err(syn::Error::new_spanned(
            &tokens,
            "`..=` needs an upper bound",
        ));
    }
    Ok(Range {
        tokens,
        low,
        high,
        inclusive,
    })
}

fn parse_required_in(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<RequiredIn> {
    let content;
    syn::parenthesized!(content in meta.input);
    let names = content.parse_terminated(syn::Path::parse_mod_style, Token![,])?;
    if names.is_empty() {
        cx.error_spanned_by(&meta.path, "`required_in` needs at least one environment");
    }
    let mut environments = Vec::new();
    for path in &names {
        let Some(ident) = path.get_ident() else {
            cx.error_spanned_by(path, "expected an environment name");
            continue;
        };
        let name = ident.to_string();
        match ENVIRONMENTS.iter().find(|(known, _)| *known == name) {
            Some((_, variant)) => environments.push((ident.clone(), *variant)),
            None => cx.error_spanned_by(
                ident,
                format!("unknown environment `{name}`; expected development, test, staging or production"),
            ),
        }
    }
    Ok(RequiredIn {
        key: meta.path.clone(),
        environments,
    })
}

/// The doc comment of an item, lines joined, leading space trimmed.
pub(crate) fn doc_comment(attrs: &[syn::Attribute]) -> String {
    let mut lines = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident("doc")) {
        if let syn::Meta::NameValue(nv) = &attr.meta
            && let syn::Expr::Lit(syn::ExprLit {
                lit: Lit::Str(lit), ..
            }) = &nv.value
        {
            let value = lit.value();
            lines.push(
                value
                    .strip_prefix(' ')
                    .unwrap_or(&value)
                    .trim_end()
                    .to_owned(),
            );
        }
    }
    lines.join("\n").trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misspelt_keys_get_the_closest_suggestion() {
        assert_eq!(closest("alais", FIELD_KEYS), Some("alias"));
        assert_eq!(closest("defualt", FIELD_KEYS), Some("default"));
        assert_eq!(closest("xyzzy", FIELD_KEYS), None);
    }
}
