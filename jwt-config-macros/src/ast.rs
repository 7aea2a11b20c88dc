//! The derive's model of the input: borrows from syn, keeps the original tokens for errors.

use syn::{DeriveInput, Ident, Type};

use crate::attr;
use crate::ctxt::Ctxt;

pub(crate) struct Container<'a> {
    pub ident: &'a Ident,
    pub vis: &'a syn::Visibility,
    pub attrs: attr::Container,
    pub fields: Vec<Field<'a>>,
    pub doc: String,
    pub original: &'a DeriveInput,
}

pub(crate) struct Field<'a> {
    pub ident: &'a Ident,
    pub attrs: attr::Field,
    pub ty: &'a Type,
    pub shape: Shape<'a>,
    pub doc: String,
    pub original: &'a syn::Field,
}

/// What a field's type means to the loader.
pub(crate) struct Shape<'a> {
    /// `Option<U>`: unset is allowed.
    pub optional: bool,
    /// `U`: the type of a present value.
    pub value: &'a Type,
    pub kind: Kind<'a>,
}

pub(crate) enum Kind<'a> {
    /// A single value of this type.
    Leaf(&'a Type),
    /// `Secret<T>`: never shown, `NAME_FILE` accepted.
    Secret(&'a Type),
    /// `Vec<T>`: comma-separated.
    List(&'a Type),
}

impl<'a> Container<'a> {
    /// The model, or `None` when the input is not a struct with named fields (reported).
    pub(crate) fn from_ast(cx: &Ctxt, input: &'a DeriveInput) -> Option<Container<'a>> {
        let fields = match &input.data {
            syn::Data::Struct(data) => match &data.fields {
                syn::Fields::Named(named) => &named.named,
                syn::Fields::Unnamed(_) => {
                    cx.error_spanned_by(
                        &input.ident,
                        "#[derive(Config)] needs named fields, not a tuple struct",
                    );
                    return None;
                }
                syn::Fields::Unit => {
                    cx.error_spanned_by(
                        &input.ident,
                        "#[derive(Config)] needs named fields, not a unit struct",
                    );
                    return None;
                }
            },
            syn::Data::Enum(data) => {
                cx.error_spanned_by(
                    data.enum_token,
                    "#[derive(Config)] works on structs only, not enums",
                );
                return None;
            }
            syn::Data::Union(data) => {
                cx.error_spanned_by(
                    data.union_token,
                    "#[derive(Config)] works on structs only, not unions",
                );
                return None;
            }
        };
        if !input.generics.params.is_empty() {
            cx.error_spanned_by(
                &input.generics,
                "#[derive(Config)] does not support generic structs",
            );
        }
        let fields = fields
            .iter()
            .map(|field| Field::from_ast(cx, field))
            .collect();
        Some(Container {
            ident: &input.ident,
            vis: &input.vis,
            attrs: attr::Container::from_ast(cx, &input.attrs),
            fields,
            doc: attr::doc_comment(&input.attrs),
            original: input,
        })
    }
}

impl Container<'_> {
    /// The struct's `prefix`, empty for none.
    pub(crate) fn prefix(&self) -> String {
        self.attrs
            .prefix
            .as_ref()
            .map(|p| p.value())
            .unwrap_or_default()
    }

    /// A variable name as the operator writes it: the struct's prefix applied, except to
    /// `ENVIRONMENT`, which is never prefixed.
    pub(crate) fn full_name(&self, name: String) -> String {
        if jwt_config_docs::never_prefixed(&name) {
            name
        } else {
            format!("{}{name}", self.prefix())
        }
    }

    /// A flattened field's prefix: the struct's prefix, then the field's own.
    pub(crate) fn flatten_prefix(&self, field: &Field) -> String {
        let own = field
            .attrs
            .prefix
            .as_ref()
            .map(|p| p.value())
            .unwrap_or_default();
        format!("{}{own}", self.prefix())
    }
}

impl<'a> Field<'a> {
    fn from_ast(cx: &Ctxt, field: &'a syn::Field) -> Field<'a> {
        Field {
            ident: field.ident.as_ref().expect("named fields have names"),
            attrs: attr::Field::from_ast(cx, &field.attrs),
            ty: &field.ty,
            shape: Shape::of(&field.ty),
            doc: attr::doc_comment(&field.attrs),
            original: field,
        }
    }

    /// The canonical variable name, without the struct's prefix.
    pub(crate) fn variable_name(&self) -> String {
        match &self.attrs.env {
            Some(lit) => lit.value(),
            None => self
                .ident
                .to_string()
                .trim_start_matches("r#")
                .to_ascii_uppercase(),
        }
    }

    /// A flattening field's own `prefix`, empty for none.
    pub(crate) fn own_prefix(&self) -> String {
        self.attrs
            .prefix
            .as_ref()
            .map(|p| p.value())
            .unwrap_or_default()
    }

    /// Read from a variable (not flattened, not computed).
    pub(crate) fn is_variable(&self) -> bool {
        self.attrs.flatten.is_none() && self.attrs.computed.is_none()
    }

    pub(crate) fn is_secret(&self) -> bool {
        self.attrs.secret.is_some() || matches!(self.shape.kind, Kind::Secret(_))
    }
}

impl<'a> Shape<'a> {
    /// Recognises `Option<_>`, `Vec<_>` and `Secret<_>` by their last path segment.
    fn of(ty: &'a Type) -> Shape<'a> {
        let (optional, value) = match generic_argument(ty, "Option") {
            Some(inner) => (true, inner),
            None => (false, ty),
        };
        let kind = if let Some(inner) = generic_argument(value, "Secret") {
            Kind::Secret(inner)
        } else if let Some(inner) = generic_argument(value, "Vec") {
            Kind::List(inner)
        } else {
            Kind::Leaf(value)
        };
        Shape {
            optional,
            value,
            kind,
        }
    }
}

/// `T` of `Wrapper<T>` when the type's last path segment is `wrapper`.
fn generic_argument<'a>(ty: &'a Type, wrapper: &str) -> Option<&'a Type> {
    let Type::Path(path) = ty else { return None };
    if path.qself.is_some() {
        return None;
    }
    let segment = path.path.segments.last()?;
    if segment.ident != wrapper {
        return None;
    }
    let syn::PathArguments::AngleBracketed(arguments) = &segment.arguments else {
        return None;
    };
    match arguments.args.first() {
        Some(syn::GenericArgument::Type(inner)) if arguments.args.len() == 1 => Some(inner),
        _ => None,
    }
}
