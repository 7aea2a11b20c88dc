//! Generation, split by output item: the schema, the loader, the partial view, the docs.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{DeriveInput, Ident, Type};

use crate::ast::{Container, Field, Kind};
use crate::attr::DefaultValue;
use crate::check;
use crate::ctxt::Ctxt;

pub(crate) fn derive(input: &DeriveInput) -> syn::Result<TokenStream> {
    let cx = Ctxt::new();
    let Some(cont) = Container::from_ast(&cx, input) else {
        cx.check()?;
        unreachable!("a rejected input reports an error");
    };
    check::check(&cx, &cont);
    match cx.check() {
        Ok(()) => Ok(expand(&cont)),
        Err(error) => {
            let mut tokens = error.into_compile_error();
            tokens.extend(fallback(&cont));
            Ok(tokens)
        }
    }
}

/// The crate the generated code calls: `::jwt_config` or the `crate = "..."` path.
fn krate(cont: &Container) -> TokenStream {
    match &cont.attrs.crate_path {
        Some(path) => path.to_token_stream(),
        None => quote!(::jwt_config),
    }
}

/// After an error: an impl that compiles, so the user sees the real error and no cascade.
fn fallback(cont: &Container) -> TokenStream {
    let krate = krate(cont);
    let ident = &cont.original.ident;
    let name = ident.to_string();
    let (impl_generics, type_generics, where_clause) = cont.original.generics.split_for_impl();
    quote! {
        #[automatically_derived]
        impl #impl_generics #krate::__private::Config for #ident #type_generics #where_clause {
            const SCHEMA: #krate::__private::Schema =
                #krate::__private::schema(#name, "", "", false, &[]);
            fn load(_: &mut #krate::__private::Context<'_>) -> ::core::option::Option<Self> {
                ::core::unimplemented!()
            }
        }
    }
}

fn expand(cont: &Container) -> TokenStream {
    let krate = krate(cont);
    let ident = cont.ident;
    let var_consts = cont
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.is_variable())
        .map(|(i, f)| var_schema(&krate, i, f));
    let schema = schema(cont, &krate);
    let load = load_fn(cont, &krate);
    let doc = doc_table(cont);
    let partial = partial_struct(cont);
    let flatten_check = cont
        .fields
        .iter()
        .any(|f| f.attrs.flatten.is_some())
        .then(|| {
            // Spanned on the struct's name, so the error points at the struct.
            quote_spanned! {ident.span()=>
                const _: () = #krate::__private::assert_distinct_variables(
                    &<#ident as #krate::__private::Config>::SCHEMA,
                );
            }
        });
    let has_jwt_config = has_jwt_config(cont, &krate);
    quote! {
        #partial
        #has_jwt_config
        const _: () = {
            #[allow(unused_imports)]
            use #krate::__private::{ViaConfigValue as _, ViaDisplay as _, ViaFromStr as _, ViaOpaque as _};
            #(#var_consts)*
            // On an inherent impl: rustdoc shows it under "Implementations", before the
            // trait impls, where a reader of the struct's page looks first.
            #[doc = #doc]
            impl #ident {}
            #[automatically_derived]
            impl #krate::__private::Config for #ident {
                #schema
                #load
                fn name_table() -> ::core::option::Option<&'static #krate::__private::NameTable> {
                    static __NAMES: #krate::__private::NameTableCell =
                        #krate::__private::NameTableCell::new();
                    ::core::option::Option::Some(
                        __NAMES.get(&<Self as #krate::__private::Config>::SCHEMA),
                    )
                }
            }
        };
        #flatten_check
    }
}

