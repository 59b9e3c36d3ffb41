//! What the end-to-end tests share: finding the peer programs (or failing loudly), free
//! ports, waiting for a program to listen, running processes with a deadline, scratch folders
//! and a test PKI. A dev-dependency only.
//!
//! Every process binds to 127.0.0.1 only. `scripts/test.sh` installs the peers and runs the
//! tests in a network namespace that has nothing but loopback.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::missing_panics_doc)]

use std::collections::HashSet;
use std::fs::File;
use std::io::Write;
use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A peer program is missing: panic saying what to install, or, with
/// `CARILLON_SKIP_INTEROP=1`, print a loud SKIPPED line and return (the caller then returns).
pub fn missing(test: &str, what: &str) {
    if std::env::var("CARILLON_SKIP_INTEROP").is_ok_and(|v| v == "1") {
        // Straight to the process's stderr: the test harness captures `eprintln!` of passing
        // tests, and a skip must never pass silently.
        let _ = writeln!(
            std::io::stderr().lock(),
            "\n*** SKIPPED {test}: {what} (CARILLON_SKIP_INTEROP=1): this test proved nothing ***\n"
        );
        return;
    }
    panic!(
        "{test}: {what}.\nInstall the interop peers with ./scripts/test.sh (it runs apt-get and \
         pip for you), or set CARILLON_SKIP_INTEROP=1 to skip the interop tests loudly."
    );
}

/// The `sipp` binary on PATH, or `None` (after a loud SKIPPED line) when interop tests are
/// skipped. Panics naming the package when it is missing.
pub fn sipp(test: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("sipp"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        missing(
            test,
            "`sipp` is not on PATH: install it with `apt-get install -y sip-tester`",
        );
    }
    found
}

/// The program `name` on PATH, or `None` (after a loud SKIPPED line) when interop tests are
/// skipped. Panics naming the Debian `package` that provides it when it is missing.
pub fn program(test: &str, name: &str, package: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        let what =
            format!("`{name}` is not on PATH: install it with `apt-get install -y {package}`");
        missing(test, &what);
    }
    found
}

/// The Python that has `modules` (`pjsua2`, `websockets`): `$CARILLON_PYTHON`, else
/// `target/interop-venv/bin/python`. `None` (after a loud SKIPPED line) when skipped; panics
/// naming what to install when it is missing or lacks a module.
pub fn python(test: &str, modules: &[&str]) -> Option<PathBuf> {
    let py = std::env::var_os("CARILLON_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target/interop-venv/bin/python"));
    let install = "python3 -m venv target/interop-venv && \
                   target/interop-venv/bin/pip install pjsua2-python websockets";
    if !py.is_file() {
        let what = format!(
            "no Python at {} (set CARILLON_PYTHON, or create it: {install})",
            py.display()
        );
        missing(test, &what);
        return None;
    }
    let import = format!("import {}", modules.join(", "));
    let ok = Command::new(&py)
        .args(["-c", &import])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        let what = format!(
            "{} cannot `{import}` (install them: {install})",
            py.display()
        );
        missing(test, &what);
        return None;
    }
    Some(py)
}

static HANDED_OUT: Mutex<Option<HashSet<u16>>> = Mutex::new(None);

/// A port free for both UDP and TCP on 127.0.0.1 right now, never handed out twice in this
/// process. The system picks it (bind to port 0), so parallel test processes rarely collide.
pub fn free_port() -> u16 {
    for _ in 0..100 {
        let tcp = TcpListener::bind("127.0.0.1:0").expect("bind a TCP port");
        let port = tcp.local_addr().expect("local address").port();
        if UdpSocket::bind(("127.0.0.1", port)).is_err() {
            continue;
        }
        let mut seen = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
        if seen.get_or_insert_with(HashSet::new).insert(port) {
            return port;
        }
    }
    panic!("no free port found on 127.0.0.1");
}

