//! `docs/fleet.md` ("A fleet of 30") as written: every `sh` block run in order, on a copy of
//! `examples/k8s/own-keys/`, with the `jwt-config` of this build first on the `PATH`. The
//! `kubectl` lines need a cluster and are the one thing not run.

use std::path::Path;
use std::process::Command;

const GUIDE: &str = include_str!("../../docs/fleet.md");

/// The guide's `sh` blocks, in order.
fn shell_blocks() -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in GUIDE.lines() {
        match (&mut current, line.trim_start()) {
            (None, "```sh") => current = Some(String::new()),
            (Some(_), "```") => blocks.push(current.take().unwrap()),
            (Some(block), text) if text.starts_with("kubectl ") => {
                block.push_str(": not run here: ");
                block.push_str(text);
                block.push('\n');
            }
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    assert!(current.is_none(), "docs/fleet.md: a block is never closed");
    blocks
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

fn run_block(dir: &Path, block: &str) -> (bool, String) {
    let bin = Path::new(env!("CARGO_BIN_EXE_jwt-config"))
        .parent()
        .unwrap();
    let path = format!("{}:/usr/bin:/bin", bin.display());
    let output = Command::new("sh")
        .args(["-eu", "-c", block])
        .current_dir(dir)
        .env_clear()
        .env("PATH", path)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[test]
fn every_command_of_the_fleet_guide_runs_and_the_fleet_passes_a_strict_audit() {
    let dir = tempfile::tempdir().unwrap();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/k8s/own-keys");
    copy_dir(&examples, &dir.path().join("k8s"));
    let blocks = shell_blocks();
    assert!(blocks.len() >= 4, "{blocks:?}");
    for block in &blocks {
        let (ok, out) = run_block(dir.path(), block);
        assert!(ok, "docs/fleet.md block failed:\n{block}\n{out}");
    }
    // What the commands made: one Secret a service (mode 0600), the bundle, the comment.
    for service in ["auth", "orders", "billing"] {
        let secret = dir
            .path()
            .join(format!("secrets/{service}-service-key.yaml"));
        let text = std::fs::read_to_string(&secret).unwrap();
        assert!(text.contains("kind: Secret") && text.contains("SERVICE_PRIVATE_KEY"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&secret).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
    let bundle = std::fs::read_to_string(dir.path().join("k8s/service-verification-keys.yaml"));
    assert!(bundle.unwrap().contains("SERVICE_VERIFICATION_KEYS"));
    let comment = std::fs::read_to_string(dir.path().join("audit.md")).unwrap();
    assert!(comment.contains("```mermaid"), "{comment}");
    // The gate is real: a bundle that lost a caller's key fails it, naming key and receiver.
    let lost = "jwt-config keys bundle k8s/auth.yaml k8s/shared.yaml secrets/auth-service-key.yaml \
                --format configmap --name service-verification-keys > only-auth.yaml\n\
                mv only-auth.yaml k8s/service-verification-keys.yaml\n\
                jwt-config audit --strict k8s/ secrets/\n";
    let (ok, out) = run_block(dir.path(), lost);
    assert!(!ok, "{out}");
    assert!(
        out.contains("cannot verify") && out.contains("key billing"),
        "{out}"
    );
}
