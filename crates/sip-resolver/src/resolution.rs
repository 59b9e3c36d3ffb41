//! The RFC 3263 §4 procedure as a sans-IO state machine.
//!
//! ```text
//!             URI ──► numeric host? ──────────────────────────────► Done (one target)
//!              │
//!              ├────► port given? ──────────────────────────────┐
//!              │                                                 │
//!              ├────► transport given? ─► SRV _sip(s)._proto ─┐  │
//!              │                           (none: A/AAAA on   │  │
//!              │                            the default port) │  │
//!              ▼                                              ▼  ▼
//!           NAPTR ──(usable records)──► SRV (each, concurrently) ──► A/AAAA ──► Done
//!              │                              ▲
//!              └─(none)─► SRV _sip._udp, _sip._tcp, _sips._tcp
//!                          (none: A/AAAA on the default port)
//! ```
//!
//! Each stage asks for all of its queries at once ([`Output::Query`], which a driver may send
//! concurrently), waits for every answer ([`Resolution::handle_answer`]), then computes the next
//! stage. Answers found in the [`Cache`](crate::Cache) are used without asking.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use sip_message::{Host, Scheme, Uri};
use sip_transaction::Transport;

use crate::cache::Cache;
use crate::config::{Config, IpStrategy};
use crate::dns::{Answer, LookupError, Query, RecordSet, RecordType, normalize_name};
use crate::error::ResolveError;
use crate::order::{NaptrStep, SplitMix64, WeightRng, order_srv, usable_naptr};
use crate::target::{Blacklist, Failure, Target, Targets};

/// The shared, long-lived half of the resolver: configuration, answer cache, blacklist and the
/// SRV weighting RNG. Sans-IO: every method that depends on time takes `now`.
///
/// Methods come in three groups: starting a [`Resolution`] ([`Locator::start`]), failover over
/// its result ([`Locator::next_target`], [`Locator::report_failure`]), and housekeeping
/// ([`Locator::poll_timeout`] / [`Locator::handle_timeout`], which only purge expired entries;
/// lookups never serve an expired entry whether or not they ran).
#[derive(Debug)]
pub struct Locator<R = SplitMix64> {
    config: Config,
    cache: Cache,
    blacklist: Blacklist,
    rng: R,
}

impl Locator<SplitMix64> {
    /// A locator with an RNG seeded from the process's hash keys.
    pub fn new(config: Config) -> Self {
        Locator::with_rng(config, SplitMix64::from_entropy())
    }
}

