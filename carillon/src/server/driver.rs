//! The driver: one task that owns the proxy core and runs it from the network, the clock,
//! the store's commits and the shutdown signal.

use std::sync::Arc;
use std::time::{Duration, Instant};

use carillon_store::SqliteStore;
use sha2::{Digest, Sha256};
use sip_auth::{AuthConfig, Authenticator};
use sip_message::Message;
use sip_proxy::{LocalAddr, Proxy, ProxyConfig, ProxyEvent, ProxyOutput};
use sip_registrar::RegistrarConfig;
use sip_transaction::TransactionKey;
use sip_transport::{Destination, Inbound, Transport, TransportLayer};
use tokio::sync::mpsc;

use super::routing::Domains;
use super::security::{self, Guard};
use super::service::{Completion, Dns, Incoming, Resolved, Service};
use crate::cli::{CliError, Settings};
use crate::listen::Listen;
use crate::metrics::Metrics;

/// Most messages taken from the inbound queue before outputs are drained: batching amortises
/// the wake-ups under load without delaying anything when idle.
const BATCH: usize = 64;

/// How long a graceful shutdown waits for transactions to end.
const DRAIN_LIMIT: Duration = Duration::from_secs(10);

pub(crate) struct Driver {
    proxy: Proxy,
    transport: TransportLayer,
    service: Service,
    completions: mpsc::Receiver<Completion>,
    resolved: mpsc::Receiver<Resolved>,
    failed_tx: mpsc::UnboundedSender<TransactionKey>,
    failed: mpsc::UnboundedReceiver<TransactionKey>,
    overload_queue: usize,
    admitted: u32,
}

impl Driver {
    pub(crate) fn new(
        settings: &Settings,
        store: Arc<SqliteStore>,
        transport: TransportLayer,
        listens: &[Listen],
        secret: [u8; 32],
        metrics: Arc<Metrics>,
        guard: Option<Guard>,
    ) -> Driver {
        let config = &settings.config;
        let advertised = config.server.advertised_host.clone();
        let locals = listens
            .iter()
            .map(|l| {
                let mut local = LocalAddr::new(l.transport, l.addr);
                if let Some(host) = &advertised {
                    local.host.clone_from(host);
                }
                local
            })
            .collect();
        let mut pcfg = ProxyConfig::new(locals);
        pcfg.timer_c = Duration::from_secs(config.proxy.timer_c);
        let seed = random_u64();
        let proxy = Proxy::new(pcfg, seed);

        let acfg = AuthConfig {
            nonce_lifetime: Duration::from_secs(config.auth.nonce_lifetime),
            check_digest_uri: config.auth.check_digest_uri,
            algorithms: config
                .auth
                .algorithms
                .iter()
                .filter_map(|a| sip_auth::Algorithm::from_token(a))
                .collect(),
            ..AuthConfig::default()
        };
        let auth = Authenticator::new(acfg, secret);

        let mut rcfg = RegistrarConfig::default();
        rcfg.min_expires = config.registrar.min_expires;
        rcfg.max_expires = config.registrar.max_expires;
        rcfg.default_expires = config.registrar.default_expires;
        rcfg.max_contacts = config.registrar.max_contacts;
        // Temporary GRUUs are sealed with a key derived from the persisted secret, so
        // they stay valid across restarts without reusing the nonce key as is.
        let mut h = Sha256::new();
        h.update(b"carillon temp-gruu key");
        h.update(secret);
        rcfg.gruu_secret = Some(h.finalize().into());

        let (tx, completions) = mpsc::channel(4096);
        let (resolved_tx, resolved) = mpsc::channel(4096);
        let dns = make_dns(config);
        let domains = Domains::new(
            &config.server.domains,
            listens,
            config.server.advertised_host.as_deref(),
            store.clone(),
        );
        let service = Service {
            store,
            transport: transport.clone(),
            auth,
            registrar: rcfg,
            domains,
            trusted: config.auth.trusted.clone(),
            metrics,
            record_route: config.proxy.record_route,
            forward_to_other_domains: config.proxy.forward_to_other_domains,
            server_header: config.server.server_header.clone(),
            completions: tx,
            dns,
            resolved: resolved_tx,
            draining: false,
            tag_seed: random_u64(),
            guard,
            messages: super::messages::Mailbox::new(
                config.messages.store_offline,
                config.messages.max_age,
                config.messages.max_per_user,
            ),
        };
        // Unbounded is safe here: at most one entry per send that had to open a connection.
        let (failed_tx, failed) = mpsc::unbounded_channel();
        Driver {
            proxy,
            transport,
            service,
            completions,
            resolved,
            failed_tx,
            failed,
            overload_queue: config.security.overload_queue,
            admitted: 0,
        }
    }

