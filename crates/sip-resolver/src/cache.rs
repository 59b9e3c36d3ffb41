//! A TTL cache of DNS answers, positive and negative (RFC 2308), on a clock the caller passes in.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::dns::{Answer, Query, RecordSet};

#[derive(Debug, Clone)]
enum Entry {
    Positive {
        records: RecordSet,
        expires: Instant,
    },
    Negative {
        expires: Instant,
    },
}

impl Entry {
    fn expires(&self) -> Instant {
        match self {
            Entry::Positive { expires, .. } | Entry::Negative { expires } => *expires,
        }
    }
}

/// Cached answers keyed by [`Query`], each valid until its TTL runs out.
///
/// Answers with records are kept for their TTL (at most [`Config::max_ttl`]); "no such
/// records" for the negative TTL the server gave, else [`Config::default_negative_ttl`] (at most
/// [`Config::max_negative_ttl`]). Failed lookups are not cached. An entry is valid while
/// `now < expiry`, so a TTL of 0 is never served.
#[derive(Debug, Clone)]
pub struct Cache {
    entries: HashMap<Query, Entry>,
    capacity: usize,
    max_ttl: Duration,
    default_negative_ttl: Duration,
    max_negative_ttl: Duration,
}

impl Cache {
    /// An empty cache with the limits of `config`.
    pub fn new(config: &Config) -> Self {
        Cache {
            entries: HashMap::new(),
            capacity: config.cache_capacity,
            max_ttl: config.max_ttl,
            default_negative_ttl: config.default_negative_ttl,
            max_negative_ttl: config.max_negative_ttl,
        }
    }

    /// The cached answer to `query`, if one is still valid at `now`; its TTL is what remains.
    pub fn get(&self, query: &Query, now: Instant) -> Option<Answer> {
        match self.entries.get(query)? {
            Entry::Positive { records, expires } if now < *expires => Some(Answer::Records {
                records: records.clone(),
                ttl: *expires - now,
            }),
            Entry::Negative { expires } if now < *expires => Some(Answer::NotFound {
                negative_ttl: Some(*expires - now),
            }),
            _ => None,
        }
    }

    /// Records `answer` to `query`, received at `now`. Failures and zero TTLs are not stored.
    pub fn insert(&mut self, query: &Query, answer: &Answer, now: Instant) {
        let entry = match answer {
            Answer::Records { records, ttl } => {
                if records.record_type() != query.record_type() {
                    return;
                }
                Entry::Positive {
                    records: records.clone(),
                    expires: now + (*ttl).min(self.max_ttl),
                }
            }
            Answer::NotFound { negative_ttl } => Entry::Negative {
                expires: now
                    + negative_ttl
                        .unwrap_or(self.default_negative_ttl)
                        .min(self.max_negative_ttl),
            },
            Answer::Failed(_) => return,
        };
        if entry.expires() <= now || self.capacity == 0 {
            self.entries.remove(query);
            return;
        }
        if self.entries.len() >= self.capacity && !self.entries.contains_key(query) {
            self.purge(now);
            if self.entries.len() >= self.capacity {
                self.evict_soonest();
            }
        }
        self.entries.insert(query.clone(), entry);
    }

    /// Drops the entry for `query`.
    pub fn remove(&mut self, query: &Query) {
        self.entries.remove(query);
    }

    /// Drops every entry expired at `now`.
    pub fn purge(&mut self, now: Instant) {
        self.entries.retain(|_, e| now < e.expires());
    }

    /// Drops everything.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// The number of entries, expired ones not yet purged included.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the cache holds no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// When the earliest entry expires.
    pub fn next_expiry(&self) -> Option<Instant> {
        self.entries.values().map(Entry::expires).min()
    }