impl<R: WeightRng> Locator<R> {
    /// A locator drawing SRV weights from `rng`.
    pub fn with_rng(config: Config, rng: R) -> Self {
        Locator {
            cache: Cache::new(&config),
            blacklist: Blacklist::new(),
            config,
            rng,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The answer cache.
    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    /// The answer cache, to clear or prune it.
    pub fn cache_mut(&mut self) -> &mut Cache {
        &mut self.cache
    }

    /// The blacklist of failed targets.
    pub fn blacklist(&self) -> &Blacklist {
        &self.blacklist
    }

    /// The blacklist, to add or lift entries by hand.
    pub fn blacklist_mut(&mut self) -> &mut Blacklist {
        &mut self.blacklist
    }

    /// Starts resolving `uri` (RFC 3263 §4.1, §4.2). Faults of the URI itself are returned
    /// here; everything else comes out of [`Resolution::poll_output`].
    pub fn start(&self, uri: &Uri<'_>) -> Result<Resolution, ResolveError> {
        Resolution::plan(uri, &self.config)
    }

    /// The next target of `targets` not blacklisted at `now`.
    pub fn next_target(&self, targets: &mut Targets, now: Instant) -> Option<Target> {
        targets.next(&self.blacklist, now)
    }

    /// Reports that the request to `targets`' current target failed: blacklists it for
    /// [`Config::blacklist_duration`] (or the 503's Retry-After) and yields the next target.
    pub fn report_failure(
        &mut self,
        targets: &mut Targets,
        failure: Failure,
        now: Instant,
    ) -> Option<Target> {
        let d = self.config.blacklist_duration;
        targets.fail(failure, d, &mut self.blacklist, now)
    }

    /// When the next cache or blacklist entry expires (the time to call
    /// [`Locator::handle_timeout`] to free its memory).
    pub fn poll_timeout(&self) -> Option<Instant> {
        match (self.cache.next_expiry(), self.blacklist.next_expiry()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Purges cache and blacklist entries expired at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.cache.purge(now);
        self.blacklist.purge(now);
    }
}

/// What a [`Resolution`] wants next. Drain [`Resolution::poll_output`] until it returns
/// [`Output::Wait`] or [`Output::Done`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Send this query and hand its answer to [`Resolution::handle_answer`].
    Query(Query),
    /// Every query asked for is in flight; feed their answers.
    Wait,
    /// Finished: the ordered targets, or why there are none. Returned again on every later
    /// call.
    Done(Result<Targets, ResolveError>),
}

/// A host name to look up and what to use its addresses with.
#[derive(Debug, Clone, PartialEq, Eq)]
struct HostStep {
    name: String,
    port: u16,
    transport: Transport,
}

/// One entry of the SRV stage, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Srv { name: String, transport: Transport },
    Host(HostStep),
}

#[derive(Debug, Clone)]
enum Stage {
    Naptr {
        domain: String,
    },
    Srv {
        steps: Vec<Step>,
        /// A/AAAA on the domain when none of the SRV names exists (RFC 3263 §4.2); absent after
        /// NAPTR, whose records say what to use.
        fallback: Option<HostStep>,
    },
    Hosts {
        hosts: Vec<HostStep>,
    },
    Done(Result<Targets, ResolveError>),
}

/// One URI being resolved. Holds no reference to the [`Locator`]: pass it to each call, so a
/// driver can keep the locator behind a lock and release it while queries are in flight.
#[derive(Debug, Clone)]
pub struct Resolution {
    domain: String,
    sips: bool,
    stage: Stage,
    entered: bool,
    pending: VecDeque<Query>,
    waiting: HashSet<Query>,
    answers: HashMap<Query, Answer>,
    last_error: Option<LookupError>,
}

impl Resolution {
    /// Reads the URI: which stage to start at (RFC 3263 §4.1 and §4.2).
    fn plan(uri: &Uri<'_>, config: &Config) -> Result<Resolution, ResolveError> {
        let sips = match uri.scheme() {
            Scheme::Sip => false,
            Scheme::Sips => true,
            _ => return Err(ResolveError::UnsupportedScheme),
        };
        let params = uri.params();
        // RFC 3263 §4: TARGET is the maddr parameter if present, else the host.
        let host = match params.get("maddr") {
            Some(Some(m)) => Host::parse(m).map_err(|_| ResolveError::BadMaddr)?,
            Some(None) => return Err(ResolveError::BadMaddr),
            None => uri.host().ok_or(ResolveError::NoHost)?,
        };
        let explicit = match params.get("transport") {
            Some(Some(v)) => Some(transport_param(v, sips, config)?),
            Some(None) => return Err(ResolveError::UnsupportedTransport(String::new())),
            None => None,
        };
        let transport = || match explicit {
            Some(t) => Ok(t),
            None => default_transport(sips, config),
        };
        let (domain, stage) = match host {
            Host::Ipv4(ip) => direct(IpAddr::V4(ip), uri.port(), transport()?, config),
            Host::Ipv6(ip) => direct(IpAddr::V6(ip), uri.port(), transport()?, config),
            Host::Domain(d) => {
                let domain = normalize_name(d);
                let stage = if let Some(port) = uri.port() {
                    Stage::Hosts {
                        hosts: vec![HostStep {
                            name: domain.clone(),
                            port,
                            transport: transport()?,
                        }],
                    }
                } else if let Some(t) = explicit {
                    let fallback = HostStep {
                        name: domain.clone(),
                        port: config.default_port(t),
                        transport: t,
                    };
                    match srv_name(t, &domain) {
                        Some(name) => Stage::Srv {
                            steps: vec![Step::Srv { name, transport: t }],
                            fallback: Some(fallback),
                        },
                        // RFC 7118 defines no SRV names for WebSocket.
                        None => Stage::Hosts {
                            hosts: vec![fallback],
                        },
                    }
                } else {
                    Stage::Naptr {
                        domain: domain.clone(),
                    }
                };
                (domain, stage)
            }
        };
        Ok(Resolution {
            domain,
            sips,
            stage,
            entered: false,
            pending: VecDeque::new(),
            waiting: HashSet::new(),
            answers: HashMap::new(),
            last_error: None,
        })
    }

