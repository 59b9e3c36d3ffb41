//! A bounded map from source address to per-source state, evicting the least recently used entry.
//!
//! The recency list is intrusive: nodes live in one `Vec` and link to each other by index, so a
//! lookup that touches an entry only rewrites a few `u32`s. Once the table has reached its
//! capacity a new key reuses the evicted node in place, so the hot path never allocates.

use std::collections::HashMap;
use std::net::IpAddr;

/// "No node": the end of the recency list.
const NIL: u32 = u32::MAX;

/// Largest capacity the `u32` node indices can address (one value is kept for [`NIL`]).
pub(crate) const MAX_CAPACITY: usize = (u32::MAX - 1) as usize;

#[derive(Debug)]
struct Node<V> {
    key: IpAddr,
    /// Towards the most recently used end.
    prev: u32,
    /// Towards the least recently used end.
    next: u32,
    value: V,
}

/// A map of at most `capacity` entries keyed by [`IpAddr`], in least-recently-used order.
#[derive(Debug)]
pub(crate) struct LruTable<V> {
    index: HashMap<IpAddr, u32>,
    nodes: Vec<Node<V>>,
    /// Most recently used.
    head: u32,
    /// Least recently used: the next to be evicted.
    tail: u32,
    capacity: usize,
}

impl<V> LruTable<V> {
    /// An empty table holding at most `capacity` entries (clamped to `1..=MAX_CAPACITY`).
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            index: HashMap::new(),
            nodes: Vec::new(),
            head: NIL,
            tail: NIL,
            capacity: capacity.clamp(1, MAX_CAPACITY),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.nodes.len()
    }

    /// The entry for `key` without changing its recency.
    pub(crate) fn peek(&self, key: &IpAddr) -> Option<&V> {
        self.index.get(key).map(|&i| &self.nodes[i as usize].value)
    }

    /// The entry for `key`, marked as the most recently used.
    pub(crate) fn get_mut(&mut self, key: &IpAddr) -> Option<&mut V> {
        let i = *self.index.get(key)?;
        self.move_to_front(i);
        Some(&mut self.nodes[i as usize].value)
    }

    /// The entry for `key`, created with `make` if absent, marked as the most recently used.
    /// The flag says whether the least recently used entry was evicted to make room.
    pub(crate) fn get_or_insert_with(
        &mut self,
        key: IpAddr,
        make: impl FnOnce() -> V,
    ) -> (&mut V, bool) {
        if let Some(&i) = self.index.get(&key) {
            self.move_to_front(i);
            return (&mut self.nodes[i as usize].value, false);
        }
        if self.nodes.len() >= self.capacity {
            // Full: recycle the least recently used node for the new key.
            let i = self.tail;
            let node = &mut self.nodes[i as usize];
            self.index.remove(&node.key);
            node.key = key;
            node.value = make();
            self.index.insert(key, i);
            self.move_to_front(i);
            return (&mut self.nodes[i as usize].value, true);
        }
        let i = self.nodes.len() as u32;
        self.nodes.push(Node {
            key,
            prev: NIL,
            next: NIL,
            value: make(),
        });
        self.index.insert(key, i);
        self.link_front(i);
        (&mut self.nodes[i as usize].value, false)
    }

    /// Removes `key`, returning its entry.
    pub(crate) fn remove(&mut self, key: &IpAddr) -> Option<V> {
        let i = self.index.remove(key)?;
        self.unlink(i);
        let last = (self.nodes.len() - 1) as u32;
        if i != last {
            // `swap_remove` moves the last node into slot `i`: repoint what named it, keeping its
            // place in the recency order.
            let node = self.nodes.swap_remove(i as usize);
            let (key, prev, next) = {
                let moved = &self.nodes[i as usize];
                (moved.key, moved.prev, moved.next)
            };
            self.index.insert(key, i);
            if prev == NIL {
                self.head = i;
            } else {
                self.nodes[prev as usize].next = i;
            }
            if next == NIL {
                self.tail = i;
            } else {
                self.nodes[next as usize].prev = i;
            }
            Some(node.value)
        } else {
            self.nodes.pop().map(|n| n.value)
        }
    }

    fn move_to_front(&mut self, i: u32) {
        if self.head != i {
            self.unlink(i);
            self.link_front(i);
        }
    }

    fn unlink(&mut self, i: u32) {
        let (prev, next) = {
            let n = &self.nodes[i as usize];
            (n.prev, n.next)
        };
        if prev == NIL {
            self.head = next;
        } else {
            self.nodes[prev as usize].next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            self.nodes[next as usize].prev = prev;
        }
        let n = &mut self.nodes[i as usize];
        n.prev = NIL;
        n.next = NIL;
    }

    fn link_front(&mut self, i: u32) {
        let old = self.head;
        {
            let n = &mut self.nodes[i as usize];
            n.prev = NIL;
            n.next = old;
        }
        if old == NIL {
            self.tail = i;
        } else {
            self.nodes[old as usize].prev = i;
        }
        self.head = i;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use std::net::Ipv4Addr;

    fn ip(n: u32) -> IpAddr {
        IpAddr::V4(Ipv4Addr::from(n))
    }

    /// Keys from least to most recently used, walking the links (checks them too).
    fn order(t: &LruTable<u32>) -> Vec<u32> {
        let mut out = Vec::new();
        let mut i = t.tail;
        let mut prev = NIL;
        while i != NIL {
            let n = &t.nodes[i as usize];
            assert_eq!(n.next, prev, "broken back link");
            assert_eq!(t.index[&n.key], i, "index out of step");
            out.push(n.value);
            prev = i;
            i = n.prev;
        }
        assert_eq!(out.len(), t.len());
        out
    }

    #[test]
    #[cfg(all(target_os = "linux", target_pointer_width = "64"))]
    fn entry_sizes_match_the_crate_documentation() {
        use crate::auth::{AuthSource, Window};
        // The crate docs quote these; change both together.
        assert_eq!(std::mem::size_of::<Node<Window>>(), 56);
        assert_eq!(std::mem::size_of::<Node<AuthSource>>(), 184);
    }

    #[test]
    fn full_table_evicts_the_least_recently_used_key() {
        let mut t = LruTable::new(3);
        for n in 1..=3 {
            t.get_or_insert_with(ip(n), || n);
        }
        // Touch 1 so that 2 becomes the oldest.
        assert_eq!(t.get_mut(&ip(1)).copied(), Some(1));
        let (_, evicted) = t.get_or_insert_with(ip(4), || 4);
        assert!(evicted);
        assert_eq!(t.len(), 3);
        assert!(t.peek(&ip(2)).is_none());
        assert_eq!(order(&t), vec![3, 1, 4]);
    }

    #[test]
    fn removing_any_position_keeps_links_consistent() {
        for victim in 1..=5 {
            let mut t = LruTable::new(10);
            for n in 1..=5 {
                t.get_or_insert_with(ip(n), || n);
            }
            assert_eq!(t.remove(&ip(victim)), Some(victim));
            let expected: Vec<u32> = (1..=5).filter(|&n| n != victim).collect();
            assert_eq!(order(&t), expected);
            // The table still works after the node move.
            t.get_or_insert_with(ip(9), || 9);
            let touched = if victim == 1 { 2 } else { 1 };
            t.get_mut(&ip(touched));
            let mut expected: Vec<u32> = expected.into_iter().filter(|&n| n != touched).collect();
            expected.extend([9, touched]);
            assert_eq!(order(&t), expected);
        }
    }

    #[test]
    fn removing_the_only_entry_leaves_an_empty_usable_table() {
        let mut t = LruTable::new(2);
        t.get_or_insert_with(ip(1), || 1);
        assert_eq!(t.remove(&ip(1)), Some(1));
        assert_eq!(t.remove(&ip(1)), None);
        assert_eq!(t.len(), 0);
        t.get_or_insert_with(ip(2), || 2);
        assert_eq!(order(&t), vec![2]);
    }
}
