//! Reading files that configuration points to: only regular files, never more than a bound.
//!
//! `/dev/zero` would otherwise be read until memory runs out, and a FIFO would hang the load
//! forever, so a path is opened without blocking, checked on the open handle (no race with
//! a file swapped in between) and read through a hard limit.

use std::fs::File;
use std::io::Read as _;
use std::path::Path;

use zeroize::Zeroizing;

/// Why a file could not be read, in words that never quote its contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum FileRefusal {
    /// The file cannot be opened or read (the io error's kind in words).
    Unreadable(String),
    /// A directory.
    Directory,
    /// A device, FIFO, socket or anything else that is not a regular file.
    NotRegular,
    /// Larger than the bound (in bytes).
    TooLarge(u64),
}

impl std::fmt::Display for FileRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileRefusal::Unreadable(reason) => write!(f, "cannot be read ({reason})"),
            FileRefusal::Directory => f.write_str("is a directory"),
            FileRefusal::NotRegular => f.write_str(
                "is not a regular file (a device, FIFO or socket); point it to a regular file",
            ),
            FileRefusal::TooLarge(limit) => write!(f, "is larger than {} KiB", limit / 1024),
        }
    }
}

/// Reads a regular file of at most `limit` bytes; the bytes are wiped when dropped.
pub(crate) fn read_regular_file(
    path: &Path,
    limit: u64,
) -> Result<Zeroizing<Vec<u8>>, FileRefusal> {
    let unreadable = |error: std::io::Error| FileRefusal::Unreadable(io_reason(&error));
    let file = open_without_blocking(path).map_err(unreadable)?;
    let metadata = file.metadata().map_err(unreadable)?;
    if metadata.is_dir() {
        return Err(FileRefusal::Directory);
    }
    if !metadata.is_file() {
        return Err(FileRefusal::NotRegular);
    }
    if metadata.len() > limit {
        return Err(FileRefusal::TooLarge(limit));
    }
    let mut bytes = Zeroizing::new(Vec::with_capacity(metadata.len() as usize));
    // The bound holds even when the file grows between the check and the read.
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > limit {
        return Err(FileRefusal::TooLarge(limit));
    }
    Ok(bytes)
}

/// Opening a FIFO blocks until a writer appears; `O_NONBLOCK` makes it return at once, and
/// changes nothing for a regular file.
fn open_without_blocking(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

/// An io::Error's kind in words; its Display may quote data, its kind never does.
pub(crate) fn io_reason(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        std::io::ErrorKind::InvalidData => "not valid UTF-8".to_owned(),
        std::io::ErrorKind::IsADirectory => "is a directory".to_owned(),
        kind => kind.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn devices_are_refused_without_being_read() {
        assert_eq!(
            read_regular_file(Path::new("/dev/zero"), 1024),
            Err(FileRefusal::NotRegular)
        );
    }

    #[test]
    fn a_directory_is_named_as_such() {
        assert_eq!(
            read_regular_file(&std::env::temp_dir(), 1024),
            Err(FileRefusal::Directory)
        );
    }
}