    /// The domain being resolved (the URI's host or maddr, normalised), or the numeric host.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// Whether the resolution has finished.
    pub fn is_done(&self) -> bool {
        matches!(self.stage, Stage::Done(_))
    }

    /// What to do next: a query to send, wait for answers, or the result.
    pub fn poll_output<R: WeightRng>(&mut self, locator: &mut Locator<R>, now: Instant) -> Output {
        loop {
            if !self.entered {
                self.enter(locator, now);
            }
            if let Stage::Done(result) = &self.stage {
                return Output::Done(result.clone());
            }
            if let Some(q) = self.pending.pop_front() {
                return Output::Query(q);
            }
            if !self.waiting.is_empty() {
                return Output::Wait;
            }
            self.advance(locator);
        }
    }

    /// Feeds the answer to a query this resolution asked for; others are ignored. The answer
    /// is stored in the locator's cache, received at `now`.
    pub fn handle_answer<R: WeightRng>(
        &mut self,
        locator: &mut Locator<R>,
        query: &Query,
        answer: Answer,
        now: Instant,
    ) {
        if !self.waiting.remove(query) {
            return;
        }
        let answer = match answer {
            Answer::Records { records, .. } if records.record_type() != query.record_type() => {
                Answer::Failed(LookupError::Other(format!(
                    "{} answer to a {} query",
                    records.record_type(),
                    query.record_type()
                )))
            }
            a => a,
        };
        locator.cache.insert(query, &answer, now);
        self.answers.insert(query.clone(), answer);
    }

    /// Lists the queries of the current stage, taking cached answers at once.
    fn enter<R>(&mut self, locator: &Locator<R>, now: Instant) {
        self.entered = true;
        let mut wanted = Vec::new();
        match &self.stage {
            Stage::Naptr { domain } => wanted.push(Query::new(domain, RecordType::Naptr)),
            Stage::Srv { steps, .. } => {
                for s in steps {
                    if let Step::Srv { name, .. } = s {
                        wanted.push(Query::new(name, RecordType::Srv));
                    }
                }
            }
            Stage::Hosts { hosts } => {
                let strategy = locator.config.ip_strategy;
                for h in hosts {
                    if strategy.wants_v4() {
                        wanted.push(Query::new(&h.name, RecordType::A));
                    }
                    if strategy.wants_v6() {
                        wanted.push(Query::new(&h.name, RecordType::Aaaa));
                    }
                }
            }
            Stage::Done(_) => {}
        }
        for q in wanted {
            if self.answers.contains_key(&q) || self.waiting.contains(&q) {
                continue;
            }
            if let Some(a) = locator.cache.get(&q, now) {
                self.answers.insert(q, a);
            } else {
                self.waiting.insert(q.clone());
                self.pending.push_back(q);
            }
        }
    }

    /// Every answer of the stage is in: computes the next stage.
    fn advance<R: WeightRng>(&mut self, locator: &mut Locator<R>) {
        let stage = std::mem::replace(&mut self.stage, Stage::Done(Ok(Targets::new(vec![]))));
        self.stage = match stage {
            Stage::Naptr { domain } => self.after_naptr(&domain, &locator.config),
            Stage::Srv { steps, fallback } => self.after_srv(steps, fallback, &mut locator.rng),
            Stage::Hosts { hosts } => self.after_hosts(&hosts, locator.config.ip_strategy),
            done @ Stage::Done(_) => done,
        };
        self.entered = false;
    }

