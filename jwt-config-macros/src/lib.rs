//! `#[derive(Config)]` for [jwt-config](https://docs.rs/jwt-config). Use it through the
//! `jwt-config` crate, which documents the attributes.
//!
//! Laid out as parse (`attr`, `ast`) -> check (`check`) -> expand (`expand`).

#![forbid(unsafe_code)]

mod ast;
mod attr;
mod check;
mod ctxt;
mod expand;
mod symbol;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// Derives `jwt_config::Config`: see the `jwt-config` crate for the attributes.
#[proc_macro_derive(Config, attributes(config))]
pub fn derive_config(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