    /// Makes room when full of live entries: the one closest to expiry goes (a linear scan,
    /// which only runs at capacity).
    fn evict_soonest(&mut self) {
        let soonest = self
            .entries
            .iter()
            .min_by_key(|(_, e)| e.expires())
            .map(|(q, _)| q.clone());
        if let Some(q) = soonest {
            self.entries.remove(&q);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::{LookupError, RecordType};
    use std::net::Ipv4Addr;

    fn a(ttl: u64) -> Answer {
        Answer::Records {
            records: RecordSet::A(vec![Ipv4Addr::LOCALHOST]),
            ttl: Duration::from_secs(ttl),
        }
    }

    #[test]
    fn positive_entry_expires_with_ttl() {
        let t0 = Instant::now();
        let mut c = Cache::new(&Config::default());
        let q = Query::new("Host.Example.Test.", RecordType::A);
        c.insert(&q, &a(10), t0);
        // Names are normalised: case and trailing dot do not matter.
        let same = Query::new("host.example.test", RecordType::A);
        assert_eq!(
            c.get(&same, t0 + Duration::from_secs(4)),
            Some(Answer::Records {
                records: RecordSet::A(vec![Ipv4Addr::LOCALHOST]),
                ttl: Duration::from_secs(6)
            })
        );
        assert_eq!(c.get(&q, t0 + Duration::from_secs(10)), None);
        assert_eq!(c.next_expiry(), Some(t0 + Duration::from_secs(10)));
        c.purge(t0 + Duration::from_secs(10));
        assert!(c.is_empty());
    }

    #[test]
    fn ttl_capped_and_zero_not_stored() {
        let t0 = Instant::now();
        let config = Config {
            max_ttl: Duration::from_secs(60),
            ..Config::default()
        };
        let mut c = Cache::new(&config);
        let q = Query::new("h.example.test", RecordType::A);
        c.insert(&q, &a(86_400), t0);
        assert!(c.get(&q, t0 + Duration::from_secs(59)).is_some());
        assert!(c.get(&q, t0 + Duration::from_secs(60)).is_none());
        c.insert(&q, &a(0), t0);
        assert!(c.get(&q, t0).is_none());
    }

    #[test]
    fn negative_caching_uses_soa_ttl_or_default() {
        let t0 = Instant::now();
        let mut c = Cache::new(&Config::default());
        let q = Query::new("nx.example.test", RecordType::Srv);
        c.insert(
            &q,
            &Answer::NotFound {
                negative_ttl: Some(Duration::from_secs(5)),
            },
            t0,
        );
        assert!(matches!(
            c.get(&q, t0 + Duration::from_secs(4)),
            Some(Answer::NotFound { .. })
        ));
        assert!(c.get(&q, t0 + Duration::from_secs(5)).is_none());
        // No SOA: the default 30 s; an absurd SOA: capped at 300 s.
        c.insert(&q, &Answer::NotFound { negative_ttl: None }, t0);
        assert!(c.get(&q, t0 + Duration::from_secs(29)).is_some());
        assert!(c.get(&q, t0 + Duration::from_secs(30)).is_none());
        let long = Answer::NotFound {
            negative_ttl: Some(Duration::from_secs(86_400)),
        };
        c.insert(&q, &long, t0);
        assert!(c.get(&q, t0 + Duration::from_secs(300)).is_none());
    }

    #[test]
    fn failures_and_mismatched_types_not_cached() {
        let t0 = Instant::now();
        let mut c = Cache::new(&Config::default());
        let q = Query::new("h.example.test", RecordType::Aaaa);
        c.insert(&q, &Answer::Failed(LookupError::Timeout), t0);
        c.insert(&q, &a(30), t0);
        assert!(c.is_empty());
    }

    #[test]
    fn capacity_evicts_expired_then_soonest() {
        let t0 = Instant::now();
        let config = Config {
            cache_capacity: 2,
            ..Config::default()
        };
        let mut c = Cache::new(&config);
        let q = |n: &str| Query::new(n, RecordType::A);
        c.insert(&q("a"), &a(5), t0);
        c.insert(&q("b"), &a(50), t0);
        c.insert(&q("c"), &a(20), t0);
        assert_eq!(c.len(), 2);
        assert!(c.get(&q("a"), t0).is_none(), "soonest to expire went");
        // At t0+30 "c" has expired: it makes room without touching "b".
        c.insert(&q("d"), &a(50), t0 + Duration::from_secs(30));
        assert!(c.get(&q("b"), t0 + Duration::from_secs(30)).is_some());
        assert!(c.get(&q("d"), t0 + Duration::from_secs(30)).is_some());
    }
}
