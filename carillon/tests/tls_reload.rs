//! TLS certificate reload without a restart: the server presents certificate A, its files
//! are replaced by certificate B, SIGHUP, and new handshakes get B while the server keeps
//! serving; a SIGHUP with broken files keeps B. Also: a server without TLS survives SIGHUP.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{Pki, Server, TempDir, free_port};

/// The certificate a TLS handshake with 127.0.0.1:`port` presents, as base64 without
/// whitespace (Python's ssl module, as any TLS client would see it).
fn presented(port: u16) -> Option<String> {
    let out = Command::new("python3")
        .arg("-c")
        .arg(format!(
            "import ssl; print(ssl.get_server_certificate(('127.0.0.1', {port})))"
        ))
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| pem_body(&String::from_utf8_lossy(&out.stdout)))
}

fn pem_body(pem: &str) -> String {
    pem.lines()
        .filter(|l| !l.starts_with("-----"))
        .flat_map(|l| l.chars())
        .filter(|c| !c.is_whitespace())
        .collect()
}

fn install(from: &Pki, live: &Path) {
    std::fs::copy(&from.cert, live.join("cert.pem")).expect("copy cert");
    std::fs::copy(&from.key, live.join("key.pem")).expect("copy key");
}

fn sighup(server: &Server) {
    let pid = server.proc.id().to_string();
    let ok = Command::new("kill").args(["-HUP", &pid]).status();
    assert!(ok.is_ok_and(|s| s.success()), "kill -HUP failed");
}

#[test]
fn sighup_reloads_the_certificate_without_a_restart() {
    let dir = TempDir::new("tls_reload");
    let (a_dir, b_dir, live) = (
        dir.path().join("a"),
        dir.path().join("b"),
        dir.path().join("live"),
    );
    for d in [&a_dir, &b_dir, &live] {
        std::fs::create_dir_all(d).expect("mkdir");
    }
    let (a, b) = (Pki::new(&a_dir), Pki::new(&b_dir));
    install(&a, &live);
    let config = dir.path().join("carillon.toml");
    std::fs::write(
        &config,
        format!(
            "[tls]\ncertificate = \"{}\"\nprivate_key = \"{}\"\n",
            live.join("cert.pem").display(),
            live.join("key.pem").display()
        ),
    )
    .expect("config");
    let tls_port = free_port();
    let listen = format!("tls:127.0.0.1:{tls_port}");
    let mut server = Server::start_with(
        dir.path(),
        &[
            "--config",
            config.to_str().expect("path"),
            "--listen",
            &listen,
        ],
    );
    common::wait_listening(false, tls_port, common::READY, &mut server.proc);
    let cert_a = pem_body(&std::fs::read_to_string(&a.cert).expect("read a"));
    let cert_b = pem_body(&std::fs::read_to_string(&b.cert).expect("read b"));
    assert_ne!(cert_a, cert_b);
    assert_eq!(presented(tls_port).as_deref(), Some(cert_a.as_str()));

    install(&b, &live);
    // Not before the signal: the files are read only when asked.
    assert_eq!(presented(tls_port).as_deref(), Some(cert_a.as_str()));
    sighup(&server);
    let end = Instant::now() + Duration::from_secs(5);
    while presented(tls_port).as_deref() != Some(cert_b.as_str()) {
        assert!(Instant::now() < end, "certificate B never presented");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(server.ping().as_deref(), Some("SIP/2.0 200 OK"));

    // Broken files: the reload fails, B stays, the server runs on.
    std::fs::write(live.join("cert.pem"), "not a certificate").expect("break cert");
    sighup(&server);
    let end = Instant::now() + Duration::from_secs(5);
    while !server.proc.stderr().contains("TLS reload failed") {
        assert!(Instant::now() < end, "no reload failure logged");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(presented(tls_port).as_deref(), Some(cert_b.as_str()));
    assert!(
        server.proc.try_wait().expect("status").is_none(),
        "the server died"
    );
}

#[test]
fn server_without_tls_survives_sighup() {
    let dir = TempDir::new("sighup_no_tls");
    let mut server = Server::start(dir.path());
    sighup(&server);
    let end = Instant::now() + Duration::from_secs(5);
    while !server
        .proc
        .stderr()
        .contains("no TLS certificate to reload")
    {
        assert!(Instant::now() < end, "SIGHUP not handled");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        server.proc.try_wait().expect("status").is_none(),
        "SIGHUP ended the server"
    );
    assert_eq!(server.ping().as_deref(), Some("SIP/2.0 200 OK"));
}
