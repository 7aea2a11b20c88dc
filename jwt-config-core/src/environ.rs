//! The process environment in one pass, without copying it: the one `unsafe` of the crate.
//!
//! `std::env::vars_os` copies every name and value of the environment (two allocations a
//! variable) to list it, which costs more than a whole hand-written loader; a load needs the
//! values of a dozen names and the names of a few families. So the loader reads the C
//! library's `environ` array itself, as `getenv` does, and copies only what it keeps.
//!
//! Soundness rests on the contract of [`std::env::set_var`] and [`std::env::remove_var`]
//! (unsafe since Rust 2024, with the same requirement documented for every edition): a caller
//! must ensure that no other thread reads the environment "through functions or global
//! variables other than the ones in this module" while it writes. `environ` is such a global,
//! read here exactly as the C library's own `getenv` (and so `getaddrinfo`, `localtime`, and
//! any C code in the process) reads it. The walk holds no pointer past its return.
#![allow(unsafe_code)]

use std::ffi::OsStr;

use crate::names::NameFilter;

/// Calls `visit` with each `NAME=value` of the environment, in order; `true` when it could.
#[cfg(all(unix, not(target_vendor = "apple")))]
pub(crate) fn for_each_variable(
    filter: &NameFilter,
    visit: &mut dyn FnMut(&OsStr, &OsStr),
) -> bool {
    use std::ffi::{CStr, c_char};
    use std::os::unix::ffi::OsStrExt;

    // Mutable, as the C library changes it (`setenv` may replace the array): declared as the
    // standard library and the `libc` crate declare it, and read once through a raw pointer.
    unsafe extern "C" {
        static mut environ: *const *const c_char;
    }
    // SAFETY: a plain read of a C global that the C library initialises before `main`; see
    // the module's docs for why no other thread changes it during this walk.
    let mut entry = unsafe { (&raw const environ).read() };
    if entry.is_null() {
        return true;
    }
    loop {
        // SAFETY: `environ` is an array of pointers ended by a null pointer, each to a
        // NUL-terminated string; `entry` stays within it, as the null check below ends the walk
        // at its end.
        let text = unsafe { *entry };
        if text.is_null() {
            return true;
        }
        // Most variables are ruled out by their first two bytes, before their length is
        // measured: the walk costs a few instructions a variable, like `getenv`'s.
        // SAFETY: a non-null element of `environ` is a NUL-terminated string, alive for the
        // walk (see above): its first byte is readable, and its second when the first is not
        // the terminator.
        let first = (unsafe { *text }) as u8;
        // A pair the filter rules out needs nothing more; else the precise checks (the second
        // byte may end the entry, or be the `=` after a one-byte name).
        let concerned = first != 0 && {
            let second = (unsafe { *text.add(1) }) as u8;
            filter.may_start_with(first, second)
                && match second {
                    0 => false,
                    b'=' => filter.may_concern(&[first]),
                    _ => true,
                }
        };
        if concerned {
            // SAFETY: as above, a NUL-terminated string alive for the walk.
            let bytes = unsafe { CStr::from_ptr(text) }.to_bytes();
            if let Some((name, value)) = split(bytes) {
                visit(OsStr::from_bytes(name), OsStr::from_bytes(value));
            }
        }
        // SAFETY: `entry` pointed to a non-null element, so the array goes on at least to the
        // null pointer after it.
        entry = unsafe { entry.add(1) };
    }
}

/// Elsewhere the loader asks name by name, as before.
#[cfg(not(all(unix, not(target_vendor = "apple"))))]
pub(crate) fn for_each_variable(
    filter: &NameFilter,
    visit: &mut dyn FnMut(&OsStr, &OsStr),
) -> bool {
    let _ = (filter, visit);
    false
}

/// `NAME=value` split at its first `=` after the first byte, as the standard library splits
/// it (a name is never empty); an entry without `=` is not a variable.
#[cfg_attr(not(all(unix, not(target_vendor = "apple"))), allow(dead_code))]
fn split(entry: &[u8]) -> Option<(&[u8], &[u8])> {
    let at = 1 + first_equals(entry.get(1..)?)?;
    Some((&entry[..at], &entry[at + 1..]))
}

/// The index of the first `=`, eight bytes at a time (a name is some twenty bytes long).
fn first_equals(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    const EQUALS: u64 = u64::from_ne_bytes([b'='; 8]);
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let word = u64::from_ne_bytes(chunk.try_into().expect("eight bytes")) ^ EQUALS;
        // A zero byte of `word` is an `=` of the chunk.
        if word.wrapping_sub(ONES) & !word & HIGHS != 0 {
            break;
        }
        offset += 8;
    }
    bytes[offset..]
        .iter()
        .position(|&b| b == b'=')
        .map(|at| offset + at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_splits_at_its_first_equals_sign_after_the_first_byte() {
        assert_eq!(split(b"A=b=c"), Some((&b"A"[..], &b"b=c"[..])));
        assert_eq!(split(b"=A=b"), Some((&b"=A"[..], &b"b"[..])));
        assert_eq!(split(b"NAME="), Some((&b"NAME"[..], &b""[..])));
        assert_eq!(split(b"NOVALUE"), None);
        assert_eq!(split(b""), None);
        let long = b"A_VERY_LONG_VARIABLE_NAME_INDEED=x=y";
        assert_eq!(split(long), Some((&long[..32], &b"x=y"[..])));
        for at in 1..40 {
            let mut entry = vec![b'N'; at];
            entry.extend_from_slice(b"=value");
            assert_eq!(split(&entry).map(|(name, _)| name.len()), Some(at), "{at}");
        }
    }

    #[test]
    fn the_walk_sees_what_std_sees() {
        let mut walked = Vec::new();
        let listed = for_each_variable(&NameFilter::everything(), &mut |name, value| {
            walked.push((name.to_owned(), value.to_owned()));
        });
        if listed {
            let first_of_each = |pairs: Vec<(std::ffi::OsString, std::ffi::OsString)>| {
                let mut seen = std::collections::BTreeMap::new();
                for (name, value) in pairs {
                    seen.entry(name).or_insert(value);
                }
                seen
            };
            let std_view: Vec<_> = std::env::vars_os().collect();
            assert_eq!(first_of_each(walked), first_of_each(std_view));
        }
    }
}
