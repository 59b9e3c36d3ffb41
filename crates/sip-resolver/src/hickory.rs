//! [`DnsLookup`] over hickory-dns's stub resolver.

use std::net::SocketAddr;
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{
    NameServerConfig, NameServerConfigGroup, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::ProtoErrorKind;
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{Name, RData, RecordType as HRecordType};
use hickory_resolver::proto::xfer::Protocol;

use crate::dns::{Answer, DnsLookup, LookupError, Naptr, Query, RecordSet, RecordType, Srv};

/// A [`DnsLookup`] backed by hickory-resolver on tokio.
///
/// hickory's own cache is turned off (the [`Locator`](crate::Locator) caches against the clock
/// it is given), names are queried fully qualified (no search list), and the hosts file is
/// not consulted for explicitly configured nameservers.
#[derive(Debug, Clone)]
pub struct HickoryLookup {
    resolver: TokioResolver,
}

impl HickoryLookup {
    /// Uses the system's configuration (`/etc/resolv.conf` on Unix), with hickory's cache off.
    pub fn from_system_conf() -> Result<Self, LookupError> {
        let mut builder = TokioResolver::builder_tokio()
            .map_err(|e| LookupError::Other(format!("reading system DNS config: {e}")))?;
        builder.options_mut().cache_size = 0;
        Ok(HickoryLookup {
            resolver: builder.build(),
        })
    }

    /// Queries exactly `nameservers` (UDP, with TCP after a truncated answer), waiting
    /// `timeout` for each attempt, two attempts per server. Tests point this at a server on
    /// loopback.
    pub fn with_nameservers(nameservers: &[SocketAddr], timeout: Duration) -> Self {
        let mut group = NameServerConfigGroup::with_capacity(nameservers.len() * 2);
        for &addr in nameservers {
            group.push(NameServerConfig::new(addr, Protocol::Udp));
            group.push(NameServerConfig::new(addr, Protocol::Tcp));
        }
        let config = ResolverConfig::from_parts(None, vec![], group);
        let mut opts = ResolverOpts::default();
        opts.cache_size = 0;
        opts.timeout = timeout;
        opts.attempts = 2;
        opts.use_hosts_file = ResolveHosts::Never;
        HickoryLookup::from_parts(config, opts)
    }

    /// Full control: hickory's configuration and options as given (set `cache_size` to 0).
    pub fn from_parts(config: ResolverConfig, options: ResolverOpts) -> Self {
        let resolver =
            TokioResolver::builder_with_config(config, TokioConnectionProvider::default())
                .with_options(options)
                .build();
        HickoryLookup { resolver }
    }

    /// The hickory resolver underneath.
    pub fn resolver(&self) -> &TokioResolver {
        &self.resolver
    }
}

impl DnsLookup for HickoryLookup {
    async fn lookup(&self, query: &Query) -> Answer {
        let name = match Name::from_ascii(query.fqdn()) {
            Ok(n) => n,
            Err(e) => {
                return Answer::Failed(LookupError::BadName(format!("{}: {e}", query.name())));
            }
        };
        let rtype = match query.record_type() {
            RecordType::Naptr => HRecordType::NAPTR,
            RecordType::Srv => HRecordType::SRV,
            RecordType::A => HRecordType::A,
            RecordType::Aaaa => HRecordType::AAAA,
        };
        match self.resolver.lookup(name, rtype).await {
            Ok(lookup) => convert(query.record_type(), lookup.records()),
            Err(e) => convert_error(&e),
        }
    }
}

/// Collects the records of the wanted type (a CNAME chain's records are skipped) and the
/// smallest TTL among them.
fn convert(rtype: RecordType, records: &[hickory_resolver::proto::rr::Record]) -> Answer {
    let mut set = match rtype {
        RecordType::Naptr => RecordSet::Naptr(Vec::new()),
        RecordType::Srv => RecordSet::Srv(Vec::new()),
        RecordType::A => RecordSet::A(Vec::new()),
        RecordType::Aaaa => RecordSet::Aaaa(Vec::new()),
    };
    let mut ttl = u32::MAX;
    for r in records {
        let used = match (&mut set, r.data()) {
            (RecordSet::Naptr(v), RData::NAPTR(n)) => {
                v.push(Naptr {
                    order: n.order(),
                    preference: n.preference(),
                    flags: String::from_utf8_lossy(n.flags()).into_owned(),
                    services: String::from_utf8_lossy(n.services()).into_owned(),
                    regexp: String::from_utf8_lossy(n.regexp()).into_owned(),
                    replacement: n.replacement().to_ascii(),
                });
                true
            }
            (RecordSet::Srv(v), RData::SRV(s)) => {
                v.push(Srv {
                    priority: s.priority(),
                    weight: s.weight(),
                    port: s.port(),
                    target: s.target().to_ascii(),
                });
                true
            }
            (RecordSet::A(v), RData::A(a)) => {
                v.push(a.0);
                true
            }
            (RecordSet::Aaaa(v), RData::AAAA(a)) => {
                v.push(a.0);
                true
            }
            _ => false,
        };
        if used {
            ttl = ttl.min(r.ttl());
        }
    }
    Answer::records(set, Duration::from_secs(u64::from(ttl)))
}

fn convert_error(e: &hickory_resolver::ResolveError) -> Answer {
    let Some(proto) = e.proto() else {
        return Answer::Failed(LookupError::Other(e.to_string()));
    };
    match proto.kind() {
        ProtoErrorKind::NoRecordsFound {
            response_code,
            negative_ttl,
            ..
        } => match *response_code {
            ResponseCode::NXDomain | ResponseCode::NoError => Answer::NotFound {
                negative_ttl: negative_ttl.map(|s| Duration::from_secs(u64::from(s))),
            },
            rc => Answer::Failed(LookupError::ServerFailure(rc.to_string())),
        },
        ProtoErrorKind::Timeout => Answer::Failed(LookupError::Timeout),
        ProtoErrorKind::Io(io) => Answer::Failed(LookupError::Io(io.to_string())),
        _ => Answer::Failed(LookupError::Other(proto.to_string())),
    }
}
