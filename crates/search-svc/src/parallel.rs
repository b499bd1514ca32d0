//! Whether one search's segments run in parallel. tantivy searches each
//! segment as one task on the executor it is given: with cores to spare, a
//! pool divides a search's latency by up to the number of segments (a bulk
//! build leaves one per core, see `index.rs`); when searches already keep
//! every core busy, handing segments to the pool only costs throughput. So
//! a search's main passes use the pool while few others are running, and
//! their own thread otherwise. Everything else (`Searcher::search`: look-ups
//! by id, a hit's other prints) runs on the calling thread, where a hand-off
//! would cost more than the work.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::LazyLock;

use tantivy::collector::Collector;
use tantivy::query::{EnableScoring, Query};
use tantivy::{Executor, Searcher};

/// One thread per core (see `index::segment_threads`); None on one core, or
/// when the threads cannot be started (searches then run on their own).
static POOL: LazyLock<Option<Executor>> = LazyLock::new(|| {
    let threads = crate::index::segment_threads();
    if threads < 2 {
        return None;
    }
    Executor::multi_thread(threads, "baokan-segment-")
        .inspect_err(|error| tracing::warn!(error = %error, "searches run single-threaded"))
        .ok()
});

/// Searches running now (those that called [`enter`]).
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// A running search; counted until dropped.
#[must_use = "the search counts as running until this is dropped"]
pub struct InFlight(());

impl Drop for InFlight {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Counts a search as running until the returned guard is dropped.
pub fn enter() -> InFlight {
    IN_FLIGHT.fetch_add(1, Ordering::Relaxed);
    InFlight(())
}

/// Whether a search may use the pool when `running` searches run (itself
/// included) and the pool has `threads` threads: alone, or while each
/// running search can have two threads to itself.
fn may_use_pool(running: usize, threads: usize) -> bool {
    running <= 1 || running * 2 <= threads
}

/// The executor for a search's segments now: the pool while few searches
/// run, else the calling thread.
pub fn executor() -> Executor {
    match POOL.as_ref() {
        Some(pool @ Executor::ThreadPool(threads))
            if may_use_pool(IN_FLIGHT.load(Ordering::Relaxed), threads.current_num_threads()) =>
        {
            pool.clone()
        }
        _ => Executor::single_thread(),
    }
}

/// `searcher.search(query, collector)` on the executor [`executor`] picks.
pub fn search<C: Collector>(searcher: &Searcher, query: &dyn Query, collector: &C) -> tantivy::Result<C::Fruit> {
    let scoring = if collector.requires_scoring() {
        EnableScoring::enabled_from_searcher(searcher)
    } else {
        EnableScoring::disabled_from_searcher(searcher)
    };
    searcher.search_with_executor(query, collector, &executor(), scoring)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pool_is_for_searches_that_leave_cores_idle() {
        assert!(may_use_pool(1, 2), "a lone search uses both cores");
        assert!(!may_use_pool(2, 2), "two searches on two cores: one thread each");
        assert!(may_use_pool(4, 8));
        assert!(!may_use_pool(5, 8));
        assert!(may_use_pool(0, 2), "a search outside any count");
    }
}
