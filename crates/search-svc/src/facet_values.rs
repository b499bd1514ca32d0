//! Facet values by a small number, shared by every search, so that a
//! faceted search adds up the counts of its segments by number. Before,
//! every value counted in every segment was turned into a shared string and
//! hashed on every search, then hashed again to merge the segments: for a
//! root of a few thousand reporters, a third of a faceted search at a
//! million articles. Each segment remembers the number of each of its
//! values (`facet_counts::SegmentTerms`), so a value is looked up in the
//! dictionary and numbered once.
//!
//! A set of numbers holds at most [`MAX_VALUES`] values (names of people
//! only enter it when they reach a page of facet values, but an archive
//! grows): past it, searches that start take a new, empty set, and segments
//! number their values again; searches already running keep the set they
//! started with, which stays valid for them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, PoisonError, RwLock, RwLockReadGuard};

use rustc_hash::FxHashMap;

/// Values one set numbers before searches move to a new one.
const MAX_VALUES: usize = 1 << 21;

/// The numbers given to facet values; a value's number never changes in a set.
#[derive(Debug)]
pub(crate) struct ValueIds {
    /// Tells sets apart (a segment's remembered numbers are of one set).
    epoch: u64,
    interned: RwLock<Interned>,
}

#[derive(Debug, Default)]
struct Interned {
    ids: FxHashMap<Arc<str>, u32>,
    values: Vec<Arc<str>>,
}

/// The values of a set by number, read-locked while held.
pub(crate) struct Values<'a>(RwLockReadGuard<'a, Interned>);

impl Values<'_> {
    /// The value numbered `id` (empty if the set gave no such number).
    pub(crate) fn get(&self, id: u32) -> &str {
        self.0.values.get(id as usize).map_or("", |value| value)
    }
}

/// The set new searches use.
static CURRENT: LazyLock<Mutex<Arc<ValueIds>>> = LazyLock::new(|| Mutex::new(Arc::new(ValueIds::new())));

/// Epochs given so far.
static EPOCHS: AtomicU64 = AtomicU64::new(0);

impl ValueIds {
    /// An empty set with a new epoch.
    pub(crate) fn new() -> Self {
        ValueIds { epoch: EPOCHS.fetch_add(1, Ordering::Relaxed), interned: RwLock::default() }
    }

    /// The set a search starting now uses: the current one, or a new one
    /// when the current one is full.
    pub(crate) fn current() -> Arc<ValueIds> {
        let mut current = CURRENT.lock().unwrap_or_else(PoisonError::into_inner);
        if current.len() >= MAX_VALUES {
            *current = Arc::new(ValueIds::new());
        }
        Arc::clone(&current)
    }

    /// Which set this is.
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch
    }

    /// How many values are numbered.
    pub(crate) fn len(&self) -> usize {
        self.interned.read().unwrap_or_else(PoisonError::into_inner).values.len()
    }

    /// The number of each of `values`, numbering those new to the set.
    pub(crate) fn ids_of(&self, values: impl IntoIterator<Item = String>) -> Vec<u32> {
        let mut interned = self.interned.write().unwrap_or_else(PoisonError::into_inner);
        let Interned { ids, values: by_id } = &mut *interned;
        values
            .into_iter()
            .map(|value| match ids.get(value.as_str()) {
                Some(id) => *id,
                None => {
                    let id = u32::try_from(by_id.len()).unwrap_or(u32::MAX);
                    let value: Arc<str> = Arc::from(value);
                    by_id.push(Arc::clone(&value));
                    ids.insert(value, id);
                    id
                }
            })
            .collect()
    }

    /// The values by number, for as long as the returned guard is held.
    pub(crate) fn values(&self) -> Values<'_> {
        Values(self.interned.read().unwrap_or_else(PoisonError::into_inner))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_keeps_its_number_and_sets_are_told_apart() {
        let ids = ValueIds::new();
        let first = ids.ids_of(["王晓华".to_string(), "山西日报".to_string(), "王晓华".to_string()]);
        assert_eq!(first[0], first[2]);
        assert_ne!(first[0], first[1]);
        assert_eq!(ids.ids_of(["山西日报".to_string()]), [first[1]]);
        assert_eq!(ids.len(), 2);
        let values = ids.values();
        assert_eq!((values.get(first[0]), values.get(first[1]), values.get(99)), ("王晓华", "山西日报", ""));
        drop(values);
        assert_ne!(ValueIds::new().epoch(), ids.epoch());
        assert!(Arc::ptr_eq(&ValueIds::current(), &ValueIds::current()), "one set until it is full");
    }
}
