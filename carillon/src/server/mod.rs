//! `carillon serve`: opens the store and the sockets, then runs the driver until SIGTERM or
//! SIGINT.

mod auth;
mod driver;
mod keepalive;
mod messages;
mod register;
mod routing;
mod security;
mod service;

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use carillon_store::{LocationStore, SqliteStore, StoreOptions};
use sip_transport::{Config as TransportConfig, TlsServer, TlsVersions, Transport, TransportLayer};
use tracing_subscriber::EnvFilter;

use crate::cli::{CliError, Settings};
use crate::config::LogFormat;
use crate::listen::{Listen, every_local_address};
use crate::metrics::{self, Metrics};

/// Runs the server until it is told to stop.
pub fn run(settings: Settings) -> Result<(), CliError> {
    init_logging(&settings);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(settings.config.server.threads.max(1))
        .enable_all()
        .thread_name("carillon")
        .build()
        .map_err(|e| CliError(format!("cannot start the runtime: {e}")))?;
    // On a worker, not on this thread: a task woken by a receive task on the same worker then
    // runs there next, instead of waking another thread for every message.
    runtime.block_on(async {
        tokio::spawn(serve(settings))
            .await
            .map_err(|e| CliError(format!("the server task failed: {e}")))?
    })
}

fn init_logging(settings: &Settings) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.config.log.level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    // Colours only on a terminal: log files and journald get plain text.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    // A second init (tests running the server twice in one process) is harmless.
    let _ = match settings.config.log.format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Reads the nonce secret from the data directory, or makes and saves one, so that nonces
/// handed out before a restart still verify after it.
fn nonce_secret(dir: &Path) -> Result<[u8; 32], CliError> {
    let path = dir.join("nonce.key");
    if let Ok(bytes) = std::fs::read(&path) {
        if let Ok(key) = <[u8; 32]>::try_from(bytes.as_slice()) {
            return Ok(key);
        }
        tracing::warn!(path = %path.display(), "nonce key has the wrong size; making a new one");
    }
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| CliError(format!("no randomness: {e}")))?;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts
        .open(&path)
        .map_err(|e| CliError(format!("{}: {e}", path.display())))?;
    f.write_all(&key)
        .and_then(|()| f.sync_all())
        .map_err(|e| CliError(format!("{}: {e}", path.display())))?;
    Ok(key)
}