    fn after_naptr(&mut self, domain: &str, config: &Config) -> Stage {
        let q = Query::new(domain, RecordType::Naptr);
        let sips = self.sips;
        let steps: Vec<Step> = match self.answer(&q) {
            Some(RecordSet::Naptr(recs)) => usable_naptr(recs, sips, |t| config.supports(t))
                .into_iter()
                .map(|s| match s {
                    NaptrStep::Srv { name, transport } => Step::Srv { name, transport },
                    NaptrStep::Host { name, transport } => Step::Host(HostStep {
                        name,
                        port: config.default_port(transport),
                        transport,
                    }),
                })
                .collect(),
            _ => Vec::new(),
        };
        if !steps.is_empty() {
            return Stage::Srv {
                steps,
                fallback: None,
            };
        }
        // RFC 3263 §4.1: no (usable) NAPTR records: SRV for each supported transport.
        let candidates: &[(&str, Transport)] = if self.sips {
            &[("_sips._tcp.", Transport::Tls)]
        } else {
            &[
                ("_sip._udp.", Transport::Udp),
                ("_sip._tcp.", Transport::Tcp),
                ("_sips._tcp.", Transport::Tls),
            ]
        };
        let steps: Vec<Step> = candidates
            .iter()
            .filter(|(_, t)| config.supports(*t))
            .map(|(prefix, t)| Step::Srv {
                name: format!("{prefix}{domain}"),
                transport: *t,
            })
            .collect();
        let fallback = default_transport(self.sips, config)
            .ok()
            .map(|transport| HostStep {
                name: domain.to_owned(),
                port: config.default_port(transport),
                transport,
            });
        if steps.is_empty() && fallback.is_none() {
            return Stage::Done(Err(ResolveError::NoSupportedTransport));
        }
        Stage::Srv { steps, fallback }
    }

    fn after_srv(
        &mut self,
        steps: Vec<Step>,
        fallback: Option<HostStep>,
        rng: &mut impl WeightRng,
    ) -> Stage {
        let mut hosts: Vec<HostStep> = Vec::new();
        let mut any_srv = false;
        for step in steps {
            match step {
                Step::Host(h) => hosts.push(h),
                Step::Srv { name, transport } => {
                    let q = Query::new(&name, RecordType::Srv);
                    let Some(RecordSet::Srv(recs)) = self.answer(&q) else {
                        continue;
                    };
                    any_srv = true;
                    for r in order_srv(recs, rng) {
                        // RFC 2782: a target of "." means the service is not available.
                        let target = normalize_name(&r.target);
                        if target.is_empty() {
                            continue;
                        }
                        let h = HostStep {
                            name: target,
                            port: r.port,
                            transport,
                        };
                        if !hosts.contains(&h) {
                            hosts.push(h);
                        }
                    }
                }
            }
        }
        if !any_srv && hosts.is_empty() {
            hosts.extend(fallback);
        }
        if hosts.is_empty() {
            return Stage::Done(Err(self.empty_error()));
        }
        Stage::Hosts { hosts }
    }

