//! The priority queue of trial nodes for fast marching: exact
//! earliest-first order, cheap where the band of trial nodes is large.
//!
//! Hand-written because no crate offers this two-level structure: times
//! are cut into buckets of a fixed width (s); nodes of future buckets are
//! appended to that bucket's list (O(1), no ordering) as one 8-byte word,
//! the time's position in the bucket (2^32 steps) above the node index. A
//! bucket is sorted once when the march reaches it (a sort of integers in
//! the cache rather than a heap's scattered sifts) and consumed in order. A
//! node whose time falls in the current bucket or before it goes into a
//! small side heap (std's) with its exact time, and each pop takes the
//! earlier of the two heads. Nodes thus leave in time order to within
//! 2^-32 of a bucket width (below 1e-12 s on the benchmark grids, under the
//! `f64` rounding of a time's square-root update), ties by node index. A
//! node is pushed again whenever its time improves; the caller skips the
//! stale copies (lazy deletion), so no position index is kept. One binary
//! heap over the whole band (50 000 to 500 000 entries on the benchmark
//! grids) spent most of the march in cache misses while sifting.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// Most buckets: the width grows when the expected time span would need more.
const MAX_BUCKETS: f64 = 4194304.0;

/// Resolution of the order inside a bucket: 2^32 steps of its width.
const STEPS: f64 = 4294967296.0;

pub(crate) struct TimeQueue {
    /// Bucket width (s) and buckets per second.
    width: f64,
    inv_width: f64,
    /// Index of the current bucket.
    current: usize,
    /// The current bucket's entries as it was entered, sorted, and the
    /// position of the next one. An entry is `(step << 32) | node`, `step`
    /// the time's position in its bucket in units of `width / 2^32`.
    sorted: Vec<u64>,
    cursor: usize,
    /// Entries pushed since into the current bucket (or before it), with
    /// their exact times: `(time bits, node)`.
    side: BinaryHeap<Reverse<(u64, u32)>>,
    /// Unordered entries of the later buckets (as in `sorted`), by bucket.
    later: VecDeque<Vec<u64>>,
    /// Emptied bucket vectors, kept for their allocation.
    spare: Vec<Vec<u64>>,
}

impl TimeQueue {
    /// A queue with buckets `width` seconds wide, widened when the times up
    /// to `max_time` (s, an estimate) would need more than 2^22 buckets.
    pub(crate) fn new(width: f64, max_time: f64) -> Self {
        let width = width.max(max_time / MAX_BUCKETS);
        let (width, inv_width) = if width > 0.0 && width.is_finite() { (width, 1.0 / width) } else { (f64::INFINITY, 0.0) };
        TimeQueue {
            width,
            inv_width,
            current: 0,
            sorted: Vec::new(),
            cursor: 0,
            side: BinaryHeap::new(),
            later: VecDeque::new(),
            spare: Vec::new(),
        }
    }

    /// Position of `time` (s) in bucket `bucket`, in 2^-32 of its width
    /// (saturating at the ends).
    #[inline]
    fn step(&self, time: f64, bucket: usize) -> u64 {
        ((time * self.inv_width - bucket as f64) * STEPS) as u32 as u64
    }

    /// Queue `node` at `time` (s, finite and non-negative).
    #[inline]
    pub(crate) fn push(&mut self, time: f64, node: u32) {
        // `as` saturates, so a huge time only lands in a far bucket.
        let bucket = (time * self.inv_width) as usize;
        if bucket <= self.current {
            self.side.push(Reverse((time.to_bits(), node)));
        } else {
            let k = bucket - self.current - 1;
            if k >= self.later.len() {
                let spare = &mut self.spare;
                self.later.resize_with(k + 1, || spare.pop().unwrap_or_default());
            }
            let entry = self.step(time, bucket) << 32 | node as u64;
            self.later[k].push(entry);
        }
    }

    /// The node `ahead` places after the next in the current bucket's sorted
    /// order (stale copies and later pushes aside: a guess of what the march
    /// will accept soon, for prefetching).
    #[inline]
    pub(crate) fn upcoming(&self, ahead: usize) -> Option<u32> {
        self.sorted.get(self.cursor + ahead).map(|&e| e as u32)
    }

    /// Remove and return the earliest node.
    #[inline]
    pub(crate) fn pop(&mut self) -> Option<u32> {
        loop {
            let head = self.sorted.get(self.cursor).copied();
            match (head, self.side.peek()) {
                (Some(e), Some(&Reverse((bits, node)))) => {
                    let time = f64::from_bits(bits);
                    // A side entry of an earlier bucket comes first; one of
                    // this bucket is compared at the same resolution.
                    let side_first = time < self.current as f64 * self.width
                        || (self.step(time, self.current), node) <= (e >> 32, e as u32);
                    if side_first {
                        return self.side.pop().map(|r| r.0 .1);
                    }
                    self.cursor += 1;
                    return Some(e as u32);
                }
                (Some(e), None) => {
                    self.cursor += 1;
                    return Some(e as u32);
                }
                (None, Some(_)) => return self.side.pop().map(|r| r.0 .1),
                (None, None) => {}
            }
            // Advance to the next bucket and sort it.
            let next = self.later.pop_front()?;
            self.current += 1;
            let mut done = std::mem::replace(&mut self.sorted, next);
            done.clear();
            self.spare.push(done);
            self.cursor = 0;
            self.sorted.sort_unstable();
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
                assert_eq!(reference.pop().map(|r| r.0 .1), next.next().copied());
            }
        }
        while let Some(Reverse((_, node))) = reference.pop() {
            assert_eq!(Some(&node), next.next());
        }
    }
}
