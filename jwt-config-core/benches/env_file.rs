//! Loading an env file of the documented bound (1 MiB): parse, locate every item's line,
//! refuse substitution. Wall time of `EnvFile::isolated` and `EnvFile::load` with the
//! process environment's substitution.
//!
//! Run: `cargo bench -p jwt-config-core --bench env_file` (1 MiB), or with sizes in bytes:
//! `cargo bench -p jwt-config-core --bench env_file -- 16384 65536`.

use std::fmt::Write as _;
use std::time::Instant;

use jwt_config_core::{EnvFile, Substitution};

/// The largest env file `EnvFile` reads.
const MAX_ENV_FILE_SIZE: u64 = 1024 * 1024;

/// An env file of about `size` bytes: plain lines, comments, blank lines and quoted values,
/// some of them over several lines.
fn env_text(size: usize) -> String {
    let mut text = String::with_capacity(size + 128);
    let mut index = 0;
    while text.len() < size - 128 {
        let _ = match index % 5 {
            0 => writeln!(text, "# setting {index}"),
            1 => writeln!(text, "VAR_{index}=value-{index}"),
            2 => writeln!(text, "export VAR_{index}='single $quoted {index}'"),
            3 => writeln!(text, "VAR_{index}=\"first line\nsecond line {index}\""),
            _ => writeln!(text),
        };
        index += 1;
    }
    text
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![MAX_ENV_FILE_SIZE as usize]
    } else {
        sizes
    };
    let dir = std::env::temp_dir().join(format!("jwt-config-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for size in sizes {
        let path = dir.join(format!("{size}.env"));
        std::fs::write(&path, env_text(size)).unwrap();
        for (what, substitution) in [
            ("isolated", Substitution::Refused),
            ("process substitution", Substitution::ProcessEnvironment),
        ] {
            let start = Instant::now();
            let file = EnvFile::load(&path, substitution).unwrap();
            let elapsed = start.elapsed();
            println!(
                "{size:>8} bytes, {:>6} items, {what:<20} {:>10.3} ms",
                file.names().count(),
                elapsed.as_secs_f64() * 1000.0
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
