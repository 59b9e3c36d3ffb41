//! Two independent real phones through the server: baresip (alice) and linphonec (bob) both
//! register with MD5 digest authentication (users added with the command line), one calls
//! the other (the INVITE is challenged with 407 and sent again with credentials), the callee
//! answers by itself, the call lasts two seconds with audio both ways, and the caller hangs
//! up with BYE. Checked from every side: what each phone printed (registration, call
//! connected, call ended), what each phone's SIP log shows it received from the server (the
//! ACK and the BYE come through the proxy), `carillon registrations` while both are
//! registered and after they quit, the server's transaction metrics, and the audio each phone
//! recorded (each sends a tone of its own pitch, and hears the other's).
//!
//! The server offers only MD5 here: baresip 1.0 (libre 1.1) gives up on a 401 that carries a
//! challenge of any other algorithm ("Register: Function not implemented"), whatever the order.
//!
//! linphonec asks for GRUUs (RFC 5627) by default and, given one, puts the public GRUU
//! (`sip:bob@127.0.0.1;gr=urn:uuid:...`) in its Contact, so the requests baresip sends in the
//! dialog (ACK, BYE) are addressed to the GRUU and the server has to resolve it to bob's
//! registered contact. `baresip_calls_linphonec_without_gruu_through_server` is the same call
//! with GRUUs turned off in linphonec: when only the GRUU one fails, GRUU routing broke.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command};
use std::time::{Duration, Instant};

use common::{Proc, Server, TempDir, free_port, free_rtp_port, program, workspace};

/// The longest any one step (registering, connecting, hanging up, quitting) may take.
const STEP: Duration = Duration::from_secs(15);
/// How long the call stays up.
const CALL: Duration = Duration::from_secs(2);
/// The pitch of what alice (baresip) sends.
const ALICE_HZ: f64 = 440.0;
/// The pitch of what bob (linphonec) sends.
const BOB_HZ: f64 = 1000.0;

/// Who calls whom.
#[derive(Clone, Copy, PartialEq)]
enum Caller {
    Baresip,
    Linphonec,
}

/// Fills `{KEY}` placeholders of a template file in `tests/interop`.
fn fill(template: &str, vars: &[(&str, String)]) -> String {
    let path = workspace().join("tests/interop").join(template);
    let mut text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    for (k, v) in vars {
        text = text.replace(&format!("{{{k}}}"), v);
    }
    text
}

/// Ten seconds (longer than any call here) of a sine at `hz`, 8 kHz mono 16-bit PCM.
fn write_tone(path: &Path, hz: f64) {
    let rate = 8000u32;
    let samples: Vec<u8> = (0..rate * 10)
        .flat_map(|i| {
            let t = f64::from(i) / f64::from(rate);
            ((8000.0 * (2.0 * std::f64::consts::PI * hz * t).sin()) as i16).to_le_bytes()
        })
        .collect();
    let mut wav = Vec::with_capacity(44 + samples.len());
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + samples.len() as u32).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes()); // PCM
    wav.extend_from_slice(&1u16.to_le_bytes()); // mono
    wav.extend_from_slice(&rate.to_le_bytes());
    wav.extend_from_slice(&(rate * 2).to_le_bytes());
    wav.extend_from_slice(&2u16.to_le_bytes());
    wav.extend_from_slice(&16u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&(samples.len() as u32).to_le_bytes());
    wav.extend_from_slice(&samples);
    std::fs::write(path, wav).unwrap();
}

