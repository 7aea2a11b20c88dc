//! Collects errors so the user sees every bad attribute at once.

use std::cell::RefCell;

use quote::ToTokens;
use std::fmt::Display;

/// `errors` is `None` once checked: dropping a `Ctxt` whose errors were never checked is a
/// bug (they would be lost), caught in debug builds as serde's `Ctxt` does.
pub(crate) struct Ctxt {
    errors: RefCell<Option<Vec<syn::Error>>>,
}

impl Ctxt {
    pub(crate) fn new() -> Self {
        Ctxt {
            errors: RefCell::new(Some(Vec::new())),
        }
    }

    /// A context whose errors are not going to be checked (unit tests of the expansion).
    #[cfg(test)]
    pub(crate) fn new_checked() -> Self {
        Ctxt {
            errors: RefCell::new(None),
        }
    }

    fn push(&self, error: syn::Error) {
        self.errors
            .borrow_mut()
            .as_mut()
            .expect("Ctxt used after check")
            .push(error);
    }

    /// An error pointing at `tokens`.
    pub(crate) fn error_spanned_by<T: ToTokens, M: Display>(&self, tokens: T, message: M) {
        self.push(syn::Error::new_spanned(tokens.into_token_stream(), message));
    }

    /// An error syn produced while parsing.
    pub(crate) fn syn_error(&self, error: syn::Error) {
        self.push(error);
    }

    /// All errors combined into one, or `Ok` when there were none.
    pub(crate) fn check(self) -> syn::Result<()> {
        let mut errors = self
            .errors
            .borrow_mut()
            .take()
            .expect("Ctxt checked twice")
            .into_iter();
        let Some(mut combined) = errors.next() else {
            return Ok(());
        };
        for error in errors {
            combined.combine(error);
        }
        Err(combined)
    }
}

impl Drop for Ctxt {
    fn drop(&mut self) {
        if !std::thread::panicking() && self.errors.borrow().is_some() {
            debug_assert!(false, "a Ctxt was dropped without checking its errors");
        }
    }
}
