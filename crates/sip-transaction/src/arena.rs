//! A generational slab: the store behind every handle of the sans-IO layers.
//!
//! A handle is a slot index plus the slot's generation when the value was inserted. Removing
//! the value moves the generation on, so a handle kept after that finds nothing instead of
//! finding a stranger. The dialog layer uses the same slab for its own handles.

/// An arena slot index and the generation it was issued for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Handle {
    index: u32,
    generation: u32,
}

impl Handle {
    /// The slot index.
    pub fn index(self) -> u32 {
        self.index
    }

    /// The slot's generation when the handle was issued.
    pub fn generation(self) -> u32 {
        self.generation
    }
}

struct Slot<T> {
    generation: u32,
    value: Option<T>,
}

/// Slabs larger than this give back memory when three quarters of their slots are empty.
const TRIM_ABOVE: usize = 1024;

/// A slab whose handles carry a generation, so that stale handles miss.
pub struct Arena<T> {
    slots: Vec<Slot<T>>,
    free: Vec<u32>,
    len: usize,
    /// The generation a newly created slot starts at: above every generation of the slots
    /// trimmed off the end, so a handle kept from before the trim never matches.
    fresh: u32,
}

impl<T> Arena<T> {
    /// An empty slab.
    pub fn new() -> Self {
        Arena {
            slots: Vec::new(),
            free: Vec::new(),
            len: 0,
            fresh: 0,
        }
    }

    /// The handle the next [`Arena::insert`] will return.
    pub fn vacant_handle(&self) -> Handle {
        match self.free.last() {
            Some(&index) => Handle {
                index,
                generation: self.slots[index as usize].generation,
            },
            None => Handle {
                index: u32::try_from(self.slots.len()).unwrap_or(u32::MAX),
                generation: self.fresh,
            },
        }
    }

    /// Stores a value and returns its handle.
    pub fn insert(&mut self, value: T) -> Handle {
        self.len += 1;
        match self.free.pop() {
            Some(index) => {
                let slot = &mut self.slots[index as usize];
                slot.value = Some(value);
                Handle {
                    index,
                    generation: slot.generation,
                }
            }
            None => {
                // Four billion live transactions do not fit in memory long before the index
                // would wrap.
                let index = u32::try_from(self.slots.len()).unwrap_or(u32::MAX);
                self.slots.push(Slot {
                    generation: self.fresh,
                    value: Some(value),
                });
                Handle {
                    index,
                    generation: self.fresh,
                }
            }
        }
    }

    /// The value a handle names, unless it was removed.
    pub fn get(&self, h: Handle) -> Option<&T> {
        self.slots
            .get(h.index as usize)
            .filter(|s| s.generation == h.generation)
            .and_then(|s| s.value.as_ref())
    }

    /// The value a handle names, for changing it.
    pub fn get_mut(&mut self, h: Handle) -> Option<&mut T> {
        self.slots
            .get_mut(h.index as usize)
            .filter(|s| s.generation == h.generation)
            .and_then(|s| s.value.as_mut())
    }

    /// Removes and returns the value; the handle (and every copy of it) then misses.
    pub fn remove(&mut self, h: Handle) -> Option<T> {
        let slot = self
            .slots
            .get_mut(h.index as usize)
            .filter(|s| s.generation == h.generation)?;
        let value = slot.value.take()?;
        slot.generation = slot.generation.wrapping_add(1);
        self.free.push(h.index);
        self.len -= 1;
        if self.slots.len() > TRIM_ABOVE && self.len * 4 < self.slots.len() {
            self.trim();
        }
        Some(value)
    }

    /// Gives back the memory of the empty slots at the end, once the slab is mostly empty
    /// (after a burst, a server would otherwise keep its peak size for ever).
    fn trim(&mut self) {
        let before = self.slots.len();
        while let Some(last) = self.slots.last() {
            if last.value.is_some() {
                break;
            }
            self.fresh = self.fresh.max(last.generation);
            self.slots.pop();
        }
        if self.slots.len() == before {
            return;
        }
        let n = u32::try_from(self.slots.len()).unwrap_or(u32::MAX);
        self.free.retain(|&i| i < n);
        self.slots.shrink_to(self.slots.len().saturating_mul(2));
        self.free.shrink_to(self.free.len().saturating_mul(2));
    }

    /// Every value stored, in slot order.
    pub fn values(&self) -> impl Iterator<Item = &T> {
        self.slots.iter().filter_map(|s| s.value.as_ref())
    }

    /// Number of values stored.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the slab holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl<T> Default for Arena<T> {
    fn default() -> Self {
        Arena::new()
    }
}

/// Gives back a map's memory once three quarters of it are empty: after a burst, a server
/// would otherwise keep its peak size for ever. Amortised: the next shrink needs the map to
/// empty to a quarter again. For the maps that index a slab's handles.
pub fn shrink_map<K: std::hash::Hash + Eq, V, S: std::hash::BuildHasher>(
    map: &mut std::collections::HashMap<K, V, S>,
) {
    if map.capacity() > TRIM_ABOVE && map.len() * 4 < map.capacity() {
        map.shrink_to(map.len() * 2);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_handles_miss_after_reuse() {
        let mut a = Arena::new();
        let h1 = a.insert("one");
        assert_eq!(a.vacant_handle().index, 1);
        assert_eq!(a.remove(h1), Some("one"));
        assert_eq!(a.remove(h1), None);
        let next = a.vacant_handle();
        let h2 = a.insert("two");
        assert_eq!(next, h2);
        assert_eq!(h2.index, h1.index, "the slot is reused");
        assert_ne!(h2, h1);
        assert_eq!(a.get(h1), None);
        assert_eq!(a.get(h2), Some(&"two"));
        assert_eq!(a.len(), 1);
    }

    #[test]
    fn a_burst_is_given_back_and_old_handles_still_miss() {
        let mut a = Arena::new();
        let handles: Vec<Handle> = (0..10_000).map(|i| a.insert(i)).collect();
        let keep = handles[3];
        for h in &handles {
            if *h != keep {
                a.remove(*h);
            }
        }
        assert_eq!(a.len(), 1);
        assert!(a.slots.len() <= 1_024, "{} slots kept", a.slots.len());
        assert_eq!(a.get(keep), Some(&3));
        // Slots created again at trimmed indexes never answer to the old handles.
        let again: Vec<Handle> = (0..10_000).map(|i| a.insert(i + 100_000)).collect();
        for old in &handles {
            if *old != keep {
                assert_eq!(a.get(*old), None, "{old:?} found a stranger");
            }
        }
        for (i, h) in again.iter().enumerate() {
            assert_eq!(a.get(*h), Some(&(i + 100_000)));
        }
        assert_eq!(a.vacant_handle(), a.insert(0));
    }
}