/// What a 16-bit mono WAV recording holds: the number of loud samples, the seconds they span
/// and the pitch there (full cycles counted with hysteresis, so near-silence does not count).
fn tone(path: &Path) -> (usize, f64, f64) {
    let wav = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    assert!(
        wav.len() > 12 && &wav[..4] == b"RIFF" && &wav[8..12] == b"WAVE",
        "{} is not a WAV file",
        path.display()
    );
    let (mut rate, mut bits, mut channels, mut data) = (0u32, 0u16, 0u16, &wav[..0]);
    let mut at = 12;
    while at + 8 <= wav.len() {
        let id = &wav[at..at + 4];
        let size = u32::from_le_bytes(wav[at + 4..at + 8].try_into().unwrap()) as usize;
        let body = &wav[at + 8..(at + 8).saturating_add(size).min(wav.len())];
        if id == b"fmt " && body.len() >= 16 {
            channels = u16::from_le_bytes(body[2..4].try_into().unwrap());
            rate = u32::from_le_bytes(body[4..8].try_into().unwrap());
            bits = u16::from_le_bytes(body[14..16].try_into().unwrap());
        } else if id == b"data" {
            data = body;
        }
        at += 8 + size + size % 2;
    }
    assert!(
        rate > 0 && bits == 16 && channels == 1,
        "{}: {channels} channel(s) of {bits} bits at {rate} Hz, expected 16-bit mono",
        path.display()
    );
    let s: Vec<i32> = data
        .chunks_exact(2)
        .map(|c| i32::from(i16::from_le_bytes([c[0], c[1]])))
        .collect();
    let loud: Vec<usize> = (0..s.len()).filter(|&i| s[i].abs() > 1000).collect();
    let (Some(&first), Some(&last)) = (loud.first(), loud.last()) else {
        return (0, 0.0, 0.0);
    };
    let mut cycles = 0u32;
    let mut low = false;
    for &x in &s[first..=last] {
        if x < -500 {
            low = true;
        } else if x > 500 && low {
            low = false;
            cycles += 1;
        }
    }
    let span = (last - first) as f64 / f64::from(rate);
    (loud.len(), span, f64::from(cycles) / span.max(1e-3))
}

/// baresip with its own config folder, told what to do through the `cons` UDP port.
struct Baresip {
    proc: Proc,
    dir: PathBuf,
    sip_port: u16,
    cons: u16,
}

impl Baresip {
    fn start(bin: &Path, dir: &Path, server: u16, user: &str, password: &str, wav: &Path) -> Self {
        let conf = dir.join(format!("{user}-baresip"));
        std::fs::create_dir_all(&conf).unwrap();
        let (sip_port, cons, rtp) = (free_port(), free_port(), free_rtp_port());
        let config = fill(
            "baresip/config.template",
            &[
                ("SIP_PORT", sip_port.to_string()),
                ("RTP_PORT", rtp.to_string()),
                ("RTP_PORT_END", (rtp + 1).to_string()),
                ("WAV", wav.display().to_string()),
                // Relative to its working folder (`conf`): sndfile truncates the names of
                // its files to a short buffer, and the scratch folder's path is long.
                ("DIR", ".".to_owned()),
                ("CONS_PORT", cons.to_string()),
            ],
        );
        let accounts = fill(
            "baresip/accounts.template",
            &[
                ("USER", user.to_owned()),
                ("PASSWORD", password.to_owned()),
                ("SERVER_PORT", server.to_string()),
            ],
        );
        std::fs::write(conf.join("config"), config).unwrap();
        std::fs::write(conf.join("accounts"), accounts).unwrap();
        std::fs::write(conf.join("contacts"), "").unwrap();
        let mut cmd = Command::new(bin);
        // -s: the SIP trace, to see what reached it from where; -t: a bound on its life.
        cmd.arg("-f").arg(&conf).args(["-s", "-t", "60"]);
        let proc = Proc::spawn(&format!("{user}-baresip"), cmd, &conf);
        Baresip {
            proc,
            dir: conf,
            sip_port,
            cons,
        }
    }

    /// A menu command (`/dial URI`, `/hangup`, `/quit`).
    fn command(&self, line: &str) {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.send_to(format!("{line}\n").as_bytes(), ("127.0.0.1", self.cons))
            .unwrap();
    }

    /// The recording of what it received in the call (`sndfile`'s `dump-TIME-dec`, a WAV file
    /// whether or not its name ends in `.wav`).
    fn received_audio(&self) -> PathBuf {
        std::fs::read_dir(&self.dir)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().contains("-dec"))
            })
            .unwrap_or_else(|| {
                let files: Vec<_> = std::fs::read_dir(&self.dir)
                    .unwrap()
                    .filter_map(Result::ok)
                    .map(|e| e.file_name())
                    .collect();
                panic!(
                    "no *-dec.wav in {} ({files:?})\n{}",
                    self.dir.display(),
                    self.proc.output()
                )
            })
    }
}

/// linphonec with a scratch HOME, told what to do on its standard input; its debug log (with
/// every SIP message it received) in `log`.
struct Linphonec {
    proc: Proc,
    stdin: ChildStdin,
    sip_port: u16,
    log: PathBuf,
    recording: PathBuf,
}

