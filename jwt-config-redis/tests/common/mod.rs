//! A real Redis for the tests and the bench: `redis-server` started on a free loopback port,
//! stopped when dropped; and the settings of a caller and its receivers.
#![allow(dead_code, unreachable_pub)]

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use jwt_config::{Config as _, JwtConfig, MapSource};

/// A `redis-server` of this test: its port, its data directory (an append-only file synced at
/// every write, so that what it acknowledged survives a kill), the process while it runs.
pub struct RedisServer {
    port: u16,
    synced: bool,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts a server on a free loopback port; fails the test, saying what to install, where
    /// `redis-server` is missing.
    pub fn start() -> Self {
        RedisServer::start_with(true)
    }

    /// Starts a server that keeps nothing on disk (`synced` false) or syncs an append-only
    /// file at every write (`synced` true: what it acknowledged survives a restart).
    pub fn start_with(synced: bool) -> Self {
        let port = free_port();
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut server = RedisServer {
            port,
            synced,
            dir,
            child: None,
        };
        server.restart();
        server
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server (no clean shutdown: what it acknowledged is in its synced file).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on its port, with its data, and waits until it answers PING.
    pub fn restart(&mut self) {
        self.stop();
        self.child = Some(spawn(self.port, self.dir.path(), self.synced));
        wait_for_ping(self.port);
    }

    /// Freezes the server (SIGSTOP): connections stay open, nothing answers.
    pub fn freeze(&self) {
        self.signal("-STOP");
    }

    /// Lets a frozen server run again (SIGCONT).
    pub fn thaw(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().expect("a running server").id();
        let status = Command::new("kill")
            .args([signal, &pid.to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "kill {signal} {pid}");
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if self.child.is_some() {
            self.thaw();
        }
        self.stop();
    }
}

/// A loopback port free a moment ago (the listener is closed before the server binds it).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    listener.local_addr().expect("its address").port()
}

fn spawn(port: u16, dir: &Path, synced: bool) -> Child {
    let binary = std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".to_owned());
    let port = port.to_string();
    let started = Command::new(&binary)
        .args(["--port", &port, "--bind", "127.0.0.1", "--save", ""])
        .args(if synced {
            ["--appendonly", "yes", "--appendfsync", "always"]
        } else {
            ["--appendonly", "no", "--appendfsync", "no"]
        })
        .arg("--dir")
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    match started {
        Ok(child) => child,
        Err(error) => panic!(
            "cannot start `{binary}` ({error}): these tests need a real Redis. Run scripts/test.sh, \
             which installs Debian's redis-server where it is missing, or install it \
             (apt-get install redis-server), or set REDIS_SERVER to its path"
        ),
    }
}

fn wait_for_ping(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if ping(port) {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("redis-server on port {port} did not answer PING within 10 s");
}

fn ping(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut answer = [0u8; 7];
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut answer).is_ok()
        && &answer == b"+PONG\r\n"
}

const SHARED: [(&str, &str); 6] = [
    ("ENVIRONMENT", "production"),
    (
        "JWT_SECRET_KEY",
        "redis-test-jwt-secret-0123456789abcdefghijkl",
    ),
    ("JWT_ISSUER", "auth"),
    ("JWT_AUDIENCE", "api"),
    (
        "SERVICE_SECRET",
        "redis-test-service-secret-0123456789abcdefg",
    ),
    ("SERVICE_ALLOWED_CALLERS", "*"),
];

/// The settings of service `id`, shared with every other service of the tests.
pub fn service(id: &str) -> JwtConfig {
    let source: MapSource = SHARED.into_iter().chain([("SERVICE_ID", id)]).collect();
    JwtConfig::from_source(&source).unwrap_or_else(|error| panic!("{error}"))
}
