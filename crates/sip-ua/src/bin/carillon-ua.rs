//! `carillon-ua`: the test user agent of the Carillon stack, on loopback only.
//!
//! ```text
//! carillon-ua answer --listen udp:127.0.0.1:5060 [--listen tcp:..] [--listen tls:ADDR:PORT:CERT:KEY]
//!                    [--listen ws:..] [--calls N] [--requests N] [--timeout SECONDS] [--verbose]
//! carillon-ua call --transport udp|tcp|tls --target sip:x@127.0.0.1:PORT [--ca FILE]
//!                  [--cert FILE --key FILE] [--hold SECONDS] [--timeout SECONDS] [--verbose]
//! ```
//!
//! `answer` answers every INVITE with 180 then 200 and a minimal SDP answer, OPTIONS, MESSAGE,
//! INFO and UPDATE with 200, anything else with 501; it exits once `--calls` calls (default 1)
//! were answered, acknowledged and ended by BYE and `--requests` out-of-dialog OPTIONS or
//! MESSAGE requests (default 0) were answered, or when `--timeout` (default 30 s) runs out.
//! `call` places one call with a minimal SDP offer, waits for the 200 (the ACK is sent by the
//! dialog layer), holds it `--hold` seconds (default 1), sends BYE and waits for its 200. Both
//! print `carillon-ua: ready` once listening and a last line `carillon-ua: report ...`, and
//! exit 0 on success, 1 on failure, 2 on a usage error.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use sip_dialog::{
    Answer, DialogEvent, DialogId, DialogState, InitialRequest, TerminationReason, TimeoutKind,
};
use sip_message::{Method, Request};
use sip_transaction::Transport;
use sip_ua::{Listen, Media, UaConfig, UaError, UserAgent, peer_for_uri};
use tokio::sync::{mpsc, watch};