impl Linphonec {
    #[allow(clippy::too_many_arguments)]
    fn start(
        bin: &Path,
        dir: &Path,
        server: u16,
        user: &str,
        password: &str,
        wav: &Path,
        gruu: bool,
        auto_answer: bool,
    ) -> Self {
        let home = dir.join(format!("{user}-linphone"));
        // linphonec crashes on start-up without this folder in HOME.
        std::fs::create_dir_all(home.join(".local/share/linphone")).unwrap();
        let (sip_port, rtp, video) = (free_port(), free_rtp_port(), free_rtp_port());
        let extra = if gruu {
            String::new()
        } else {
            "# Without gruu: its Contact is its own address, not a GRUU.\n\
             supported=replaces, outbound"
                .to_owned()
        };
        let rc = fill(
            "linphonerc.template",
            &[
                ("SIP_PORT", sip_port.to_string()),
                ("SIP_EXTRA", extra),
                ("RTP_PORT", rtp.to_string()),
                ("VIDEO_RTP_PORT", video.to_string()),
                ("SERVER_PORT", server.to_string()),
                ("USER", user.to_owned()),
                ("PASSWORD", password.to_owned()),
            ],
        );
        let rc_path = home.join("linphonerc");
        std::fs::write(&rc_path, rc).unwrap();
        let log = home.join("linphone.log");
        let mut cmd = Command::new(bin);
        cmd.env("HOME", &home)
            .arg("-c")
            .arg(&rc_path)
            .args(["-d", "5", "-l"])
            .arg(&log);
        if auto_answer {
            cmd.arg("-a");
        }
        let (proc, stdin) = Proc::spawn_with_stdin(&format!("{user}-linphonec"), cmd, dir);
        let recording = home.join("received.wav");
        let mut phone = Linphonec {
            proc,
            stdin,
            sip_port,
            log,
            recording,
        };
        // No sound card: play a WAV file as the microphone, record what comes in.
        phone.command("soundcard use files");
        phone.command(&format!("play {}", wav.display()));
        let rec = phone.recording.display().to_string();
        phone.command(&format!("record {rec}"));
        phone
    }

    fn command(&mut self, line: &str) {
        // A closed pipe means it exited; the waits that follow report that with its output.
        let _ = writeln!(self.stdin, "{line}");
        let _ = self.stdin.flush();
    }
}

/// The server and the two phones, and waiting for what they print.
struct Scene {
    _dir: TempDir,
    server: Server,
    alice: Baresip,
    bob: Linphonec,
}

impl Scene {
    /// Everything the three printed, for failure messages.
    fn dump(&self) -> String {
        format!(
            "{}\n{}\n--- linphonec log (tail) ---\n{}\n{}",
            self.alice.proc.output(),
            self.bob.proc.output(),
            tail(
                &std::fs::read_to_string(&self.bob.log).unwrap_or_default(),
                8000
            ),
            self.server.proc.output()
        )
    }

