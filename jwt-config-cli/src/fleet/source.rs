//! The environment of one instance, as a [`Source`] the loader reads: values with where each
//! came from, and the files the container's volumes hold. Values are bytes, as the kubelet
//! hands a Secret's data to the container (`string(bytes)` in Go, never re-encoded): a value
//! that is not UTF-8 reaches the loader as such, and is refused as the service refuses it.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use jwt_config::{Location, Source};
use zeroize::Zeroizing;

/// What a container's environment and volumes hold, as far as the inputs tell.
#[derive(Default)]
pub(crate) struct FleetSource {
    values: BTreeMap<String, (Zeroizing<Vec<u8>>, Location)>,
    files: BTreeMap<PathBuf, (Zeroizing<Vec<u8>>, String)>,
    /// Paths a volume would hold but cannot (a key its object lacks), and why.
    refused: BTreeMap<PathBuf, String>,
    /// Variables set in the service's own definition (an `env` value, Compose `environment`)
    /// rather than by a shared object: what breaks a tie between disagreeing services.
    own: BTreeSet<String>,
}

impl FleetSource {
    /// Sets `name` (a later value replaces an earlier one, as the kubelet and Compose do).
    pub(crate) fn set(&mut self, name: &str, mut value: Zeroizing<String>, origin: Location) {
        let bytes = Zeroizing::new(std::mem::take(&mut *value).into_bytes());
        self.set_bytes(name, bytes, origin);
    }

    /// Sets `name` to bytes that may not be UTF-8 (a Secret's `data`).
    pub(crate) fn set_bytes(&mut self, name: &str, value: Zeroizing<Vec<u8>>, origin: Location) {
        self.own.remove(name);
        self.values.insert(name.to_owned(), (value, origin));
    }

    /// Sets `name` in the service's own definition, over any shared object.
    pub(crate) fn set_own(&mut self, name: &str, value: Zeroizing<Vec<u8>>, origin: Location) {
        self.set_bytes(name, value, origin);
        self.own.insert(name.to_owned());
    }

    /// The variables set in the service's own definition.
    pub(crate) fn own(&self) -> &BTreeSet<String> {
        &self.own
    }

    /// Removes `name` (a later reference whose value is unknown replaces a known one).
    pub(crate) fn unset(&mut self, name: &str) {
        self.own.remove(name);
        self.values.remove(name);
    }

    /// The value of `name`, when it is UTF-8 text.
    #[cfg(test)]
    pub(crate) fn value(&self, name: &str) -> Option<&str> {
        self.bytes(name)
            .and_then(|bytes| std::str::from_utf8(bytes).ok())
    }

    /// The value of `name` as the container gets it, for `$(VAR)` expansion.
    pub(crate) fn bytes(&self, name: &str) -> Option<&[u8]> {
        self.values.get(name).map(|(value, _)| value.as_slice())
    }

    /// Every variable set, in name order.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }

    /// A file a volume puts at `path`, and where its content comes from.
    pub(crate) fn mount(&mut self, path: PathBuf, content: Zeroizing<Vec<u8>>, origin: String) {
        self.files.insert(path, (content, origin));
    }

    /// A file a volume would put at `path` but cannot, and why (in words).
    pub(crate) fn refuse_file(&mut self, path: PathBuf, why: String) {
        self.refused.insert(path, why);
    }

    /// Whether a volume puts a file at `path`, or certainly fails to.
    pub(crate) fn has_file(&self, path: &Path) -> bool {
        self.files.contains_key(path) || self.refused.contains_key(path)
    }

    /// Every variable of another source (an env file), with its locations.
    pub(crate) fn absorb(&mut self, other: &dyn Source) {
        for name in other.names().unwrap_or_default() {
            if let Some(value) = other.get(&name) {
                let value = Zeroizing::new(value.to_string_lossy().into_owned());
                let origin = other
                    .location(&name)
                    .unwrap_or_else(|| Location::named("env file"));
                self.set(&name, value, origin);
            }
        }
    }
}

impl Source for FleetSource {
    fn get(&self, name: &str) -> Option<OsString> {
        self.bytes(name).map(os_string)
    }

    fn names(&self) -> Option<Vec<String>> {
        Some(self.values.keys().cloned().collect())
    }

    fn location(&self, name: &str) -> Option<Location> {
        self.values.get(name).map(|(_, origin)| origin.clone())
    }

    fn read_file(&self, path: &Path, limit: u64) -> Result<Zeroizing<Vec<u8>>, String> {
        match self.files.get(path) {
            Some((content, _)) if content.len() as u64 > limit => {
                Err(format!("is larger than {} KiB", limit / 1024))
            }
            Some((content, _)) => Ok(content.clone()),
            None => match self.refused.get(path) {
                Some(why) => Err(format!(
                    "its volume cannot hold: {why} (the pod will not start)"
                )),
                None => Err("is on no volume the inputs mount (not checked)".to_owned()),
            },
        }
    }
}

/// Bytes as the process environment holds them.
#[cfg(unix)]
fn os_string(bytes: &[u8]) -> OsString {
    use std::os::unix::ffi::OsStringExt as _;
    OsString::from_vec(bytes.to_vec())
}

/// Bytes as the process environment holds them (elsewhere than Unix, UTF-8 or replaced).
#[cfg(not(unix))]
fn os_string(bytes: &[u8]) -> OsString {
    OsString::from(String::from_utf8_lossy(bytes).into_owned())
}
