//! Running the real `carillon` binary for end-to-end tests: a server on free loopback ports
//! with its own data directory, users added through the command line, SIPp helpers.

// Each test file uses its own part of this module.
#![allow(dead_code, unreachable_pub, unused_imports)]

use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub use interop_harness::*;

pub mod client;

/// The server binary cargo built for these tests.
pub const CARILLON: &str = env!("CARGO_BIN_EXE_carillon");

/// How long a server may take to start listening.
pub const READY: Duration = Duration::from_secs(15);

/// A running `carillon serve`, killed when dropped.
pub struct Server {
    /// The process.
    pub proc: Proc,
    /// The SIP port (UDP and TCP on 127.0.0.1).
    pub port: u16,
    /// The metrics port.
    pub metrics: u16,
    /// The data directory.
    pub data: PathBuf,
    /// The folder for logs and scratch files.
    pub dir: PathBuf,
    extra: Vec<String>,
    starts: u32,
}

impl Server {
    /// Starts a server on 127.0.0.1 (UDP and TCP on a free port) with a data directory in
    /// `dir`, and waits until it listens.
    pub fn start(dir: &Path) -> Server {
        Server::start_with(dir, &[])
    }

    /// Like [`Server::start`], with more `serve` arguments (`--listen tls:...`, `--config`).
    pub fn start_with(dir: &Path, extra: &[&str]) -> Server {
        let mut s = Server {
            proc: Proc::spawn("carillon-idle", Command::new("true"), dir),
            port: free_port(),
            metrics: free_port(),
            data: dir.join("data"),
            dir: dir.to_owned(),
            extra: extra.iter().map(|s| (*s).to_owned()).collect(),
            starts: 0,
        };
        s.launch();
        s
    }

    fn launch(&mut self) {
        self.starts += 1;
        let mut cmd = Command::new(CARILLON);
        cmd.arg("--data")
            .arg(&self.data)
            .args(["serve", "--listen"])
            .arg(format!("127.0.0.1:{}", self.port))
            .arg("--metrics")
            .arg(format!("127.0.0.1:{}", self.metrics))
            .args(&self.extra)
            .env("RUST_LOG", "info");
        let name = format!("carillon-{}", self.starts);
        self.proc = Proc::spawn(&name, cmd, &self.dir);
        wait_listening(true, self.port, READY, &mut self.proc);
        wait_listening(false, self.port, READY, &mut self.proc);
    }

    /// `kill -9` then start again on the same ports and data; returns how long it took the
    /// new process to listen.
    pub fn crash_and_restart(&mut self) -> Duration {
        self.kill9();
        let t = Instant::now();
        self.launch();
        t.elapsed()
    }

    /// SIGKILL, and wait for the process to be gone.
    pub fn kill9(&mut self) {
        let pid = self.proc.id();
        let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        let _ = self.proc.wait(Duration::from_secs(5));
    }

    /// SIGTERM and wait for a clean exit.
    pub fn terminate(&mut self) -> Option<std::process::ExitStatus> {
        let pid = self.proc.id();
        let _ = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
        self.proc.wait(Duration::from_secs(20))
    }

    /// Runs a `carillon` subcommand on this server's data directory; returns its stdout,
    /// panicking with its output when it fails.
    pub fn cli(&self, args: &[&str]) -> String {
        cli(&self.data, args)
    }

    /// Adds `user@domain` with `password`.
    pub fn add_user(&self, user: &str, password: &str) {
        self.cli(&["user", "add", user, "--password", password]);
    }

    /// The `/metrics` text.
    pub fn metrics_text(&self) -> String {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.metrics)).expect("metrics");
        s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            .expect("metrics request");
        let mut body = String::new();
        let _ = s.read_to_string(&mut body);
        body
    }

    /// The value of an unlabelled metric.
    pub fn metric(&self, name: &str) -> Option<f64> {
        self.metrics_text()
            .lines()
            .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
    }

    /// Sends `OPTIONS sip:127.0.0.1` over UDP and returns the status line of the answer.
    pub fn ping(&self) -> Option<String> {
        options_ping(self.port)
    }
}

/// Runs `carillon --data DATA ARGS`; returns stdout, panics with the output when it fails.
pub fn cli(data: &Path, args: &[&str]) -> String {
    let out = Command::new(CARILLON)
        .arg("--data")
        .arg(data)
        .args(args)
        .output()
        .expect("run carillon");
    assert!(
        out.status.success(),
        "carillon {args:?} failed ({})\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Sends one OPTIONS to the server over UDP from a fresh socket and returns the first line
/// of the answer, or `None` after two seconds of silence.
pub fn options_ping(port: u16) -> Option<String> {
    let sock = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let local = sock.local_addr().expect("local");
    sock.set_read_timeout(Some(Duration::from_millis(500)))
        .expect("timeout");
    let branch = format!("z9hG4bKping{}", local.port());
    let msg = format!(
        "OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\n\
         Via: SIP/2.0/UDP {local};branch={branch};rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:probe@example.org>;tag=p{}\r\n\
         To: <sip:127.0.0.1:{port}>\r\n\
         Call-ID: ping-{}@127.0.0.1\r\n\
         CSeq: 1 OPTIONS\r\n\
         Content-Length: 0\r\n\r\n",
        local.port(),
        local.port()
    );
    let mut buf = [0u8; 4096];
    for _ in 0..4 {
        sock.send_to(msg.as_bytes(), ("127.0.0.1", port)).ok()?;
        if let Ok((n, _)) = sock.recv_from(&mut buf) {
            let text = String::from_utf8_lossy(&buf[..n]);
            return text.lines().next().map(str::to_owned);
        }
    }
    None
}

/// The folder with this crate's SIPp scenarios.
pub fn scenarios() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sipp")
}

/// Writes a SIPp injection file (`SEQUENTIAL` and one `;`-separated line per row).
pub fn injection(dir: &Path, name: &str, rows: &[Vec<String>]) -> PathBuf {
    let mut text = String::from("SEQUENTIAL\n");
    for r in rows {
        text.push_str(&r.join(";"));
        text.push('\n');
    }
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write injection file");
    path
}

/// SIPp running scenario file `scenario` against the server, from local port `port`.
pub fn sipp_cmd(sipp: &Path, scenario: &str, server_port: u16, port: u16, tcp: bool) -> Command {
    let mut cmd = Command::new(sipp);
    cmd.arg("-sf")
        .arg(scenarios().join(scenario))
        .args(["-i", "127.0.0.1", "-p"])
        .arg(port.to_string())
        .arg("-mp")
        .arg(free_port().to_string())
        .args([
            "-nostdin",
            "-timeout",
            "30s",
            "-timeout_error",
            "-trace_err",
        ])
        .args(["-t", if tcp { "t1" } else { "u1" }])
        .arg(format!("127.0.0.1:{server_port}"));
    cmd
}

/// The cumulative value of a counter on SIPp's last statistics screen.
pub fn sipp_counter(stdout: &str, name: &str) -> Option<u64> {
    stdout
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with(name))
        .and_then(|l| l.split('|').nth(2))
        .and_then(|v| v.trim().parse().ok())
}

/// SIPp's error log (`-trace_err` writes it next to the scenario's working folder).
pub fn sipp_errors(dir: &Path) -> String {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().ends_with("_errors.log"))
                .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}