const USAGE: &str = "usage:
  carillon-ua answer --listen udp:127.0.0.1:PORT [--listen tcp:127.0.0.1:PORT]
                     [--listen tls:127.0.0.1:PORT:CERT:KEY] [--listen ws:127.0.0.1:PORT]
                     [--calls N] [--requests N] [--timeout SECONDS] [--verbose]
  carillon-ua call --transport udp|tcp|tls --target sip:USER@127.0.0.1:PORT [--ca FILE]
                   [--cert FILE --key FILE] [--hold SECONDS] [--timeout SECONDS] [--verbose]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cmd = match parse(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("carillon-ua: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("carillon-ua: tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let ok = match cmd {
        Cmd::Answer(a) => rt.block_on(answer(a)),
        Cmd::Call(c) => rt.block_on(call(c)),
    };
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

// ----- Command line -----

enum Cmd {
    Answer(AnswerOpts),
    Call(CallOpts),
}

struct AnswerOpts {
    listen: Vec<Listen>,
    calls: u32,
    requests: u32,
    timeout: Duration,
    verbose: bool,
}

struct CallOpts {
    transport: Transport,
    target: String,
    ca: Option<PathBuf>,
    cert: Option<(PathBuf, PathBuf)>,
    hold: Duration,
    timeout: Duration,
    verbose: bool,
}

fn parse(args: &[String]) -> Result<Cmd, String> {
    let (mode, rest) = args.split_first().ok_or("no subcommand")?;
    let mut flags: Vec<(&str, Option<&str>)> = Vec::new();
    let mut it = rest.iter();
    while let Some(a) = it.next() {
        let name = a.as_str();
        if name == "--verbose" || name == "-v" {
            flags.push(("--verbose", None));
            continue;
        }
        if !name.starts_with("--") {
            return Err(format!("unexpected argument {name:?}"));
        }
        let value = it.next().ok_or_else(|| format!("{name} needs a value"))?;
        flags.push((name, Some(value.as_str())));
    }
    let verbose = flags.iter().any(|(n, _)| *n == "--verbose");
    let get = |n: &str| flags.iter().rev().find(|(f, _)| *f == n).and_then(|f| f.1);
    let seconds = |n: &str, default: f64| -> Result<Duration, String> {
        match get(n) {
            None => Ok(Duration::from_secs_f64(default)),
            Some(v) => v
                .parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s >= 0.0)
                .map(Duration::from_secs_f64)
                .ok_or_else(|| format!("{n}: not a number of seconds: {v:?}")),
        }
    };
    let count = |n: &str, default: u32| -> Result<u32, String> {
        get(n).map_or(Ok(default), |v| {
            v.parse().map_err(|_| format!("{n}: not a count: {v:?}"))
        })
    };
    let known: &[&str] = match mode.as_str() {
        "answer" => &[
            "--listen",
            "--calls",
            "--requests",
            "--timeout",
            "--verbose",
        ],
        "call" => &[
            "--transport",
            "--target",
            "--ca",
            "--cert",
            "--key",
            "--hold",
            "--timeout",
            "--verbose",
        ],
        other => return Err(format!("unknown subcommand {other:?}")),
    };
    if let Some((bad, _)) = flags.iter().find(|(n, _)| !known.contains(n)) {
        return Err(format!("unknown option {bad} for {mode}"));
    }
    match mode.as_str() {
        "answer" => {
            let mut listen = Vec::new();
            for (_, v) in flags.iter().filter(|(n, _)| *n == "--listen") {
                let l: Listen = v.unwrap_or_default().parse().map_err(|e| format!("{e}"))?;
                loopback_only(l.addr().ip())?;
                listen.push(l);
            }
            if listen.is_empty() {
                return Err("answer needs at least one --listen".into());
            }
            Ok(Cmd::Answer(AnswerOpts {
                listen,
                calls: count("--calls", 1)?,
                requests: count("--requests", 0)?,
                timeout: seconds("--timeout", 30.0)?,
                verbose,
            }))
        }
        _ => {
            let transport = match get("--transport").unwrap_or("udp") {
                "udp" => Transport::Udp,
                "tcp" => Transport::Tcp,
                "tls" => Transport::Tls,
                t => return Err(format!("--transport: udp, tcp or tls, not {t:?}")),
            };
            let target = get("--target").ok_or("call needs --target")?.to_owned();
            let peer = peer_for_uri(&target, transport)
                .ok_or("--target must be a sip: URI with an IP address host")?;
            loopback_only(peer.addr.ip())?;
            let cert = match (get("--cert"), get("--key")) {
                (Some(c), Some(k)) => Some((c.into(), k.into())),
                (None, None) => None,
                _ => return Err("--cert and --key go together".into()),
            };
            if transport == Transport::Tls && cert.is_none() {
                // The peer sends its in-dialog requests to our Contact, so a TLS caller must
                // listen for TLS too.
                return Err("call --transport tls needs --cert and --key to listen".into());
            }
            Ok(Cmd::Call(CallOpts {
                transport,
                target,
                ca: get("--ca").map(PathBuf::from),
                cert,
                hold: seconds("--hold", 1.0)?,
                timeout: seconds("--timeout", 20.0)?,
                verbose,
            }))
        }
    }
}

fn loopback_only(ip: IpAddr) -> Result<(), String> {
    if ip.is_loopback() {
        Ok(())
    } else {
        Err(format!(
            "{ip} is not a loopback address: this test agent stays on loopback"
        ))
    }
}

fn say(line: impl AsRef<str>) {
    println!("carillon-ua: {}", line.as_ref());
}

async fn start(listen: Listen, ca: Option<PathBuf>, verbose: bool) -> Option<UserAgent> {
    let mut cfg = UaConfig::new(listen.clone());
    cfg.tls_roots = ca;
    cfg.trace = verbose;
    match UserAgent::start(cfg).await {
        Ok(ua) => {
            say(format!(
                "listening {} {} contact <{}>",
                ua.transport(),
                ua.local_addr(),
                ua.contact()
            ));
            Some(ua)
        }
        Err(e) => {
            say(format!("cannot listen on {listen}: {e}"));
            None
        }
    }
}

/// Answers a request the way this agent answers everything but INVITE.
async fn answer_other(
    ua: &UserAgent,
    media: &mut Media,
    id: sip_dialog::IncomingId,
    request: &Request,
) -> Result<u16, UaError> {
    let status = match request.method() {
        Method::Options | Method::Message | Method::Info | Method::Update => 200,
        _ => 501,
    };
    let mut answer = Answer::new(status);
    if *request.method() == Method::Update && !request.body().is_empty() {
        match media.answer(request.body()) {
            Ok(b) => answer = answer.body(b),
            Err(_) => answer = Answer::new(488),
        }
    }
    let status = answer.status();
    ua.answer(id, answer).await?;
    Ok(status)
}

/// ` (TLSv1_2)` when `peer` came over a TLS connection we hold.
fn tls_of(ua: &UserAgent, peer: sip_transaction::Peer) -> String {
    ua.transport_layer()
        .connections()
        .iter()
        .find(|c| c.peer.addr == peer.addr && c.peer.transport == peer.transport)
        .and_then(|c| c.tls_version)
        .map(|v| format!(" ({v})"))
        .unwrap_or_default()
}

// ----- answer -----

#[derive(Debug)]
enum Report {
    CallCompleted(SocketAddr),
    CallFailed(String),
    Request(Method),
}

async fn answer(opts: AnswerOpts) -> bool {
    let (report_tx, mut reports) = mpsc::unbounded_channel();
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = Vec::new();
    for l in &opts.listen {
        let Some(ua) = start(l.clone(), None, opts.verbose).await else {
            return false;
        };
        let media = match Media::bind(ua.local_addr().ip()) {
            Ok(m) => m,
            Err(e) => {
                say(format!("cannot bind a media port: {e}"));
                return false;
            }
        };
        tasks.push(tokio::spawn(serve(
            ua,
            media,
            report_tx.clone(),
            stop_rx.clone(),
        )));
    }
    drop(report_tx);
    say("ready");
    let (mut completed, mut failed, mut requests) = (0u32, 0u32, 0u32);
    let deadline = tokio::time::sleep(opts.timeout);
    tokio::pin!(deadline);
    let mut timed_out = false;
    while completed + failed < opts.calls || requests < opts.requests {
        tokio::select! {
            r = reports.recv() => match r {
                Some(Report::CallCompleted(peer)) => {
                    completed += 1;
                    say(format!("call with {peer} completed"));
                }
                Some(Report::CallFailed(why)) => {
                    failed += 1;
                    say(format!("call failed: {why}"));
                }
                Some(Report::Request(m)) => {
                    requests += 1;
                    say(format!("answered {m} 200"));
                }
                None => break,
            },
            () = &mut deadline => {
                timed_out = true;
                break;
            }
        }
    }
    let _ = stop_tx.send(true);
    for t in tasks {
        let _ = t.await;
    }
    let ok = !timed_out && failed == 0 && completed >= opts.calls && requests >= opts.requests;
    say(format!(
        "report mode=answer result={} calls_completed={completed} calls_failed={failed} \
         requests_answered={requests}{}",
        if ok { "ok" } else { "failed" },
        if timed_out { " timed_out=true" } else { "" },
    ));
    ok
}

#[derive(Default)]
struct Call {
    peer: Option<SocketAddr>,
    acked: bool,
}

async fn serve(
    mut ua: UserAgent,
    mut media: Media,
    reports: mpsc::UnboundedSender<Report>,
    mut stop: watch::Receiver<bool>,
) {
    let mut calls: HashMap<DialogId, Call> = HashMap::new();
    loop {
        let event = tokio::select! {
            e = ua.next_event() => e,
            _ = stop.changed() => None,
        };
        let Some(event) = event else { break };
        match event {
            DialogEvent::Request {
                id,
                dialog,
                source,
                request,
                ..
            } => {
                if *request.method() == Method::Invite {
                    let body = if request.body().is_empty() {
                        Ok(media.offer())
                    } else {
                        media.answer(request.body())
                    };
                    let answer = match body {
                        Ok(b) => Answer::new(200).body(b),
                        Err(e) => {
                            say(format!("unusable SDP offer from {source}: {e}"));
                            Answer::new(488)
                        }
                    };
                    if dialog.is_none() {
                        let _ = ua.answer(id, Answer::new(180)).await;
                    }
                    match ua.answer(id, answer).await {
                        Ok(Some(d)) if dialog.is_none() => {
                            say(format!(
                                "answered INVITE from {source}{}",
                                tls_of(&ua, source)
                            ));
                            calls.insert(
                                d,
                                Call {
                                    peer: Some(source.addr),
                                    acked: false,
                                },
                            );
                        }
                        Ok(_) => {}
                        Err(e) => say(format!("answering INVITE from {source}: {e}")),
                    }
                } else {
                    match answer_other(&ua, &mut media, id, &request).await {
                        Ok(200) if dialog.is_none() => {
                            let _ = reports.send(Report::Request(request.method().clone()));
                        }
                        Ok(_) => {}
                        Err(e) => say(format!("answering {}: {e}", request.method())),
                    }
                }
            }
            DialogEvent::Ack { dialog, .. } => {
                if let Some(c) = calls.get_mut(&dialog) {
                    c.acked = true;
                }
            }
            DialogEvent::DialogState {
                dialog,
                state: DialogState::Terminated(reason),
            } => {
                if let Some(c) = calls.remove(&dialog) {
                    let peer = c.peer.unwrap_or_else(|| ua.local_addr());
                    let clean = matches!(
                        reason,
                        TerminationReason::RemoteBye | TerminationReason::LocalBye
                    );
                    let _ = reports.send(if clean && c.acked {
                        Report::CallCompleted(peer)
                    } else {
                        Report::CallFailed(format!(
                            "call with {peer} ended: {reason:?} (ACK received: {})",
                            c.acked
                        ))
                    });
                }
            }
            DialogEvent::Cancelled { id, .. } => {
                let _ = reports.send(Report::CallFailed(format!("{id} cancelled by the caller")));
            }
            _ => {}
        }
    }
    ua.shutdown().await;
}

// ----- call -----

async fn call(opts: CallOpts) -> bool {
    let ip: IpAddr = [127, 0, 0, 1].into();
    let listen = match (opts.transport, &opts.cert) {
        (Transport::Tls, Some((cert, key))) => Listen::Tls {
            addr: SocketAddr::new(ip, 0),
            cert: cert.clone(),
            key: key.clone(),
        },
        (Transport::Tcp, _) => Listen::Tcp(SocketAddr::new(ip, 0)),
        _ => Listen::Udp(SocketAddr::new(ip, 0)),
    };
    let Some(mut ua) = start(listen, opts.ca.clone(), opts.verbose).await else {
        return false;
    };
    let mut media = match Media::bind(ip) {
        Ok(m) => m,
        Err(e) => {
            say(format!("cannot bind a media port: {e}"));
            return false;
        }
    };
    say("ready");
    let started = tokio::time::Instant::now();
    let result = tokio::time::timeout(opts.timeout, place_call(&mut ua, &mut media, &opts)).await;
    let (ok, detail) = match result {
        Ok(Ok(d)) => (true, d),
        Ok(Err(why)) => (false, why),
        Err(_) => (
            false,
            format!("timed out after {:.1}s", opts.timeout.as_secs_f64()),
        ),
    };
    let tls = ua
        .transport_layer()
        .connections()
        .iter()
        .filter_map(|c| c.tls_version)
        .map(|v| format!(" tls={v}"))
        .collect::<String>();
    say(format!(
        "report mode=call result={} transport={} target={} {detail}{tls} elapsed={:.2}s",
        if ok { "ok" } else { "failed" },
        opts.transport,
        opts.target,
        started.elapsed().as_secs_f64()
    ));
    ua.shutdown().await;
    ok
}

/// INVITE, 200 (ACK by the layer), hold, BYE, 200. Returns a summary or why it failed.
async fn place_call(
    ua: &mut UserAgent,
    media: &mut Media,
    opts: &CallOpts,
) -> Result<String, String> {
    let peer = peer_for_uri(&opts.target, opts.transport).ok_or("bad target")?;
    let from = format!("<sip:carillon@{}>", ua.local_addr());
    let req = InitialRequest::new(
        opts.target.clone(),
        from,
        format!("<{}>", opts.target),
        peer,
    )
    .body(media.offer());
    let invite = ua.invite(req).await.map_err(|e| format!("INVITE: {e}"))?;
    say(format!("INVITE sent to {peer}"));

    // Until the final response to the INVITE.
    let dialog = loop {
        match next(ua).await? {
            DialogEvent::Response {
                request,
                dialog,
                response,
            } if request == invite => match response.status() {
                s @ 100..=199 => say(format!("INVITE: {s}")),
                s @ 200..=299 => {
                    say(format!("INVITE: {s}, ACK sent"));
                    break dialog.ok_or("2xx without a dialog")?;
                }
                s => return Err(format!("invite_status={s}")),
            },
            DialogEvent::Timeout(TimeoutKind::Request(r)) if r == invite => {
                return Err("INVITE got no final response (timeout or transport error)".into());
            }
            other => in_call(ua, media, other).await?,
        }
    };

    // Hold, still answering what the peer sends.
    let hold = tokio::time::sleep(opts.hold);
    tokio::pin!(hold);
    loop {
        tokio::select! {
            () = &mut hold => break,
            e = next(ua) => {
                let e = e?;
                if let DialogEvent::DialogState { dialog: d, state: DialogState::Terminated(r) } = &e {
                    if *d == dialog {
                        return Err(format!("the call ended during the hold: {r:?}"));
                    }
                }
                in_call(ua, media, e).await?;
            }
        }
    }

    let bye = ua.bye(dialog).await.map_err(|e| format!("BYE: {e}"))?;
    say("BYE sent");
    loop {
        match next(ua).await? {
            DialogEvent::Response {
                request, response, ..
            } if request == bye && response.status() >= 200 => {
                let s = response.status();
                if (200..300).contains(&s) {
                    return Ok(format!(
                        "invite_status=200 bye_status={s} held={:.1}s",
                        opts.hold.as_secs_f64()
                    ));
                }
                return Err(format!("bye_status={s}"));
            }
            DialogEvent::Timeout(TimeoutKind::Request(r)) if r == bye => {
                return Err("BYE got no final response (timeout or transport error)".into());
            }
            other => in_call(ua, media, other).await?,
        }
    }
}

async fn next(ua: &mut UserAgent) -> Result<DialogEvent, String> {
    ua.next_event()
        .await
        .ok_or_else(|| "the user agent stopped".to_owned())
}

/// What the caller does with events that are not the ones it waits for.
async fn in_call(ua: &UserAgent, media: &mut Media, event: DialogEvent) -> Result<(), String> {
    if let DialogEvent::Request { id, request, .. } = event {
        if *request.method() == Method::Invite {
            // A re-INVITE: answer the offer (or offer, if it has none).
            let body = if request.body().is_empty() {
                Ok(media.offer())
            } else {
                media.answer(request.body())
            };
            let answer = body.map_or_else(|_| Answer::new(488), |b| Answer::new(200).body(b));
            ua.answer(id, answer).await.map_err(|e| e.to_string())?;
        } else {
            answer_other(ua, media, id, &request)
                .await
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}
