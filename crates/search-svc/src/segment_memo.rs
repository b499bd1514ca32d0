//! What searches remember per segment (segments never change, and their ids
//! are unique): the facet terms and tables of `facet_counts.rs`, the issue
//! days of `day_table.rs`, and (keyed by segment and delete generation) the
//! deleted documents of `deleted_docs.rs`. The most recent segments are
//! kept; the oldest is dropped first.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use tantivy::index::SegmentId;

/// The values, and the order their keys were first seen in.
type Entries<T, K> = (HashMap<K, Arc<T>>, VecDeque<K>);

/// Values by segment (or by a key naming one state of a segment), at most
/// `cap` keys.
pub(crate) struct SegmentMemo<T, K = SegmentId> {
    cap: usize,
    entries: Mutex<Entries<T, K>>,
}

impl<T, K: Copy + Eq + Hash> SegmentMemo<T, K> {
    pub(crate) fn new(cap: usize) -> Self {
        SegmentMemo { cap, entries: Mutex::new((HashMap::new(), VecDeque::new())) }
    }

    /// The segment's remembered value, if any.
    pub(crate) fn get(&self, segment: K) -> Option<Arc<T>> {
        let entries = self.entries.lock().ok()?;
        entries.0.get(&segment).map(Arc::clone)
    }

    /// The segment's value, `make` on first use (made under the memo's
    /// lock: for cheap values).
    pub(crate) fn get_or_insert_with(&self, segment: K, make: impl FnOnce() -> T) -> Arc<T> {
        self.remember(segment, || Arc::new(make()))
    }

    /// Remembers `value` (made without the lock) unless the segment has
    /// one; returns the remembered one.
    pub(crate) fn insert(&self, segment: K, value: T) -> Arc<T> {
        self.remember(segment, || Arc::new(value))
    }

    /// The segment's value, or `make`'s, remembered (if the memory is
    /// unusable, `make`'s is returned and not remembered).
    fn remember(&self, segment: K, make: impl FnOnce() -> Arc<T>) -> Arc<T> {
        let Ok(mut entries) = self.entries.lock() else { return make() };
        let (map, order) = &mut *entries;
        if let Some(value) = map.get(&segment) {
            return Arc::clone(value);
        }
        while order.len() >= self.cap {
            if let Some(oldest) = order.pop_front() {
                map.remove(&oldest);
            }
        }
        let value = make();
        map.insert(segment, Arc::clone(&value));
        order.push_back(segment);
        value
    }

    /// Every remembered segment and value, oldest first.
    pub(crate) fn oldest_first(&self) -> Vec<(K, Arc<T>)> {
        let Ok(entries) = self.entries.lock() else { return Vec::new() };
        let (map, order) = &*entries;
        order.iter().filter_map(|id| map.get(id).map(|value| (*id, Arc::clone(value)))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_first_value_and_forgets_the_oldest_segment() {
        let memo = SegmentMemo::new(2);
        let [a, b, c] = [(); 3].map(|_| SegmentId::generate_random());
        assert_eq!(*memo.get_or_insert_with(a, || 1), 1);
        assert_eq!(*memo.insert(a, 2), 1, "a segment's first value stays");
        memo.insert(b, 3);
        memo.insert(c, 4);
        assert!(memo.get(a).is_none(), "the oldest segment is forgotten");
        let kept: Vec<(SegmentId, i32)> = memo.oldest_first().into_iter().map(|(id, v)| (id, *v)).collect();
        assert_eq!(kept, [(b, 3), (c, 4)]);
    }
}
