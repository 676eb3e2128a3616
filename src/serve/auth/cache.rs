//! The answers of the cluster, remembered for a few seconds under the SHA-256 of what
//! was asked (never the token itself), in a map of bounded size: an insert into a full
//! map first drops what expired, then the oldest entries, so guessing tokens can neither
//! grow it nor wipe out the answers of legitimate callers at once.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ring::digest::{Context, SHA256, digest};

/// A SHA-256 digest: what the caches are keyed by.
pub type Key = [u8; 32];

/// The SHA-256 of `bytes`.
pub fn key_of(bytes: &[u8]) -> Key {
    let mut key = [0u8; 32];
    key.copy_from_slice(digest(&SHA256, bytes).as_ref());
    key
}

/// The SHA-256 of several fields, each preceded by its length (so no two lists of
/// fields give the same input).
pub fn key_of_fields<'a>(fields: impl IntoIterator<Item = &'a [u8]>) -> Key {
    let mut context = Context::new(&SHA256);
    for field in fields {
        context.update(&(field.len() as u64).to_le_bytes());
        context.update(field);
    }
    let mut key = [0u8; 32];
    key.copy_from_slice(context.finish().as_ref());
    key
}

struct Entries<V> {
    map: HashMap<Key, (Instant, V)>,
    /// Keys in the order they were inserted, i.e. the order they expire in.
    order: VecDeque<(Key, Instant)>,
}

pub struct Cache<V> {
    ttl: Duration,
    max: usize,
    entries: Mutex<Entries<V>>,
}

impl<V: Clone> Cache<V> {
    pub fn new(ttl: Duration, max: usize) -> Self {
        Self {
            ttl,
            max,
            entries: Mutex::new(Entries {
                map: HashMap::new(),
                order: VecDeque::new(),
            }),
        }
    }

    pub fn get(&self, key: &Key) -> Option<V> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .map
            .get(key)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, value)| value.clone())
    }

    pub fn put(&self, key: Key, value: V) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        while let Some(&(oldest, at)) = entries.order.front() {
            let expired = now.duration_since(at) >= self.ttl;
            if !expired && entries.map.len() < self.max {
                break;
            }
            entries.order.pop_front();
            // Only if the entry is the one queued (not a later insert of the same key).
            if entries.map.get(&oldest).is_some_and(|(t, _)| *t == at) {
                entries.map.remove(&oldest);
            }
        }
        entries.map.insert(key, (now, value));
        entries.order.push_back((key, now));
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .map
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_cache_drops_its_oldest_entries_one_by_one_and_keeps_the_rest() {
        let cache = Cache::new(Duration::from_secs(60), 3);
        for i in 0..5u8 {
            cache.put(key_of(&[i]), i);
        }
        assert_eq!(cache.len(), 3);
        assert_eq!(cache.get(&key_of(&[0])), None);
        assert_eq!(cache.get(&key_of(&[1])), None);
        for i in 2..5u8 {
            assert_eq!(cache.get(&key_of(&[i])), Some(i));
        }
    }

    #[test]
    fn a_key_put_again_is_not_dropped_for_its_first_insert() {
        let cache = Cache::new(Duration::from_secs(60), 2);
        cache.put(key_of(b"a"), 1);
        cache.put(key_of(b"a"), 2);
        cache.put(key_of(b"b"), 3);
        assert_eq!(cache.get(&key_of(b"a")), Some(2));
        assert_eq!(cache.get(&key_of(b"b")), Some(3));
    }

    #[test]
    fn fields_are_told_apart_by_their_lengths() {
        let ab_c = key_of_fields([b"ab".as_slice(), b"c"]);
        let a_bc = key_of_fields([b"a".as_slice(), b"bc"]);
        assert_ne!(ab_c, a_bc);
    }

    #[test]
    fn expired_answers_are_not_given() {
        let cache = Cache::new(Duration::ZERO, 2);
        cache.put(key_of(b"a"), 1);
        assert_eq!(cache.get(&key_of(b"a")), None);
    }
}