async fn serve(settings: Settings) -> Result<(), CliError> {
    let config = &settings.config;
    let store_options = StoreOptions::default().with_commit_delay(Duration::from_millis(
        settings.config.server.commit_delay_ms,
    ));
    let store = SqliteStore::open(&settings.data_dir, store_options)
        .map_err(|e| CliError(e.to_string()))?;
    let store = Arc::new(store);
    let now = crate::cli::unix_now();
    tracing::info!(
        data = %settings.data_dir.display(),
        bindings = store.count(now),
        "location store loaded"
    );
    let secret = nonce_secret(&settings.data_dir)?;

    let mut tcfg = TransportConfig::default();
    tcfg.inbound_capacity = security::inbound_capacity(config.security.overload_queue);
    tcfg.shed_new_requests_at = security::shed_new_requests_at(config.security.overload_queue);
    let ws = &config.websocket;
    if !ws.allowed_origins.is_empty() {
        tcfg.ws_origins = sip_transport::OriginPolicy::allow(ws.allowed_origins.clone())
            .require_origin(ws.require_origin);
    } else if ws.require_origin {
        tcfg.ws_origins = sip_transport::OriginPolicy::any().require_origin(true);
    }
    let (transport, inbound) = TransportLayer::new(tcfg);
    let listens: Vec<Listen> = if config.server.listen.is_empty() {
        every_local_address(5060)
    } else {
        config.server.listen.clone()
    };
    let tls = match (&config.tls.certificate, &config.tls.private_key) {
        (Some(c), Some(k)) => Some(
            TlsServer::from_pem_files(c, k, TlsVersions::Tls12And13)
                .map_err(|e| CliError(format!("TLS: {e}")))?,
        ),
        _ => None,
    };
    let mut bound = Vec::new();
    for l in &listens {
        let r = match l.transport {
            Transport::Udp => transport.bind_udp(l.addr).await,
            Transport::Tcp => transport.listen_tcp(l.addr).await,
            Transport::Ws => transport.listen_ws(l.addr).await,
            _ => {
                let Some(tls) = tls.clone() else {
                    return Err(CliError(format!(
                        "{l} needs tls.certificate and tls.private_key in the configuration"
                    )));
                };
                if l.transport == Transport::Tls {
                    transport.listen_tls(l.addr, tls).await
                } else {
                    transport.listen_wss(l.addr, tls).await
                }
            }
        };
        let addr = r.map_err(|e| CliError(format!("cannot listen on {l}: {e}")))?;
        tracing::info!(listen = %Listen { transport: l.transport, addr }, "listening");
        bound.push(Listen {
            transport: l.transport,
            addr,
        });
    }

    let reload = match (&tls, &config.tls.certificate, &config.tls.private_key) {
        (Some(tls), Some(cert), Some(key)) => Some((tls.clone(), cert.clone(), key.clone())),
        _ => None,
    };
    let reload_task = Some(tokio::spawn(reload_on_sighup(reload)));

    let metrics = Arc::new(Metrics::default());
    let guard = security::Guard::new(&config.security, &store);
    let metrics_task = if config.metrics.enabled {
        let listener = metrics::bind(config.metrics.listen)
            .await
            .map_err(|e| CliError(format!("metrics on {}: {e}", config.metrics.listen)))?;
        let addr: Option<SocketAddr> = listener.local_addr().ok();
        tracing::info!(addr = ?addr, "metrics at /metrics");
        let (m, s, t, g) = (
            metrics.clone(),
            store.clone(),
            transport.clone(),
            guard.clone(),
        );
        Some(tokio::spawn(metrics::serve(listener, move || {
            let bans = g.as_ref().map_or(0, security::Guard::bans_issued);
            m.render(s.count(crate::cli::unix_now()), &t.stats(), bans)
        })))
    } else {
        None
    };

    let keepalive = (config.nat.keepalive_interval > 0)
        .then(|| Duration::from_secs(config.nat.keepalive_interval));
    let keepalive_task = Some(tokio::spawn(keepalive::run(
        store.clone(),
        transport.clone(),
        bound.clone(),
        keepalive,
        guard.clone(),
    )));

    let driver = driver::Driver::new(
        &settings,
        store.clone(),
        transport.clone(),
        &bound,
        secret,
        metrics,
        guard.clone(),
    );
    let outcome = driver.run(inbound).await;

    for t in [keepalive_task, reload_task].into_iter().flatten() {
        t.abort();
    }
    if let Some(t) = metrics_task {
        t.abort();
    }
    transport
        .shutdown(std::future::ready(()), Duration::from_secs(1))
        .await;
    if let Some(g) = &guard {
        g.sync(&store);
    }
    if let Err(e) = store.flush() {
        tracing::error!(error = %e, "flushing the store at shutdown failed");
    }
    tracing::info!("stopped");
    outcome
}

/// Reloads the TLS certificate and key from their files on every SIGHUP: renewed
/// certificates without a restart. New handshakes use them; open connections keep theirs.
/// Without TLS a SIGHUP is logged and ignored (it would otherwise end the process).
async fn reload_on_sighup(tls: Option<(TlsServer, std::path::PathBuf, std::path::PathBuf)>) {
    let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else {
        tracing::warn!("cannot watch SIGHUP: TLS reload unavailable");
        return;
    };
    while hup.recv().await.is_some() {
        let Some((tls, cert, key)) = &tls else {
            tracing::info!("SIGHUP: no TLS certificate to reload");
            continue;
        };
        match tls.reload_pem_files(cert, key, TlsVersions::Tls12And13) {
            Ok(()) => tracing::info!(certificate = %cert.display(), "TLS certificate reloaded"),
            Err(e) => tracing::error!(error = %e, "TLS reload failed; the old certificate stays"),
        }
    }
}