    /// Runs until SIGTERM or SIGINT, then drains: new requests get 503, running
    /// transactions finish (for up to ten seconds), pending store commits are answered.
    pub(crate) async fn run(
        mut self,
        mut inbound: mpsc::Receiver<Inbound>,
    ) -> Result<(), CliError> {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .map_err(|e| CliError(format!("cannot watch SIGTERM: {e}")))?;
        let mut int = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
            .map_err(|e| CliError(format!("cannot watch SIGINT: {e}")))?;
        let mut drain_until: Option<Instant> = None;
        tracing::info!("serving");
        loop {
            if let Some(limit) = drain_until {
                if self.proxy.unanswered() == 0 || Instant::now() >= limit {
                    break;
                }
            }
            let wake = self.proxy.poll_timeout();
            let wake = match drain_until {
                Some(d) => Some(wake.map_or(d, |w| w.min(d))),
                None => wake,
            };
            tokio::select! {
                msg = inbound.recv() => {
                    let Some(msg) = msg else { break };
                    self.received(msg, inbound.len()).await;
                    for _ in 1..BATCH {
                        match inbound.try_recv() {
                            Ok(m) => self.received(m, inbound.len()).await,
                            Err(_) => break,
                        }
                    }
                }
                Some(key) = self.failed.recv() => {
                    self.proxy.handle_transport_error(Instant::now(), key);
                }
                Some(r) = self.resolved.recv() => {
                    self.service.resolved(&mut self.proxy, Instant::now(), r);
                }
                c = self.completions.recv() => {
                    if let Some(c) = c {
                        self.service.completed(&mut self.proxy, Instant::now(), c);
                    }
                }
                () = sleep_until(wake) => self.proxy.handle_timeout(Instant::now()),
                _ = term.recv(), if drain_until.is_none() => {
                    tracing::info!("SIGTERM: draining");
                    drain_until = Some(Instant::now() + DRAIN_LIMIT);
                    self.service.draining = true;
                }
                _ = int.recv(), if drain_until.is_none() => {
                    tracing::info!("SIGINT: draining");
                    drain_until = Some(Instant::now() + DRAIN_LIMIT);
                    self.service.draining = true;
                }
            }
            self.drain().await;
        }
        Ok(())
    }

    /// One message from the network, `queued` more waiting behind it: past the abuse guard
    /// and overload control, into the proxy.
    async fn received(&mut self, msg: Inbound, queued: usize) {
        if let Message::Request(req) = &msg.message {
            let trusted = self.service.is_trusted(msg.source);
            if !trusted
                && let Some(guard) = &self.service.guard
                && !guard.admit(
                    Instant::now(),
                    msg.source.addr.ip(),
                    req,
                    &self.service.metrics,
                )
            {
                return;
            }
            match security::shed(req, queued, self.overload_queue, &mut self.admitted) {
                security::Shed::Keep => {}
                security::Shed::Refuse => {
                    Metrics::inc(&self.service.metrics.overload_rejections);
                    self.refuse_overloaded(&msg, req).await;
                    return;
                }
            }
        }
        let source = msg.source;
        if let Err(e) = self
            .proxy
            .handle_input(Instant::now(), source, msg.local, msg.message)
        {
            tracing::debug!(from = %source, error = %e, "message dropped");
        }
    }

