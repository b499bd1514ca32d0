//! Cancellation of index work that runs on a blocking thread. A request's
//! handler holds a [`CancelOnDrop`] guard: when the client cancels or its
//! deadline passes, tonic drops the handler and the guard raises the flag.
//! Searches check the flag before each segment (through [`Cancellable`])
//! and between snippets, so abandoned work stops instead of running on.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::query::Weight;
use tantivy::{SegmentOrdinal, SegmentReader, TantivyError};

/// A shared "stop" flag.
#[derive(Debug, Clone, Default)]
pub struct Cancellation(Arc<AtomicBool>);

impl Cancellation {
    /// A flag that is never raised unless [`cancel`](Self::cancel) is called.
    pub fn new() -> Self {
        Self::default()
    }

    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// A guard that raises the flag when dropped (keep it in the request's future).
    pub fn on_drop(&self) -> CancelOnDrop {
        CancelOnDrop(self.clone())
    }

    /// `Err` when cancelled, for use with `?` inside tantivy callbacks.
    pub fn check(&self) -> tantivy::Result<()> {
        if self.is_cancelled() {
            Err(TantivyError::InternalError("search cancelled".into()))
        } else {
            Ok(())
        }
    }
}

/// Raises its flag when dropped.
#[derive(Debug)]
pub struct CancelOnDrop(Cancellation);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

/// Wraps a collector so the search stops at the next segment once cancelled.
pub struct Cancellable<C> {
    inner: C,
    cancel: Cancellation,
}

impl<C> Cancellable<C> {
    pub fn new(inner: C, cancel: &Cancellation) -> Self {
        Cancellable { inner, cancel: cancel.clone() }
    }
}

impl<C: Collector> Collector for Cancellable<C> {
    type Fruit = C::Fruit;
    type Child = C::Child;

    fn for_segment(&self, segment: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<Self::Child> {
        self.cancel.check()?;
        self.inner.for_segment(segment, reader)
    }

    fn requires_scoring(&self) -> bool {
        self.inner.requires_scoring()
    }

    fn merge_fruits(&self, fruits: Vec<<Self::Child as SegmentCollector>::Fruit>) -> tantivy::Result<Self::Fruit> {
        self.cancel.check()?;
        self.inner.merge_fruits(fruits)
    }

    fn collect_segment(
        &self,
        weight: &dyn Weight,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<<Self::Child as SegmentCollector>::Fruit> {
        self.cancel.check()?;
        self.inner.collect_segment(weight, segment, reader)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guard_raises_the_flag_when_the_request_is_dropped() {
        let cancel = Cancellation::new();
        let guard = cancel.on_drop();
        assert!(!cancel.is_cancelled());
        drop(guard);
        assert!(cancel.is_cancelled());
        assert!(cancel.check().is_err());
    }
}
