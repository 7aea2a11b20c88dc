//! `Secret<T>`: a value that is never shown and is wiped from memory on drop.

use std::fmt;

use secrecy::{ExposeSecret, SecretBox};
use zeroize::Zeroize;

/// What every rendering of a secret prints instead of its value.
pub const REDACTED: &str = "[redacted]";

/// A configuration value that must never appear in logs, errors or Debug output.
///
/// Built on [`secrecy::SecretBox`], so the value is zeroized on drop; reading it takes an
/// explicit [`Secret::expose`].
///
/// ```
/// use jwt_config_core::Secret;
///
/// let key = Secret::new(String::from("hunter2-hunter2"));
/// assert_eq!(format!("{key:?}"), "Secret([redacted])");
/// assert_eq!(key.expose(), "hunter2-hunter2");
/// ```
pub struct Secret<T: Zeroize>(SecretBox<T>);

impl<T: Zeroize> Secret<T> {
    /// Wraps a value.
    pub fn new(value: T) -> Self {
        Secret(SecretBox::new(Box::new(value)))
    }

    /// The value itself; the call is explicit so that every use of a secret can be found.
    pub fn expose(&self) -> &T {
        self.0.expose_secret()
    }
}

impl<T: Zeroize + Clone> Clone for Secret<T> {
    fn clone(&self) -> Self {
        Secret::new(self.expose().clone())
    }
}

impl<T: Zeroize> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({REDACTED})")
    }
}

impl<T: Zeroize> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl<T: Zeroize> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Secret::new(value)
    }
}
