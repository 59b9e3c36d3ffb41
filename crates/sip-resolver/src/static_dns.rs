//! A DNS made of a table: the fake for tests of anything that resolves SIP URIs.

use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use sip_message::Uri;

use crate::dns::{Answer, DnsLookup, Naptr, Query, RecordSet, RecordType, Srv};
use crate::error::ResolveError;
use crate::order::WeightRng;
use crate::resolution::{Locator, Output};
use crate::target::Targets;

/// A [`DnsLookup`] answering from a table built in code, logging every query it is asked.
///
/// Names not in the table answer "not found" without a negative TTL. It also drives a
/// [`Locator`] synchronously ([`StaticDns::resolve`]), which is how the ordering rules are
/// unit-tested without a runtime.
#[derive(Debug)]
pub struct StaticDns {
    answers: HashMap<Query, Answer>,
    ttl: Duration,
    log: Mutex<Vec<Query>>,
}

impl Default for StaticDns {
    fn default() -> Self {
        StaticDns::new()
    }
}

impl StaticDns {
    /// An empty table; records added later get a TTL of 300 s.
    pub fn new() -> Self {
        StaticDns {
            answers: HashMap::new(),
            ttl: Duration::from_secs(300),
            log: Mutex::new(Vec::new()),
        }
    }

    /// Sets the TTL of the records added after this call.
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Adds a NAPTR record with an empty regexp.
    pub fn naptr(
        self,
        domain: &str,
        order: u16,
        preference: u16,
        flags: &str,
        services: &str,
        replacement: &str,
    ) -> Self {
        let r = Naptr {
            order,
            preference,
            flags: flags.into(),
            services: services.into(),
            regexp: String::new(),
            replacement: replacement.into(),
        };
        self.push(domain, RecordSet::Naptr(vec![r]))
    }

    /// Adds an SRV record.
    pub fn srv(self, name: &str, priority: u16, weight: u16, port: u16, target: &str) -> Self {
        let r = Srv {
            priority,
            weight,
            port,
            target: target.into(),
        };
        self.push(name, RecordSet::Srv(vec![r]))
    }

    /// Adds an A record.
    pub fn a(self, name: &str, ip: Ipv4Addr) -> Self {
        self.push(name, RecordSet::A(vec![ip]))
    }

    /// Adds an AAAA record.
    pub fn aaaa(self, name: &str, ip: Ipv6Addr) -> Self {
        self.push(name, RecordSet::Aaaa(vec![ip]))
    }

    /// Sets the whole answer to one query (a failure, a negative TTL, ...).
    pub fn set(mut self, query: Query, answer: Answer) -> Self {
        self.answers.insert(query, answer);
        self
    }

    fn push(mut self, name: &str, set: RecordSet) -> Self {
        let q = Query::new(name, set.record_type());
        let ttl = self.ttl;
        match self.answers.get_mut(&q) {
            Some(Answer::Records { records, ttl: t }) => {
                *t = (*t).min(ttl);
                match (records, set) {
                    (RecordSet::Naptr(v), RecordSet::Naptr(n)) => v.extend(n),
                    (RecordSet::Srv(v), RecordSet::Srv(n)) => v.extend(n),
                    (RecordSet::A(v), RecordSet::A(n)) => v.extend(n),
                    (RecordSet::Aaaa(v), RecordSet::Aaaa(n)) => v.extend(n),
                    _ => {}
                }
            }
            _ => {
                self.answers
                    .insert(q, Answer::Records { records: set, ttl });
            }
        }
        self
    }

    /// Answers `query` from the table and logs it.
    pub fn answer(&self, query: &Query) -> Answer {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(query.clone());
        self.answers
            .get(query)
            .cloned()
            .unwrap_or(Answer::NotFound { negative_ttl: None })
    }

    /// The queries asked so far, in order.
    pub fn queries(&self) -> Vec<Query> {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Forgets the logged queries.
    pub fn clear_log(&self) {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// Resolves `uri` through `locator`, answering every query from the table at `now`.
    pub fn resolve<R: WeightRng>(
        &self,
        locator: &mut Locator<R>,
        uri: &Uri<'_>,
        now: Instant,
    ) -> Result<Targets, ResolveError> {
        let mut res = locator.start(uri)?;
        loop {
            let mut asked = Vec::new();
            loop {
                match res.poll_output(locator, now) {
                    Output::Query(q) => asked.push(q),
                    Output::Wait => break,
                    Output::Done(result) => return result,
                }
            }
            for q in asked {
                let a = self.answer(&q);
                res.handle_answer(locator, &q, a, now);
            }
        }
    }

    /// Whether a query of this name and type has been asked.
    pub fn was_asked(&self, name: &str, rtype: RecordType) -> bool {
        let q = Query::new(name, rtype);
        self.queries().contains(&q)
    }
}

impl DnsLookup for StaticDns {
    async fn lookup(&self, query: &Query) -> Answer {
        self.answer(query)
    }
}