/// `HasJwtConfig` for a struct that flattens the canonical `JwtConfig` once (a field whose
/// type's last segment is `JwtConfig`): what every service wrote by hand. None for two.
fn has_jwt_config(cont: &Container, krate: &TokenStream) -> Option<TokenStream> {
    let mut flattened = cont.fields.iter().filter(|f| {
        f.attrs.flatten.is_some()
            && matches!(f.ty, Type::Path(path) if path.qself.is_none()
                && path.path.segments.last().is_some_and(|s| s.ident == "JwtConfig" && s.arguments.is_none()))
    });
    let field = flattened.next()?;
    if flattened.next().is_some() {
        return None;
    }
    let (ident, name, ty) = (cont.ident, field.ident, field.ty);
    Some(quote! {
        #[automatically_derived]
        impl #krate::HasJwtConfig for #ident {
            fn jwt_config(&self) -> &#ty {
                &self.#name
            }
        }
    })
}

fn var_const(index: usize) -> Ident {
    format_ident!("__VAR_{}", index)
}

/// `const __VAR_i: VarSchema = ...;` for one variable.
fn var_schema(krate: &TokenStream, index: usize, field: &Field) -> TokenStream {
    let konst = var_const(index);
    let field_name = field.ident.to_string();
    // Unprefixed: the struct's prefix is applied at load, like a flattening field's.
    let name = field.variable_name();
    let aliases = field.attrs.aliases.iter().map(|a| a.value());
    let ty = type_text(field.ty);
    let render_default = field
        .attrs
        .default
        .as_ref()
        .map(|_| default_renderer(krate, field, &default_fn_ident(index)));
    let default_item = default_fn_item(index, field);
    let presence = match (&field.attrs.default, field.shape.optional) {
        (Some(_), _) => quote!(Defaulted),
        (None, true) => quote!(Optional),
        (None, false) => quote!(Required),
    };
    let required_in = field
        .attrs
        .required_in
        .iter()
        .flat_map(|r| &r.environments)
        .map(|(_, variant)| {
            let variant = Ident::new(variant, Span::call_site());
            quote!(#krate::__private::Environment::#variant)
        });
    let (secret, doc) = (field.is_secret(), &field.doc);
    let file = secret || field.attrs.file.is_some();
    let range = field
        .attrs
        .range
        .as_ref()
        .map(|r| tidy(&r.tokens.to_string()).replace(' ', ""));
    let per_service = field.attrs.per_service.is_some();
    // Built by const fns: a new attribute is a new method, never a new struct field.
    let mut attributes = Vec::new();
    if !field.attrs.aliases.is_empty() {
        attributes.push(quote!(.aliases(&[#(#aliases),*])));
    }
    if let (Some(text), Some(render)) = (&field.attrs.default, render_default) {
        let text = default_text(text);
        attributes.push(quote!(.default(#text, #render)));
    }
    if field.attrs.required_in.is_some() {
        attributes.push(quote!(.required_in(&[#(#required_in),*])));
    }
    if let Some(condition) = &field.attrs.required_when {
        attributes.push(quote!(.required_when(#condition)));
    }
    if secret {
        attributes.push(quote!(.secret()));
    } else if file {
        attributes.push(quote!(.file()));
    }
    if let Some(range) = range {
        attributes.push(quote!(.range(#range)));
    }
    if let Some(min_len) = &field.attrs.min_len {
        attributes.push(quote!(.min_len(#min_len)));
    }
    if per_service {
        attributes.push(quote!(.per_service()));
    }
    if field.attrs.key_material.is_some() {
        attributes.push(quote!(.key_material()));
    }
    quote! {
        #default_item
        const #konst: #krate::__private::VarSchema = #krate::__private::Var::new(
            #field_name,
            #name,
            #ty,
            #doc,
            #krate::__private::Presence::#presence,
        )
        #(#attributes)*
        .build();
    }
}

/// `const SCHEMA: Schema = ...;`
fn schema(cont: &Container, krate: &TokenStream) -> TokenStream {
    let name = cont.ident.to_string();
    let doc = &cont.doc;
    let struct_prefix = cont.prefix();
    let environment_required = cont.attrs.require_environment.is_some();
    let entries = cont.fields.iter().enumerate().filter_map(|(index, field)| {
        if let Some(_flatten) = &field.attrs.flatten {
            let ty = field.ty;
            let field_name = field.ident.to_string();
            let prefix = field.own_prefix();
            Some(quote! {
                #krate::__private::flatten(
                    #field_name,
                    #prefix,
                    &<#ty as #krate::__private::Config>::SCHEMA,
                )
            })
        } else if field.is_variable() {
            let konst = var_const(index);
            Some(quote!(#krate::__private::Entry::Var(#konst)))
        } else {
            None
        }
    });
    quote! {
        const SCHEMA: #krate::__private::Schema = #krate::__private::schema(
            #name,
            #struct_prefix,
            #doc,
            #environment_required,
            &[#(#entries),*],
        );
    }
}

fn slot(index: usize) -> Ident {
    format_ident!("__field_{}", index)
}

/// `fn load(...)`: each field through the runtime, then checks, then the struct.
fn load_fn(cont: &Container, krate: &TokenStream) -> TokenStream {
    let loads = cont
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.attrs.computed.is_none())
        .map(|(i, f)| {
            let slot = slot(i);
            if f.attrs.flatten.is_some() {
                let ty = f.ty;
                let prefix = f.own_prefix();
                quote! {
                    let #slot: ::core::option::Option<#ty> = #krate::__private::nested(
                        __ctx,
                        #prefix,
                        <#ty as #krate::__private::Config>::load,
                    );
                }
            } else {
                load_variable(krate, i, f)
            }
        });
    let checks = checks_block(cont);
    let slots: Vec<Ident> = (0..cont.fields.len()).map(slot).collect();
    let bindings: Vec<Ident> = (0..cont.fields.len())
        .map(|i| format_ident!("__value_{}", i))
        .collect();
    let idents = cont.fields.iter().map(|f| f.ident);
    // An `input_only` value has been read by the checks and computed fields: dropped here.
    let values = cont.fields.iter().zip(&bindings).map(|(f, binding)| {
        if f.attrs.input_only.is_some() {
            quote!({ ::core::mem::drop(#binding); ::core::option::Option::None })
        } else {
            quote!(#binding)
        }
    });
    let body = quote! {
        #(#loads)*
        #checks
        match (#(#slots,)*) {
            (#(::core::option::Option::Some(#bindings),)*) => {
                ::core::option::Option::Some(Self { #(#idents: #values),* })
            }
            #[allow(unreachable_patterns)]
            _ => ::core::option::Option::None,
        }
    };
    // The struct's prefix is a nesting level like a flattening field's, so checks and
    // computed fields name variables as the operator writes them.
    let prefix = cont.prefix();
    let body = if prefix.is_empty() {
        body
    } else {
        quote!(#krate::__private::nested(__ctx, #prefix, |__ctx| { #body }))
    };
    quote! {
        fn load(__ctx: &mut #krate::__private::Context<'_>) -> ::core::option::Option<Self> {
            #body
        }
    }
}

/// One variable field: a call of the loader of its shape (leaf, `Secret<T>`, list, or a
/// `parse_with` function) with plain functions for parsing, rendering, the default and the
/// checks, so the loader is instantiated once a value type, never once a field.
fn load_variable(krate: &TokenStream, index: usize, field: &Field) -> TokenStream {
    let slot = slot(index);
    let konst = var_const(index);
    let value_ty = field.shape.value;
    let ty = field.ty;
    let (loader, parser, renderer) = loader_tokens(krate, field);
    let default = match &field.attrs.default {
        Some(_) => {
            let function = default_fn_ident(index);
            quote!(::core::option::Option::Some(#function as fn() -> #value_ty))
        }
        None => quote!(::core::option::Option::None),
    };
    let check = value_check(krate, field);
    let into = if field.shape.optional {
        quote!(into_optional)
    } else {
        quote!(into_required)
    };
    quote! {
        let #slot: ::core::option::Option<#ty> = #krate::__private::#loader(
            __ctx, &#konst, #parser, #renderer, #default, #check,
        )
        .#into();
    }
}

/// The loader of a field's shape, its parser and its renderer: the leaf type's, chosen by
/// autoref. A secret's renderer gives the text its digest is made of, never shown.
fn loader_tokens(krate: &TokenStream, field: &Field) -> (Ident, TokenStream, TokenStream) {
    let leaf = |name: &str, leaf: &syn::Type| leaf_call(krate, leaf, name);
    let render = if field.is_secret() {
        "digester"
    } else {
        "renderer"
    };
    let loader = |name: &str| Ident::new(name, Span::call_site());
    match (&field.attrs.parse_with, &field.shape.kind) {
        // Typed under the path's span: a function of the wrong signature is one error, there.
        (Some(path), _) => {
            let value_ty = field.shape.value;
            let parser = quote_spanned! {path.span()=> {
                let __parse: fn(&str) -> ::core::result::Result<#value_ty, _> = #path;
                __parse
            }};
            (loader("load_custom"), parser, leaf(render, value_ty))
        }
        (None, Kind::Leaf(l)) => (
            loader("load_leaf"),
            leaf("owned_parser", l),
            leaf(render, l),
        ),
        (None, Kind::Secret(l)) => (
            loader("load_secret"),
            leaf("owned_parser", l),
            leaf("digester", l),
        ),
        (None, Kind::List(l)) => (loader("load_list"), leaf("parser", l), leaf(render, l)),
    }
}

/// How `check` shows a default: the leaf's renderer on it (items joined for a list); a
/// secret's default is never shown.
fn default_renderer(krate: &TokenStream, field: &Field, default: &Ident) -> TokenStream {
    let value_ty = field.shape.value;
    let renderer_of = |leaf: &syn::Type| leaf_call(krate, leaf, "renderer");
    match (&field.attrs.parse_with, &field.shape.kind) {
        _ if field.is_secret() => quote!(|| #krate::__private::redacted::<#value_ty>(&#default())),
        (Some(_), _) => {
            let r = renderer_of(value_ty);
            quote!(|| (#r)(&#default()))
        }
        (None, Kind::List(l)) => {
            let r = renderer_of(l);
            quote!(|| #krate::__private::render_list(&#default(), #r))
        }
        (None, Kind::Leaf(l) | Kind::Secret(l)) => {
            let r = renderer_of(l);
            quote!(|| (#r)(&#default()))
        }
    }
}

/// `(&&&Leaf::<T>::new()).parser()` (or `.renderer()`): autoref picks `ConfigValue`, then
/// `FromStr`/`Display`. The whole call sits under the type's span, so a type that has
/// neither is reported at the field.
fn leaf_call(krate: &TokenStream, leaf: &syn::Type, method: &str) -> TokenStream {
    let method = Ident::new(method, leaf.span());
    quote_spanned!(leaf.span()=> (&&&#krate::__private::Leaf::<#leaf>::new()).#method())
}

fn default_fn_ident(index: usize) -> Ident {
    format_ident!("__default_{}", index)
}

/// `fn __default_i() -> U { let __default: U = tokens; __default }`, typed under the
/// default's span so a default of the wrong type is reported on it.
fn default_fn_item(index: usize, field: &Field) -> Option<TokenStream> {
    let default = field.attrs.default.as_ref()?;
    let value_ty = field.shape.value;
    let function = default_fn_ident(index);
    let span = default
        .tokens
        .clone()
        .into_iter()
        .next()
        .map_or(Span::call_site(), |t| t.span());
    let value = match &default.string {
        Some(lit) => quote_spanned!(span=> ::core::convert::From::from(#lit)),
        None => default.tokens.clone(),
    };
    Some(quote_spanned! {span=>
        fn #function() -> #value_ty {
            let __default: #value_ty = #value;
            __default
        }
    })
}

/// The check of a parsed value (`range`, `min_len`): a closure that captures nothing, so a
/// plain function; `None` without either.
fn value_check(krate: &TokenStream, field: &Field) -> TokenStream {
    let value_ty = field.shape.value;
    let mut checks = Vec::new();
    if let Some(range) = &field.attrs.range {
        let item_ty = match &field.shape.kind {
            Kind::List(item) => *item,
            _ => value_ty,
        };
        let bound = |bound: &Option<crate::attr::Bound>| match bound {
            Some(bound) => {
                let tokens = &bound.tokens;
                quote_spanned!(tokens.span()=> ::core::option::Option::Some({ let __bound: #item_ty = #tokens; __bound }))
            }
            None => quote!(::core::option::Option::None),
        };
        let (low, high, inclusive) = (bound(&range.low), bound(&range.high), range.inclusive);
        let one = quote!(|__item: &#item_ty| #krate::__private::check_range(__item, #low, #high, #inclusive));
        checks.push(match &field.shape.kind {
            Kind::List(_) => quote!(#krate::__private::each(__value, #one)?;),
            _ => quote!((#one)(__value)?;),
        });
    }
    if let Some(min_len) = &field.attrs.min_len {
        // Under the field type's span: a type without a length is reported at the field.
        checks.push(
            quote_spanned!(value_ty.span()=> #krate::__private::check_min_len(__value, #min_len)?;),
        );
    }
    if checks.is_empty() {
        return quote!(::core::option::Option::None);
    }
    quote! {
        #krate::__private::value_check(
            |__value: &#value_ty| -> ::core::result::Result<(), ::std::string::String> {
                #(#checks)*
                ::core::result::Result::Ok(())
            },
        )
    }
}

fn partial_ident(cont: &Container) -> Ident {
    format_ident!("{}Partial", cont.ident)
}

fn needs_partial(cont: &Container) -> bool {
    cont.attrs.validate.is_some() || cont.fields.iter().any(|f| f.attrs.computed.is_some())
}

/// `pub struct NamePartial<'a>`: what loaded, each field optional, for checks and computed fields.
fn partial_struct(cont: &Container) -> Option<TokenStream> {
    if !needs_partial(cont) {
        return None;
    }
    let vis = cont.vis;
    let ident = partial_ident(cont);
    let doc = format!(
        "What loaded of [`{}`], each field `None` where it failed; passed to its checks and computed fields.",
        cont.ident
    );
    let fields = cont
        .fields
        .iter()
        .filter(|f| f.attrs.computed.is_none())
        .map(|f| {
            // The view shows no more than the struct: each field keeps its own visibility.
            let (name, ty, vis) = (f.ident, f.ty, &f.original.vis);
            let field_doc = format!("The `{name}` field, if it loaded.");
            quote!(#[doc = #field_doc] #vis #name: ::core::option::Option<&'a #ty>)
        });
    Some(quote! {
        #[doc = #doc]
        #[allow(dead_code)]
        #vis struct #ident<'a> {
            #(#fields,)*
        }
    })
}

/// Builds the partial view, runs computed fields, then the struct-level check.
fn checks_block(cont: &Container) -> Option<TokenStream> {
    if !needs_partial(cont) {
        return None;
    }
    let ident = partial_ident(cont);
    let view = cont
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.attrs.computed.is_none())
        .map(|(i, f)| {
            let (name, slot) = (f.ident, slot(i));
            quote!(#name: #slot.as_ref())
        });
    let computed: Vec<(Ident, TokenStream)> = cont.fields.iter().enumerate().filter_map(|(i, f)| {
        let path = f.attrs.computed.as_ref()?;
        let ty = f.ty;
        Some((slot(i), quote_spanned!(path.span()=> { let __computed: ::core::option::Option<#ty> = #path(&__partial, __ctx); __computed })))
    }).collect();
    let names: Vec<&Ident> = computed.iter().map(|(slot, _)| slot).collect();
    let values = computed.iter().map(|(_, value)| value);
    let validate = cont
        .attrs
        .validate
        .as_ref()
        .map(|path| quote_spanned!(path.span()=> #path(&__partial, __ctx);));
    Some(quote! {
        let (#(#names,)*) = {
            let __partial = #ident { #(#view,)* };
            let __computed = (#(#values,)*);
            #validate
            __computed
        };
    })
}

/// The table of variables on the struct's page, rendered by `jwt-config-docs`, the same
/// renderer as the runtime's `docs`: from the attributes here, from the schema there.
fn doc_table(cont: &Container) -> String {
    let items: Vec<jwt_config_docs::Item> = cont
        .fields
        .iter()
        .filter_map(|field| {
            if field.attrs.flatten.is_some() {
                return Some(jwt_config_docs::Item::Flattened {
                    ty: type_text(field.ty),
                    prefix: cont.flatten_prefix(field),
                    doc: field.doc.clone(),
                });
            }
            let required = cont.attrs.require_environment.is_some();
            field.is_variable().then(|| {
                jwt_config_docs::Item::Variable(
                    docs_variable(cont, field).environment_required(required),
                )
            })
        })
        .collect();
    format!(
        "# Environment variables\n\n`{}` reads these variables (`ENVIRONMENT` is never prefixed).\n\n{}",
        cont.ident,
        jwt_config_docs::table(&items)
    )
}

/// A field as the docs renderer describes it.
fn docs_variable(cont: &Container, field: &Field) -> jwt_config_docs::Variable {
    let name = cont.full_name(field.variable_name());
    let attrs = &field.attrs;
    let requirement = jwt_config_docs::Requirement {
        always: attrs.default.is_none() && !field.shape.optional,
        required_in: attrs
            .required_in
            .iter()
            .flat_map(|r| &r.environments)
            .map(|(e, _)| e.to_string())
            .collect(),
        required_when: attrs.required_when.as_ref().map(syn::LitStr::value),
        default: attrs.default.as_ref().map(default_text),
        range: attrs
            .range
            .as_ref()
            .map(|r| tidy(&r.tokens.to_string()).replace(' ', "")),
        min_len: attrs.min_len.as_ref().and_then(|n| n.base10_parse().ok()),
        per_service: attrs.per_service.is_some(),
    };
    jwt_config_docs::Variable {
        file_variable: (field.is_secret() || attrs.file.is_some()).then(|| format!("{name}_FILE")),
        aliases: attrs
            .aliases
            .iter()
            .map(|a| cont.full_name(a.value()))
            .collect(),
        name,
        ty: type_text(field.ty),
        secret: field.is_secret(),
        requirement,
        doc: field.doc.clone(),
    }
}

/// A default as the schema states it: a string literal's value, else the tokens.
fn default_text(default: &DefaultValue) -> String {
    match &default.string {
        Some(lit) => lit.value(),
        None => tidy(&default.tokens.to_string()),
    }
}

fn type_text(ty: &syn::Type) -> String {
    tidy(&ty.to_token_stream().to_string())
}

/// Token text without the spaces `to_string` puts around punctuation.
fn tidy(text: &str) -> String {
    let mut out = text.to_owned();
    for (from, to) in [
        (" < ", "<"),
        ("< ", "<"),
        (" <", "<"),
        (" >", ">"),
        (" :: ", "::"),
        (":: ", "::"),
        (" ::", "::"),
        (" (", "("),
        ("( ", "("),
        (" )", ")"),
        (" ,", ","),
        ("& ", "&"),
        (" .", "."),
        (". ", "."),
    ] {
        out = out.replace(from, to);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_variable_table_is_the_docs_of_an_inherent_impl() {
        let input: DeriveInput = syn::parse_quote! {
            /// Settings.
            struct Billing {
                /// Port of the HTTP server.
                #[config(env = "BILLING_PORT", alias = "PORT", default = 8080, range(1..=65535))]
                port: u16,
                #[config(secret, required_in(staging, production))]
                stripe_key: Option<String>,
            }
        };
        let expanded = derive(&input).unwrap().to_string();
        let table = doc_table(&Container::from_ast(&Ctxt::new_checked(), &input).unwrap());
        assert!(expanded.contains("impl Billing { }"), "{expanded}");
        assert!(table.contains(
            "| `BILLING_PORT`<br>legacy `PORT` | `u16`; default `8080`; range `1..=65535` | Port of the HTTP server. |"
        ), "{table}");
        assert!(table.contains(
            "| `STRIPE_KEY`<br>or `STRIPE_KEY_FILE` | `Option<String>` (secret); required in staging and production |"
        ), "{table}");
    }
}
