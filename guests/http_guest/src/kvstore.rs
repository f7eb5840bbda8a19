//! The per-deployment key-value store.

use std::time::Duration;

use crate::hostcalls;

/// A key-value store that persists between requests.
///
/// Each deployment has its own store, created empty. A guest gets access to
/// it through [`guest_app_kvs!`](crate::guest_app_kvs). Values are bytes;
/// keys are strings. Exceeding the platform's key, value or store-size limits
/// traps (the client gets a 500 with a message).
pub struct KVStore {
    _private: (),
}

impl KVStore {
    /// The store of the current deployment.
    pub(crate) fn global() -> KVStore {
        KVStore { _private: () }
    }

    /// Put `value` at `key`, overwriting any previous value.
    ///
    /// Returns `true` if the key was not present before this call.
    pub fn insert(&mut self, key: &str, value: &[u8]) -> bool {
        hostcalls::kvstore_insert(key, value)
    }

    /// Insert `value` at `key` only if the key is not present; an existing
    /// value is left unchanged.
    ///
    /// Returns `true` if the key was not present before this call.
    pub fn upsert(&mut self, key: &str, value: &[u8]) -> bool {
        hostcalls::kvstore_upsert(key, value)
    }

    /// Append `value` to the value at `key`, or insert it if the key is not
    /// present.
    ///
    /// Returns `true` if the key was not present before this call.
    pub fn append(&mut self, key: &str, value: &[u8]) -> bool {
        hostcalls::kvstore_append(key, value)
    }

    /// A copy of the value at `key`, or `None` if the key is not present
    /// (or has expired). An empty value is `Some(vec![])`.
    pub fn get(&self, key: &str) -> Option<Vec<u8>> {
        hostcalls::kvstore_get(key)
    }

    /// Remove `key`.
    ///
    /// Returns `true` if the key was removed, `false` if it was not present.
    pub fn remove(&mut self, key: &str) -> bool {
        hostcalls::kvstore_remove(key)
    }

    /// **Vivarium extension** (not in Terrarium): like [`KVStore::insert`],
    /// but the key expires `ttl` after the write. Expired keys are never
    /// returned by [`KVStore::get`].
    ///
    /// `ttl` is rounded up to whole milliseconds (and capped at `i64::MAX`
    /// ms). Panics if `ttl` is zero.
    ///
    /// Returns `true` if the key was not present before this call.
    pub fn insert_with_ttl(&mut self, key: &str, value: &[u8], ttl: Duration) -> bool {
        hostcalls::kvstore_insert_ttl(key, value, ttl_to_millis(ttl))
    }
}

/// Whole milliseconds, rounded up, saturating at `i64::MAX`.
fn ttl_to_millis(ttl: Duration) -> i64 {
    if ttl == Duration::from_secs(0) {
        panic!("KVStore::insert_with_ttl: the ttl must be greater than zero");
    }
    let mut millis = ttl.as_millis();
    if ttl.subsec_nanos() % 1_000_000 != 0 {
        millis += 1;
    }
    if millis > i64::MAX as u128 {
        i64::MAX
    } else {
        millis as i64
    }
}