/// An even port free for UDP on 127.0.0.1 whose successor is free too (media: RTP on the
/// even port, RTCP on the next), neither handed out before by this or [`free_port`].
pub fn free_rtp_port() -> u16 {
    // Held until the search ends, so the system offers a different port each time.
    let mut held = Vec::new();
    for _ in 0..200 {
        let sock = UdpSocket::bind("127.0.0.1:0").expect("bind a UDP port");
        let port = sock.local_addr().expect("local address").port();
        held.push(sock);
        if port % 2 != 0 || port == u16::MAX - 1 {
            continue;
        }
        let Ok(next) = UdpSocket::bind(("127.0.0.1", port + 1)) else {
            continue;
        };
        held.push(next);
        let mut seen = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
        let seen = seen.get_or_insert_with(HashSet::new);
        if !seen.contains(&port) && !seen.contains(&(port + 1)) {
            seen.insert(port);
            seen.insert(port + 1);
            return port;
        }
    }
    panic!("no free pair of UDP ports found on 127.0.0.1");
}

/// Whether something listens on 127.0.0.1:`port` (TCP in LISTEN state, or a bound UDP socket),
/// read from /proc/net of this network namespace: no packet is sent to find out.
pub fn is_listening(udp: bool, port: u16) -> bool {
    let files: &[&str] = if udp {
        &["/proc/net/udp", "/proc/net/udp6"]
    } else {
        &["/proc/net/tcp", "/proc/net/tcp6"]
    };
    let want = format!(":{port:04X}");
    files.iter().any(|f| {
        std::fs::read_to_string(f).is_ok_and(|text| {
            text.lines().skip(1).any(|line| {
                let cols: Vec<&str> = line.split_whitespace().collect();
                cols.len() > 3 && cols[1].ends_with(&want) && (udp || cols[3] == "0A")
            })
        })
    })
}