    fn after_hosts(&mut self, hosts: &[HostStep], strategy: IpStrategy) -> Stage {
        let mut targets: Vec<Target> = Vec::new();
        for h in hosts {
            let v4 = match self.answer(&Query::new(&h.name, RecordType::A)) {
                Some(RecordSet::A(a)) => a.iter().map(|ip| IpAddr::V4(*ip)).collect(),
                _ => Vec::new(),
            };
            let v6 = match self.answer(&Query::new(&h.name, RecordType::Aaaa)) {
                Some(RecordSet::Aaaa(a)) => a.iter().map(|ip| IpAddr::V6(*ip)).collect(),
                _ => Vec::new(),
            };
            let ordered: Vec<IpAddr> = match strategy {
                IpStrategy::Ipv4Only => v4,
                IpStrategy::Ipv6Only => v6,
                IpStrategy::Ipv4ThenIpv6 => v4.into_iter().chain(v6).collect(),
                IpStrategy::Ipv6ThenIpv4 => v6.into_iter().chain(v4).collect(),
            };
            let name: Arc<str> = Arc::from(h.name.as_str());
            for ip in ordered {
                let t = Target::new(h.transport, SocketAddr::new(ip, h.port), Some(name.clone()));
                if !targets.iter().any(|x| x.peer == t.peer) {
                    targets.push(t);
                }
            }
        }
        if targets.is_empty() {
            return Stage::Done(Err(self.empty_error()));
        }
        Stage::Done(Ok(Targets::new(targets)))
    }

    /// The records answering `q`, noting a failure for the final error.
    fn answer(&mut self, q: &Query) -> Option<&RecordSet> {
        match self.answers.get(q)? {
            Answer::Records { records, .. } => Some(records),
            Answer::NotFound { .. } => None,
            Answer::Failed(e) => {
                self.last_error = Some(e.clone());
                None
            }
        }
    }

    fn empty_error(&self) -> ResolveError {
        match &self.last_error {
            Some(e) => ResolveError::Lookup {
                domain: self.domain.clone(),
                error: e.clone(),
            },
            None => ResolveError::NotFound(self.domain.clone()),
        }
    }
}

/// A numeric host: the one target, no DNS (RFC 3263 §4.2).
fn direct(ip: IpAddr, port: Option<u16>, transport: Transport, config: &Config) -> (String, Stage) {
    let port = port.unwrap_or_else(|| config.default_port(transport));
    let target = Target::new(transport, SocketAddr::new(ip, port), None);
    (ip.to_string(), Stage::Done(Ok(Targets::new(vec![target]))))
}

/// The transport of a `transport` URI parameter (RFC 3261 §19.1.1); in a `sips` URI, `tcp`
/// and `ws` mean their TLS forms (RFC 3261 §26.2.2, RFC 7118 §5.2).
fn transport_param(v: &str, sips: bool, config: &Config) -> Result<Transport, ResolveError> {
    let t = match v.to_ascii_lowercase().as_str() {
        "udp" if sips => return Err(ResolveError::InsecureTransport(v.to_owned())),
        "udp" => Transport::Udp,
        "tcp" | "tls" if sips => Transport::Tls,
        "tcp" => Transport::Tcp,
        "tls" => Transport::Tls,
        "sctp" if !sips => Transport::Sctp,
        "ws" | "wss" if sips => Transport::Wss,
        "ws" => Transport::Ws,
        "wss" => Transport::Wss,
        _ => return Err(ResolveError::UnsupportedTransport(v.to_owned())),
    };
    if !config.supports(t) {
        return Err(ResolveError::UnsupportedTransport(v.to_owned()));
    }
    Ok(t)
}

/// The transport when neither the URI nor DNS names one (RFC 3263 §4.1: UDP for `sip`, TLS
/// for `sips`); an element without UDP uses TCP, then TLS.
fn default_transport(sips: bool, config: &Config) -> Result<Transport, ResolveError> {
    let order: &[Transport] = if sips {
        &[Transport::Tls]
    } else {
        &[Transport::Udp, Transport::Tcp, Transport::Tls]
    };
    order
        .iter()
        .copied()
        .find(|t| config.supports(*t))
        .ok_or(ResolveError::NoSupportedTransport)
}

/// The SRV name for a transport (RFC 3263 §4.2), if it has one.
fn srv_name(t: Transport, domain: &str) -> Option<String> {
    let prefix = match t {
        Transport::Udp => "_sip._udp",
        Transport::Tcp => "_sip._tcp",
        Transport::Tls => "_sips._tcp",
        Transport::Sctp => "_sip._sctp",
        _ => return None,
    };
    Some(format!("{prefix}.{domain}"))
}
