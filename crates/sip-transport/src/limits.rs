//! Connection admission: a global cap and a cap per source IP address, enforced with permits
//! that give their slot back when dropped.
//!
//! A permit is taken before anything else happens on an accepted socket (before the TLS or
//! WebSocket handshake), so a flood of half-open handshakes from one address cannot use up the
//! table. Outbound connections take a permit from the global cap only: the per-IP cap protects
//! against one remote host, and we chose to open those.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};

/// Why a connection was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The global connection count is at its limit.
    Global,
    /// This source address holds as many connections as it may.
    PerIp,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

/// Counts open connections against the configured limits. Cheap to clone; clones share counts.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    max_total: usize,
    max_per_ip: usize,
    counts: Arc<Mutex<Counts>>,
}

impl ConnectionLimits {
    /// Limits allowing `max_total` connections in all and `max_per_ip` inbound connections
    /// from any one IP address.
    pub fn new(max_total: usize, max_per_ip: usize) -> Self {
        ConnectionLimits {
            max_total,
            max_per_ip,
            counts: Arc::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Counts> {
        // The counts stay consistent even if a holder panicked: every update is one statement.
        self.counts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Admits an inbound connection from `ip`, or says which limit refuses it.
    pub fn admit_inbound(&self, ip: IpAddr) -> Result<ConnectionPermit, Refusal> {
        let ip = ip.to_canonical();
        let mut c = self.lock();
        if c.total >= self.max_total {
            return Err(Refusal::Global);
        }
        let n = c.per_ip.entry(ip).or_insert(0);
        if *n >= self.max_per_ip {
            return Err(Refusal::PerIp);
        }
        *n += 1;
        c.total += 1;
        Ok(ConnectionPermit {
            limits: self.clone(),
            ip: Some(ip),
        })
    }

    /// Admits an outbound connection (global limit only).
    pub fn admit_outbound(&self) -> Result<ConnectionPermit, Refusal> {
        let mut c = self.lock();
        if c.total >= self.max_total {
            return Err(Refusal::Global);
        }
        c.total += 1;
        Ok(ConnectionPermit {
            limits: self.clone(),
            ip: None,
        })
    }

    /// How many connections hold a permit.
    pub fn open(&self) -> usize {
        self.lock().total
    }

    /// How many inbound connections from `ip` hold a permit.
    pub fn open_from(&self, ip: IpAddr) -> usize {
        self.lock()
            .per_ip
            .get(&ip.to_canonical())
            .copied()
            .unwrap_or(0)
    }
}

/// One admitted connection's slot; dropping it frees the slot.
#[derive(Debug)]
pub struct ConnectionPermit {
    limits: ConnectionLimits,
    ip: Option<IpAddr>,
}

impl Drop for ConnectionPermit {
    fn drop(&mut self) {
        let mut c = self.limits.lock();
        c.total = c.total.saturating_sub(1);
        if let Some(ip) = self.ip {
            if let Some(n) = c.per_ip.get_mut(&ip) {
                *n -= 1;
                if *n == 0 {
                    c.per_ip.remove(&ip);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_ip_and_global_limits_hold_and_release() {
        let l = ConnectionLimits::new(3, 2);
        let a: IpAddr = "127.0.0.1".parse().expect("ip");
        let b: IpAddr = "127.0.0.2".parse().expect("ip");
        let p1 = l.admit_inbound(a).expect("first");
        let _p2 = l.admit_inbound(a).expect("second");
        assert_eq!(l.admit_inbound(a).err(), Some(Refusal::PerIp));
        let _p3 = l.admit_inbound(b).expect("other ip");
        assert_eq!(l.admit_inbound(b).err(), Some(Refusal::Global));
        assert_eq!(l.admit_outbound().err(), Some(Refusal::Global));
        drop(p1);
        assert_eq!(l.open_from(a), 1);
        let _p4 = l.admit_inbound(a).expect("slot freed");
        assert_eq!(l.open(), 3);
    }

    #[test]
    fn mapped_v4_counts_as_v4() {
        let l = ConnectionLimits::new(10, 1);
        let _p = l
            .admit_inbound("::ffff:127.0.0.1".parse().expect("ip"))
            .expect("first");
        assert_eq!(
            l.admit_inbound("127.0.0.1".parse().expect("ip")).err(),
            Some(Refusal::PerIp)
        );
    }
}