    async fn drain(&mut self) {
        while let Some(out) = self.proxy.poll_output() {
            match out {
                ProxyOutput::Transmit(t) => {
                    let dest = Destination::peer(t.destination).from_local(t.local);
                    let connects = t.destination.transport != Transport::Udp
                        && !self.transport.has_connection(&t.destination);
                    if connects {
                        // Opening a connection can take up to the connect timeout: never
                        // in the loop that serves everyone else.
                        let transport = self.transport.clone();
                        let failed = self.failed_tx.clone();
                        tokio::spawn(async move {
                            if let Err(e) = transport.send(&dest, t.bytes).await {
                                tracing::debug!(to = %t.destination, error = %e, "send failed");
                                if let Some(key) = t.key {
                                    let _ = failed.send(key);
                                }
                            }
                        });
                    } else if let Err(e) = self.transport.send(&dest, t.bytes).await {
                        tracing::debug!(to = %t.destination, error = %e, "send failed");
                        if let Some(key) = t.key {
                            self.proxy.handle_transport_error(Instant::now(), key);
                        }
                    }
                }
                ProxyOutput::Event(ProxyEvent::Request {
                    id,
                    source,
                    local,
                    request,
                    in_dialog,
                    next_hop,
                    routed_here,
                    stateless,
                }) => {
                    let incoming = Incoming {
                        id,
                        source,
                        local,
                        request,
                        in_dialog,
                        next_hop,
                        routed_here,
                        stateless,
                    };
                    self.service
                        .on_request(&mut self.proxy, Instant::now(), incoming);
                }
                ProxyOutput::Event(ProxyEvent::Finished {
                    method,
                    status,
                    duration,
                    branches,
                    source,
                    call_id,
                    ..
                }) => {
                    self.service.metrics.transaction(method.as_str(), status);
                    tracing::info!(
                        method = method.as_str(),
                        status,
                        from = %source,
                        call_id,
                        ms = duration.as_millis() as u64,
                        branches,
                        "transaction"
                    );
                }
                ProxyOutput::Event(ProxyEvent::Originated { id, status }) => {
                    self.service.originated(id, status);
                }
                ProxyOutput::Event(_) => {}
            }
        }
    }
}

/// The RFC 3263 resolver: the configured name servers, else the system's. Without either,
/// requests to domain names get 503.
fn make_dns(config: &crate::config::Config) -> Option<Arc<Dns>> {
    let timeout = Duration::from_secs(config.dns.timeout);
    let lookup = if config.dns.servers.is_empty() {
        match sip_resolver::HickoryLookup::from_system_conf() {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "no DNS: requests to domain names will get 503");
                return None;
            }
        }
    } else {
        sip_resolver::HickoryLookup::with_nameservers(&config.dns.servers, timeout)
    };
    let mut rcfg = sip_resolver::Config::default();
    // Outbound TLS is not configured on the server's transport yet.
    rcfg.transports
        .retain(|t| matches!(t, Transport::Udp | Transport::Tcp));
    Some(Arc::new(sip_resolver::Resolver::new(lookup, rcfg)))
}

impl Driver {
    /// A stateless 503 with Retry-After, sent straight back: an overloaded server spends
    /// nothing on the request (no transaction; a retransmission gets another 503).
    async fn refuse_overloaded(&self, msg: &Inbound, req: &sip_message::Request) {
        let Ok(target) =
            sip_transport::routing::response_target_for(req, &msg.source, msg.connection)
        else {
            return;
        };
        let Some(dest) = target.destination(Some(msg.local)) else {
            return;
        };
        let mut r = sip_message::Response::from_request(req, 503);
        r.set_to_tag(&format!("{:x}", self.service.tag_seed));
        r.headers_mut().push(
            sip_message::HeaderName::RetryAfter,
            security::RETRY_AFTER.as_secs().to_string(),
        );
        let _ = self.transport.send(&dest, r.to_bytes()).await;
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(t) => tokio::time::sleep_until(tokio::time::Instant::from_std(t)).await,
        None => std::future::pending().await,
    }
}

fn random_u64() -> u64 {
    let mut b = [0u8; 8];
    if getrandom::fill(&mut b).is_err() {
        // Without the OS generator, fall back to the hasher's per-process random keys.
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u8(0);
        return h.finish();
    }
    u64::from_le_bytes(b)
}
