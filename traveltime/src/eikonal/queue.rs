//! The priority queue of trial nodes for fast marching: exact
//! earliest-first order, cheap where the band of trial nodes is large.
//!
//! Hand-written because no crate offers this two-level structure: times
//! are cut into buckets of a fixed width (s); nodes of future buckets are
//! appended to that bucket's list (O(1), no ordering). A bucket is sorted
//! once when the march reaches it (a sequential sort in the cache rather
//! than a heap's scattered sifts) and consumed from its end. A node whose
//! time falls in the current bucket or before it goes into a small side
//! heap (std's), and each pop takes the earlier of the two heads, so nodes
//! leave in exact time order (ties by node index). A node is pushed again
//! whenever its time improves; the caller skips the stale copies (lazy
//! deletion), so no position index is kept. One binary heap over the
//! whole band (50 000 to 500 000 entries on the benchmark grids) spent
//! most of the march in cache misses while sifting.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// Most buckets: the width grows when the expected time span would need more.
const MAX_BUCKETS: f64 = 4194304.0;

/// An entry: the bits of a non-negative time (s; they order as the numbers
/// do) and a node index.
type Entry = (u64, u32);

pub(crate) struct TimeQueue {
    /// Buckets per second.
    inv_width: f64,
    /// Index of the current bucket.
    current: usize,
    /// The current bucket's entries as it was entered, sorted latest first
    /// (the earliest is popped from the end).
    sorted: Vec<Entry>,
    /// Entries pushed since into the current bucket (or before it).
    side: BinaryHeap<Reverse<Entry>>,
    /// Unordered entries of the later buckets, by bucket index.
    later: VecDeque<Vec<Entry>>,
    /// Emptied bucket vectors, kept for their allocation.
    spare: Vec<Vec<Entry>>,
}

impl TimeQueue {
    /// A queue with buckets `width` seconds wide, widened when the times up
    /// to `max_time` (s, an estimate) would need more than 2^22 buckets.
    pub(crate) fn new(width: f64, max_time: f64) -> Self {
        let width = width.max(max_time / MAX_BUCKETS);
        let inv_width = if width > 0.0 && width.is_finite() { 1.0 / width } else { 0.0 };
        TimeQueue {
            inv_width,
            current: 0,
            sorted: Vec::new(),
            side: BinaryHeap::new(),
            later: VecDeque::new(),
            spare: Vec::new(),
        }
    }

    /// Queue `node` at `time` (s, finite and non-negative).
    #[inline]
    pub(crate) fn push(&mut self, time: f64, node: u32) {
        let entry = (time.to_bits(), node);
        // `as` saturates, so a huge time only lands in a far bucket.
        let bucket = (time * self.inv_width) as usize;
        if bucket <= self.current {
            self.side.push(Reverse(entry));
        } else {
            let k = bucket - self.current - 1;
            if k >= self.later.len() {
                let spare = &mut self.spare;
                self.later.resize_with(k + 1, || spare.pop().unwrap_or_default());
            }
            self.later[k].push(entry);
        }
    }

    /// The node `ahead` places after the next in the current bucket's sorted
    /// order (stale copies and later pushes aside: a guess of what the march
    /// will accept soon, for prefetching).
    #[inline]
    pub(crate) fn upcoming(&self, ahead: usize) -> Option<u32> {
        self.sorted.len().checked_sub(ahead + 1).map(|i| self.sorted[i].1)
    }

    /// Remove and return the earliest `(time bits, node)`.
    #[inline]
    pub(crate) fn pop(&mut self) -> Option<(u64, u32)> {
        loop {
            match (self.sorted.last(), self.side.peek()) {
                (Some(a), Some(Reverse(b))) => {
                    return if a <= b { self.sorted.pop() } else { self.side.pop().map(|r| r.0) };
                }
                (Some(_), None) => return self.sorted.pop(),
                (None, Some(_)) => return self.side.pop().map(|r| r.0),
                (None, None) => {}
            }
            // Advance to the next bucket: sort it, latest first.
            let next = self.later.pop_front()?;
            self.current += 1;
            let done = std::mem::replace(&mut self.sorted, next);
            self.spare.push(done);
            self.sorted.sort_unstable_by(|x, y| y.cmp(x));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_time_order_with_earlier_pushes_between_pops() {
        let mut queue = TimeQueue::new(0.7, 100.0);
        // A fixed pseudo-random sequence of pushes, some pops in between,
        // including times before the last popped one.
        let mut x = 12345u64;
        let mut pushed = Vec::new();
        let mut popped = Vec::new();
        for i in 0..3000 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let t = ((x >> 11) % 10_000) as f64 / 100.0;
            queue.push(t, i);
            pushed.push((t, i));
            if i % 3 == 0 {
                popped.push(queue.pop().unwrap());
            }
        }
        while let Some(e) = queue.pop() {
            popped.push(e);
        }
        assert_eq!(popped.len(), pushed.len());
        // Every pop is the smallest of the entries present at that moment:
        // replay and check against a plain binary heap.
        let mut reference = BinaryHeap::new();
        let mut next = popped.iter();
        for (i, &(t, node)) in pushed.iter().enumerate() {
            reference.push(Reverse((t.to_bits(), node)));
            if i % 3 == 0 {
                assert_eq!(reference.pop().map(|r| r.0), next.next().copied());
            }
        }
        while let Some(Reverse(e)) = reference.pop() {
            assert_eq!(Some(&e), next.next());
        }
    }
}