    /// Waits until `cond` holds, failing with `what` and everyone's output after `timeout` or
    /// when a phone exits.
    fn until(&mut self, what: &str, timeout: Duration, cond: impl Fn(&Scene) -> bool) {
        let end = Instant::now() + timeout;
        loop {
            if cond(self) {
                return;
            }
            let exited = [&mut self.alice.proc, &mut self.bob.proc]
                .into_iter()
                .find_map(|p| Some((p.name.clone(), p.try_wait().ok()??)));
            if let Some((name, status)) = exited {
                panic!(
                    "{name} exited ({status}) while waiting for {what}\n{}",
                    self.dump()
                );
            }
            if Instant::now() > end {
                panic!("no {what} within {timeout:?}\n{}", self.dump());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn registrations(&self) -> String {
        self.server.cli(&["registrations"])
    }
}

fn tail(s: &str, n: usize) -> &str {
    let start = s.len().saturating_sub(n);
    let start = (start..s.len())
        .find(|i| s.is_char_boundary(*i))
        .unwrap_or(s.len());
    &s[start..]
}

/// Both output streams of a process.
fn printed(p: &Proc) -> String {
    format!("{}\n{}", p.stdout(), p.stderr())
}

/// Whether a line of `text` satisfies `pred`.
fn has_line(text: &str, pred: impl Fn(&str) -> bool) -> bool {
    text.lines().any(pred)
}

/// Whether baresip's SIP trace (`-s`) shows a `method` request arriving from `from_port`.
fn baresip_received(trace: &str, method: &str, from_port: u16, to_port: u16) -> bool {
    let hop = format!("UDP 127.0.0.1:{from_port} -> 127.0.0.1:{to_port}");
    let lines: Vec<&str> = trace.lines().collect();
    lines
        .windows(2)
        .any(|w| w[0].contains(&hop) && w[1].contains(&format!("{method} sip:")))
}

/// Whether linphonec's debug log shows a `method` request arriving from `from_port`.
fn linphonec_received(log: &str, method: &str, from_port: u16) -> bool {
    let hop = format!("new bytes from [UDP://127.0.0.1:{from_port}]");
    let lines: Vec<&str> = log.lines().collect();
    lines
        .windows(2)
        .any(|w| w[0].contains(&hop) && w[1].starts_with(&format!("{method} sip:")))
}

/// The value of a labelled metric line `name{labels}`, 0 when absent.
fn metric(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

fn call(test: &str, caller: Caller, gruu: bool) {
    let Some(baresip) = program(test, "baresip", "baresip-core") else {
        return;
    };
    let Some(linphonec) = program(test, "linphonec", "linphone-cli") else {
        return;
    };
    let started = Instant::now();
    let dir = TempDir::new(test);
    let config = dir.path().join("carillon.toml");
    std::fs::write(&config, "[auth]\nalgorithms = [\"MD5\"]\n").unwrap();
    let server = Server::start_with(dir.path(), &["--config", config.to_str().unwrap()]);
    server.add_user("alice@127.0.0.1", "alice-secret");
    server.add_user("bob@127.0.0.1", "bob-secret");
    let (alice_wav, bob_wav) = (dir.path().join("alice.wav"), dir.path().join("bob.wav"));
    write_tone(&alice_wav, ALICE_HZ);
    write_tone(&bob_wav, BOB_HZ);

    let bob = Linphonec::start(
        &linphonec,
        dir.path(),
        server.port,
        "bob",
        "bob-secret",
        &bob_wav,
        gruu,
        caller == Caller::Baresip,
    );
    let alice = Baresip::start(
        &baresip,
        dir.path(),
        server.port,
        "alice",
        "alice-secret",
        &alice_wav,
    );
    let sp = server.port;
    let mut s = Scene {
        _dir: dir,
        server,
        alice,
        bob,
    };

    // Registered, as each phone sees it...
    s.until("baresip registration", STEP, |s| {
        has_line(&printed(&s.alice.proc), |l| {
            l.contains("alice@127.0.0.1:") && l.contains("200 OK")
        })
    });
    let deadline = Instant::now() + STEP;
    loop {
        s.bob.command("status register");
        let asked = Instant::now();
        let seen = |s: &Scene| {
            has_line(&printed(&s.bob.proc), |l| {
                l.contains("registered, identity=sip:bob@127.0.0.1")
            })
        };
        while !seen(&s) && asked.elapsed() < Duration::from_millis(500) {
            std::thread::sleep(Duration::from_millis(50));
        }
        if seen(&s) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "linphonec never registered\n{}",
            s.dump()
        );
    }
    // ... and as the server sees it.
    let regs = s.registrations();
    let listed = |aor: &str, port: u16, agent: &str| {
        regs.lines().any(|l| {
            l.starts_with(&format!("{aor} "))
                && l.contains(&format!("@127.0.0.1:{port}"))
                && l.contains(agent)
        })
    };
    assert!(
        regs.starts_with("2 registered contact(s)")
            && listed("sip:alice@127.0.0.1", s.alice.sip_port, "baresip")
            && listed("sip:bob@127.0.0.1", s.bob.sip_port, "Linphonec"),
        "`carillon registrations` does not list both phones:\n{regs}\n{}",
        s.dump()
    );

    match caller {
        Caller::Baresip => s.alice.command("/dial sip:bob@127.0.0.1"),
        Caller::Linphonec => s.bob.command("call sip:alice@127.0.0.1"),
    }
    s.until("established call", STEP, |s| {
        has_line(&printed(&s.alice.proc), |l| {
            l.contains("Call established: sip:bob@127.0.0.1")
        }) && has_line(&printed(&s.bob.proc), |l| {
            l.contains("with sip:alice@127.0.0.1 connected.")
        }) && has_line(&printed(&s.bob.proc), |l| {
            l.contains("Media streams established with sip:alice@127.0.0.1")
        })
    });
    // The call's length, not a wait for something to happen.
    std::thread::sleep(CALL);
    match caller {
        Caller::Baresip => s.alice.command("/hangup"),
        Caller::Linphonec => s.bob.command("terminate"),
    }
    s.until("end of the call on both phones", STEP, |s| {
        has_line(&printed(&s.alice.proc), |l| {
            l.contains("Call with sip:bob@127.0.0.1") && l.contains("terminated")
        }) && (caller == Caller::Linphonec
            || has_line(&printed(&s.bob.proc), |l| {
                l.contains("with sip:alice@127.0.0.1 ended")
            }))
    });
    s.until("BYE answered 2xx in the metrics", STEP, |s| {
        metric(
            &s.server.metrics_text(),
            "carillon_transactions_total{method=\"BYE\",class=\"2xx\"}",
        ) >= 1.0
    });

    // The callee got the ACK and the BYE from the server (the proxy's Record-Route).
    let (ack_ok, bye_ok) = match caller {
        Caller::Baresip => {
            let log = std::fs::read_to_string(&s.bob.log).unwrap_or_default();
            (
                linphonec_received(&log, "ACK", sp),
                linphonec_received(&log, "BYE", sp),
            )
        }
        Caller::Linphonec => {
            let trace = printed(&s.alice.proc);
            (
                baresip_received(&trace, "ACK", sp, s.alice.sip_port),
                baresip_received(&trace, "BYE", sp, s.alice.sip_port),
            )
        }
    };
    assert!(
        ack_ok && bye_ok,
        "the callee did not receive the ACK ({ack_ok}) and the BYE ({bye_ok}) from the server\n{}",
        s.dump()
    );

    let metrics = s.server.metrics_text();
    for (series, want) in [
        (
            "carillon_transactions_total{method=\"INVITE\",class=\"2xx\"}",
            1.0,
        ),
        // The first INVITE, challenged with 407.
        (
            "carillon_transactions_total{method=\"INVITE\",class=\"4xx\"}",
            1.0,
        ),
        (
            "carillon_transactions_total{method=\"BYE\",class=\"2xx\"}",
            1.0,
        ),
        (
            "carillon_transactions_total{method=\"BYE\",class=\"4xx\"}",
            0.0,
        ),
        (
            "carillon_transactions_total{method=\"BYE\",class=\"6xx\"}",
            0.0,
        ),
        ("carillon_auth_failures_total", 0.0),
    ] {
        assert_eq!(
            metric(&metrics, series),
            want,
            "{series} in\n{metrics}\n{}",
            s.dump()
        );
    }
    // Two REGISTERs and the INVITE, at least, proved with MD5 digests.
    assert!(
        metric(&metrics, "carillon_auth_successes_total{algorithm=\"MD5\"}") >= 3.0,
        "too few MD5 authentications in\n{metrics}"
    );

    s.alice.command("/quit");
    s.bob.command("quit");
    let quit = [&mut s.alice.proc, &mut s.bob.proc]
        .into_iter()
        .map(|p| (p.name.clone(), p.wait(STEP)))
        .find(|(_, status)| !status.is_some_and(|st| st.success()));
    if let Some((name, status)) = quit {
        panic!("{name} did not quit cleanly ({status:?})\n{}", s.dump());
    }
    // Both unregister when they quit.
    let end = Instant::now() + Duration::from_secs(5);
    while !s.registrations().starts_with("0 registered contact(s)") {
        assert!(
            Instant::now() < end,
            "still registered after both phones quit:\n{}",
            s.registrations()
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // Audio both ways: each recorded the other's tone, for about the length of the call.
    let mut heard = Vec::new();
    for (who, path, want) in [
        ("alice (baresip)", s.alice.received_audio(), BOB_HZ),
        ("bob (linphonec)", s.bob.recording.clone(), ALICE_HZ),
    ] {
        let (loud, span, hz) = tone(&path);
        assert!(
            loud >= 8000 && span >= 1.5 && (hz - want).abs() < want * 0.1,
            "{who} received {loud} loud samples over {span:.2} s at about {hz:.0} Hz, \
             expected the other phone's {want} Hz tone for about {CALL:?} ({})",
            path.display()
        );
        heard.push(format!("{who} heard {hz:.0} Hz for {span:.2} s"));
    }
    println!(
        "{test}: ok in {:.2?} ({})",
        started.elapsed(),
        heard.join(", ")
    );
}

#[test]
fn baresip_calls_linphonec_through_server() {
    call(
        "baresip_calls_linphonec_through_server",
        Caller::Baresip,
        true,
    );
}

#[test]
fn linphonec_calls_baresip_through_server() {
    call(
        "linphonec_calls_baresip_through_server",
        Caller::Linphonec,
        true,
    );
}

/// The same call with linphonec's GRUU support turned off, so its Contact is its own address.
#[test]
fn baresip_calls_linphonec_without_gruu_through_server() {
    call(
        "baresip_calls_linphonec_without_gruu_through_server",
        Caller::Baresip,
        false,
    );
}