/// Waits until [`is_listening`], or panics after `timeout` with `what` and the process's
/// output so far.
pub fn wait_listening(udp: bool, port: u16, timeout: Duration, proc: &mut Proc) {
    let end = Instant::now() + timeout;
    while !is_listening(udp, port) {
        if let Ok(Some(status)) = proc.child.try_wait() {
            panic!(
                "{} exited ({status}) before listening on port {port}\n{}",
                proc.name,
                proc.output()
            );
        }
        assert!(
            Instant::now() < end,
            "{} not listening on {} port {port} after {timeout:?}\n{}",
            proc.name,
            if udp { "UDP" } else { "TCP" },
            proc.output()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A scratch folder, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    /// A new folder under the system's temporary directory, named after `tag`.
    pub fn new(tag: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_nanos();
        let dir = std::env::temp_dir().join(format!(
            "carillon-test-{tag}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A child process whose standard output and error go to files in a scratch folder; killed
/// when dropped.
pub struct Proc {
    /// The name used in messages and output file names.
    pub name: String,
    child: Child,
    out: PathBuf,
    err: PathBuf,
    started: Instant,
}

impl Proc {
    /// Starts `cmd` (with `dir` as working folder and the place for its output).
    pub fn spawn(name: &str, cmd: Command, dir: &Path) -> Proc {
        Proc::start(name, cmd, dir, Stdio::null())
    }

    /// Like [`Proc::spawn`], with a pipe to the program's standard input (for programs that
    /// take commands there, like `linphonec`). Closing the pipe is an end of file.
    pub fn spawn_with_stdin(name: &str, cmd: Command, dir: &Path) -> (Proc, ChildStdin) {
        let mut proc = Proc::start(name, cmd, dir, Stdio::piped());
        let stdin = proc.child.stdin.take().expect("piped stdin");
        (proc, stdin)
    }

    fn start(name: &str, mut cmd: Command, dir: &Path, stdin: Stdio) -> Proc {
        let out = dir.join(format!("{name}.stdout"));
        let err = dir.join(format!("{name}.stderr"));
        cmd.current_dir(dir)
            .stdin(stdin)
            .stdout(File::create(&out).expect("stdout file"))
            .stderr(File::create(&err).expect("stderr file"));
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({cmd:?}): {e}"));
        Proc {
            name: name.to_owned(),
            child,
            out,
            err,
            started: Instant::now(),
        }
    }

    /// The exit status if it has exited, without waiting.
    pub fn try_wait(&mut self) -> std::io::Result<Option<ExitStatus>> {
        self.child.try_wait()
    }

    /// The operating system's process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the exit, killing the process after `timeout`. Returns the status, or `None`
    /// if it had to be killed.
    pub fn wait(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let end = Instant::now() + timeout;
        loop {
            match self.child.try_wait() {
                Ok(Some(s)) => return Some(s),
                Ok(None) if Instant::now() < end => std::thread::sleep(Duration::from_millis(20)),
                _ => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    return None;
                }
            }
        }
    }

    /// Waits and asserts exit status 0, showing everything the process printed otherwise.
    /// Returns its standard output and how long it ran.
    pub fn expect_success(&mut self, timeout: Duration) -> (String, Duration) {
        let status = self.wait(timeout);
        let elapsed = self.started.elapsed();
        match status {
            Some(s) if s.success() => (self.stdout(), elapsed),
            Some(s) => panic!("{} failed ({s})\n{}", self.name, self.output()),
            None => panic!(
                "{} still running after {timeout:?}: killed\n{}",
                self.name,
                self.output()
            ),
        }
    }

    /// Everything it wrote to standard output so far.
    pub fn stdout(&self) -> String {
        std::fs::read_to_string(&self.out).unwrap_or_default()
    }

    /// Everything it wrote to standard error so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.err).unwrap_or_default()
    }

    /// Both outputs, labelled, for failure messages (the last 12 000 characters of each).
    pub fn output(&self) -> String {
        let tail = |s: String| {
            let n = s.len().saturating_sub(12_000);
            let start = (n..s.len()).find(|i| s.is_char_boundary(*i)).unwrap_or(n);
            s[start..].to_owned()
        };
        format!(
            "--- {} stdout ---\n{}\n--- {} stderr ---\n{}",
            self.name,
            tail(self.stdout()),
            self.name,
            tail(self.stderr())
        )
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Waits for `first` then `second` (within `timeout` in all) and asserts both exited 0;
/// otherwise panics with everything both printed. Returns their standard outputs and the
/// time taken.
pub fn expect_both(
    first: &mut Proc,
    second: &mut Proc,
    timeout: Duration,
) -> (String, String, Duration) {
    let start = Instant::now();
    let a = first.wait(timeout);
    let b = second.wait(
        timeout
            .saturating_sub(start.elapsed())
            .max(Duration::from_secs(1)),
    );
    let show = |s: Option<ExitStatus>| {
        s.map_or_else(|| "killed after the timeout".to_owned(), |s| s.to_string())
    };
    if !(a.is_some_and(|s| s.success()) && b.is_some_and(|s| s.success())) {
        panic!(
            "{}: {}; {}: {}\n{}\n{}",
            first.name,
            show(a),
            second.name,
            show(b),
            first.output(),
            second.output()
        );
    }
    (first.stdout(), second.stdout(), start.elapsed())
}

/// A test CA and a server certificate for 127.0.0.1 and localhost, as PEM files.
pub struct Pki {
    /// The CA certificate.
    pub ca: PathBuf,
    /// The server certificate.
    pub cert: PathBuf,
    /// The server's private key.
    pub key: PathBuf,
}

impl Pki {
    /// Makes the CA, the certificate and the key in `dir`.
    pub fn new(dir: &Path) -> Pki {
        use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("ca params");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "Carillon interop test CA");
        let ca =
            CertifiedIssuer::self_signed(ca, KeyPair::generate().expect("ca key")).expect("ca");
        let key = KeyPair::generate().expect("leaf key");
        let mut leaf = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .expect("leaf params");
        leaf.distinguished_name
            .push(DnType::CommonName, "127.0.0.1");
        let leaf = leaf.signed_by(&key, &ca).expect("leaf cert");
        let pki = Pki {
            ca: dir.join("ca.pem"),
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
        };
        std::fs::write(&pki.ca, ca.pem()).expect("write ca");
        std::fs::write(&pki.cert, leaf.pem()).expect("write cert");
        std::fs::write(&pki.key, key.serialize_pem()).expect("write key");
        pki
    }
}

/// Seconds as the command lines want them.
pub fn secs(d: Duration) -> String {
    format!("{}", d.as_secs_f64())
}
