//! An indexed binary min-heap of grid nodes keyed by travel time, with
//! decrease-key: fast marching improves a trial node's time about three
//! times on average before accepting it, and updating the entry in place
//! keeps the heap at the size of the narrow band (a lazy-deletion heap
//! such as `std::collections::BinaryHeap` pops every stale copy too).
//! Hand-written because the position index must live beside the solver's
//! grid arrays; no crate offers this for a `u32` node index and `f64` keys
//! without per-entry allocation.

/// Marker for "not in the heap".
const ABSENT: u32 = u32::MAX;

pub(crate) struct NodeHeap {
    /// `(time, node)` in heap order.
    entries: Vec<(f64, u32)>,
    /// Position of each node in `entries`, or `ABSENT`.
    position: Vec<u32>,
}

impl NodeHeap {
    /// A heap for nodes `0..len` (`len < u32::MAX`).
    pub(crate) fn new(len: usize) -> Self {
        debug_assert!(len < ABSENT as usize);
        NodeHeap { entries: Vec::new(), position: vec![ABSENT; len] }
    }

    /// Insert `node` with `time`, or lower its time if present (a larger
    /// time is ignored).
    #[inline]
    pub(crate) fn push_or_decrease(&mut self, node: usize, time: f64) {
        let at = self.position[node];
        let i = if at == ABSENT {
            self.entries.push((time, node as u32));
            self.entries.len() - 1
        } else {
            let i = at as usize;
            if time >= self.entries[i].0 {
                return;
            }
            self.entries[i].0 = time;
            i
        };
        self.sift_up(i);
    }

    /// Remove and return the node with the smallest time.
    #[inline]
    pub(crate) fn pop(&mut self) -> Option<(f64, usize)> {
        let last = self.entries.pop()?;
        let top = if self.entries.is_empty() {
            last
        } else {
            let top = std::mem::replace(&mut self.entries[0], last);
            self.sift_down(0);
            top
        };
        self.position[top.1 as usize] = ABSENT;
        Some((top.0, top.1 as usize))
    }

    #[inline]
    fn sift_up(&mut self, mut i: usize) {
        let item = self.entries[i];
        while i > 0 {
            let parent = (i - 1) / 2;
            let p = self.entries[parent];
            if p.0 <= item.0 {
                break;
            }
            self.entries[i] = p;
            self.position[p.1 as usize] = i as u32;
            i = parent;
        }
        self.entries[i] = item;
        self.position[item.1 as usize] = i as u32;
    }

    #[inline]
    fn sift_down(&mut self, mut i: usize) {
        let n = self.entries.len();
        let item = self.entries[i];
        loop {
            let left = 2 * i + 1;
            if left >= n {
                break;
            }
            let right = left + 1;
            let child = if right < n && self.entries[right].0 < self.entries[left].0 { right } else { left };
            let c = self.entries[child];
            if item.0 <= c.0 {
                break;
            }
            self.entries[i] = c;
            self.position[c.1 as usize] = i as u32;
            i = child;
        }
        self.entries[i] = item;
        self.position[item.1 as usize] = i as u32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_time_order_after_decreases() {
        let mut heap = NodeHeap::new(100);
        // A fixed pseudo-random sequence of inserts and decreases.
        let mut x = 12345u64;
        let mut best = vec![f64::INFINITY; 100];
        for _ in 0..400 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let node = (x >> 33) as usize % 100;
            let t = ((x >> 11) % 1000) as f64 / 10.0;
            heap.push_or_decrease(node, t);
            best[node] = best[node].min(t);
        }
        let mut last = f64::NEG_INFINITY;
        let mut seen = 0;
        while let Some((t, node)) = heap.pop() {
            assert!(t >= last, "out of order: {t} after {last}");
            assert_eq!(t, best[node], "node {node} kept a time that is not its smallest");
            last = t;
            seen += 1;
        }
        assert_eq!(seen, best.iter().filter(|t| t.is_finite()).count());
    }
}
