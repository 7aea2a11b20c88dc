//! `jwt-config audit` on generated fleets of 50, 500 and 5,000 services, each a Deployment
//! with a ConfigMap and a Secret of its own (shared values, so the fleet agrees): wall time
//! of a whole audit (reading, resolving, loading every service with `JwtConfig`'s rules,
//! comparing) and the peak memory of the process that ran it.
//!
//! Run: `cargo bench -p jwt-config-cli --bench audit`. Each size runs in a child process
//! of its own, so that its peak memory is its own.

use std::fmt::Write as _;
use std::process::Command;
use std::time::Instant;

use jwt_config::JwtConfig;

const SIZES: [usize; 3] = [50, 500, 5000];
const RUNS: usize = 5;

/// One service: its ConfigMap, its Secret and its Deployment.
fn service(out: &mut String, index: usize) {
    let name = format!("svc-{index:05}");
    let _ = write!(
        out,
        "---
apiVersion: v1
kind: ConfigMap
metadata: {{name: {name}-jwt, namespace: fleet}}
data:
  ENVIRONMENT: production
  JWT_ISSUER: https://auth.fleet.example
  JWT_AUDIENCE: fleet
  JWT_ACCESS_TOKEN_EXPIRE_MINUTES: \"15\"
---
apiVersion: v1
kind: Secret
metadata: {{name: {name}-secrets, namespace: fleet}}
stringData:
  JWT_SECRET_KEY: bench-fleet-jwt-secret-key-0123456789abcdef
  SERVICE_SECRET: bench-fleet-service-secret-0123456789abcdef
  SERVICE_ALLOWED_CALLERS: \"*\"
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: fleet}}
spec:
  template:
    spec:
      containers:
        - name: app
          image: fleet/{name}:1.0.0
          envFrom:
            - configMapRef: {{name: {name}-jwt}}
            - secretRef: {{name: {name}-secrets}}
          env:
            - {{name: SERVICE_ID, value: {name}}}
"
    );
}

/// Peak resident memory of this process, from `/proc/self/status`, in KiB.
fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// The child: audits a fleet of `size` services `RUNS` times; prints the median and the peak.
fn child(size: usize) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fleet.yaml");
    let mut text = String::new();
    for index in 0..size {
        service(&mut text, index);
    }
    std::fs::write(&path, &text).unwrap();
    let before = peak_kib();
    let mut times = Vec::new();
    for _ in 0..RUNS {
        let mut out = Vec::new();
        let start = Instant::now();
        let code = jwt_config_cli::run_with_keys::<JwtConfig>(
            ["jwt-config", "audit", path.to_str().unwrap()],
            &mut out,
            &mut std::io::sink(),
            false,
        );
        times.push(start.elapsed());
        assert_eq!(code, 0, "{}", String::from_utf8_lossy(&out));
    }
    times.sort();
    println!(
        "{size} {} {} {} {}",
        times[RUNS / 2].as_millis(),
        text.len() / 1024,
        before,
        peak_kib()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(size) = args
        .iter()
        .position(|a| a == "--child")
        .map(|i| &args[i + 1])
    {
        child(size.parse().unwrap());
        return;
    }
    println!("fleet audit, median of {RUNS} runs, one child process per size");
    println!(
        "{:>8} {:>10} {:>12} {:>14} {:>16}",
        "services", "ms/audit", "input KiB", "peak MiB", "peak KiB/service"
    );
    for size in SIZES {
        let output = Command::new(std::env::current_exe().unwrap())
            .args(["--child", &size.to_string()])
            .output()
            .unwrap();
        let line = String::from_utf8(output.stdout).unwrap();
        let fields: Vec<u64> = line
            .split_whitespace()
            .filter_map(|f| f.parse().ok())
            .collect();
        let [_, millis, input, _, peak] = fields[..] else {
            panic!(
                "child failed: {line} {}",
                String::from_utf8_lossy(&output.stderr)
            );
        };
        println!(
            "{size:>8} {millis:>10} {input:>12} {:>14.1} {:>16.1}",
            peak as f64 / 1024.0,
            peak as f64 / size as f64
        );
    }
}
