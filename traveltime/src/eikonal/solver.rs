//! Factored fast marching (see the module documentation of `eikonal`).
//!
//! Hand-written: this is the project's own numerical core (the factored
//! second-order update), not a solved problem a crate provides.
//!
//! Notation for the update of node `i`: along axis `a` the upwind neighbour
//! `n` (the accepted neighbour with the smaller time) lies at `i - d·e_a`
//! (`d = ±1`). The one-sided derivative of `T = T0·tau` pointing from `n`
//! to `i` is
//!
//! ```text
//! D_a = tau_i · d·∂T0/∂x_a + T0_i · (c·tau_i - b) / h_a
//!     = A_a · tau_i - B_a
//! ```
//!
//! with `c = 1, b = tau_n` (first order) or `c = 3/2,
//! b = 2·tau_n - tau_nn/2` (second order, `nn = n - d·e_a`). The discrete
//! eikonal equation `Σ_a D_a² = s_i²` over the axes used is a quadratic in
//! `tau_i`; its larger root is accepted when every `D_a >= 0` (upwind,
//! causal). Otherwise smaller sets of axes are tried and the smallest
//! causal time is kept; a single axis always gives a causal solution.
//!
//! Strong velocity contrasts: the second-order stencil is used only where
//! `tau` changes by at most 50 % between the two upwind nodes
//! ([`tau_resolved`]), and a second-order solution that is not an upwind
//! time (non-positive `tau`, or earlier than every neighbour it came from)
//! is replaced by the first-order one ([`upwind_root`]). Without these the
//! quadratic extrapolation across an unresolved contrast gave negative
//! times on tiny grids (`tests/eikonal_small_grids.rs`).
//!
//! ## Layout (for speed)
//!
//! The march is bound by cache misses on the cells around the wavefront.
//! What the update reads about a node's values (time, factor, slowness)
//! sits in one 16-byte [`Cell`], so a neighbour costs one cache line
//! rather than one per array, and the state is a separate byte per node
//! (the tests "is this neighbour accepted?" and "may this node change?"
//! come first and mostly hit the cache: 1 byte against 16 per node). The cell array has [`PAD`] ghost layers on every
//! side (never accepted, never updated), so the update reads both
//! neighbours and the second upwind node along each axis without bounds
//! tests. Trial nodes wait in a bucketed queue with lazy deletion
//! ([`super::queue::TimeQueue`]): a node is pushed again whenever its time
//! improves and the stale copies, popped after the node was accepted, are
//! skipped. This needs no position index (a random write per sift step
//! into an array as large as the grid), which a heap with decrease-key
//! paid in cache misses.

use super::EikonalOptions;
use crate::Grid3;
use super::queue::TimeQueue;

/// Ghost layers on each side of the grid: two, for the second upwind node.
const PAD: usize = 2;

/// Cell state bits: `KNOWN`, accepted (its time is final and is used by its
/// neighbours); `FROZEN`, not to be updated (accepted, a ghost, or outside
/// the region being marched).
const KNOWN: u8 = 1;
const FROZEN: u8 = 2;
/// A node of the source box whose time is the sweeps' converged one: the
/// global march changes it only from a neighbour without this bit (see
/// step 3 of [`fast_march`]).
const POLISHED: u8 = 4;

/// The source-box sweeps stop once no `tau` changes by more than this in a
/// round of 8: below the `f32` rounding of the stored `tau` (6e-8), so the
/// field returned is the converged one. (1e-12 took 5 to 6 rounds on the
/// benchmark grids instead of 4, each change about 1000 times smaller.)
const SWEEP_TOLERANCE: f64 = 1e-8;

/// A node of the source box whose `tau` changed by less than this does not
/// wake its neighbours for the next sweep (see `polish_box`).
const LOCK_TOLERANCE: f64 = 1e-10;

/// How many nodes ahead of the one being accepted the march prefetches
/// (about the memory latency over the time to accept a node).
const PREFETCH_AHEAD: usize = 1;

/// Width of the queue's time buckets, as a fraction of `h_min·s_min`.
const BUCKET_FRACTION: f64 = 0.0078125;

/// How often (accepted nodes) the progress callback is called.
const PROGRESS_EVERY: usize = 1 << 16;

/// One node in 16 bytes: the factor `tau = T / T0` (the unknown, `f64`),
/// and in `f32` the time `t = T0·tau` (s) and the slowness (s/km).
///
/// `t` serves only to compare nodes (which side is upwind, whether the
/// second node is monotone, whether a solution is later than its upwind
/// neighbours): a rounding of 6e-8 relative moves none of these decisions
/// except exact near-ties. A node's own improvement test compares `tau`
/// (same `T0`). The slowness in `f32` is an input rounding of 6e-8
/// relative, far below the scheme's error.
#[derive(Clone, Copy)]
struct Cell {
    tau: f64,
    t: f32,
    slowness: f32,
}

/// A ghost (or not yet computed) cell.
const GHOST: Cell = Cell { tau: f64::INFINITY, t: f32::INFINITY, slowness: 0.0 };

/// One axis' contribution to the quadratic: `D = a·tau - b` (second order
/// where the stencil allowed it), with its first-order form `a1, b1` and
/// the time `t_up` (s) of the upwind neighbour (`+inf` when there is none).
#[derive(Clone, Copy, Default)]
struct AxisTerm {
    a: f64,
    b: f64,
    a1: f64,
    b1: f64,
    t_up: f64,
}

impl AxisTerm {
    /// A first-order term (or one without a neighbour: `t_up = +inf`).
    fn first_order(a: f64, b: f64, t_up: f64) -> Self {
        AxisTerm { a, b, a1: a, b1: b, t_up }
    }

    /// The same axis with its first-order stencil.
    fn to_first_order(self) -> Self {
        AxisTerm { a: self.a1, b: self.b1, ..self }
    }
}

/// The marching state. Node coordinates `q` are in the padded grid
/// (`q = node + PAD`).
struct Marcher {
    /// Padded node counts and strides (z fastest).
    n: [usize; 3],
    stride: [usize; 3],
    origin: [f64; 3],
    spacing: [f64; 3],
    inv_spacing: [f64; 3],
    source: [f64; 3],
    source_slowness: f64,
    second_order: bool,
    cells: Vec<Cell>,
    /// State bits of every (padded) node.
    state: Vec<u8>,
    /// Trial nodes by time (padded indices), earliest first.
    queue: TimeQueue,
    /// Nodes within this distance (km) of the source keep their
    /// straight-ray initial times.
    init_radius: f64,
    /// The source box (inclusive padded coordinates).
    lo: [usize; 3],
    hi: [usize; 3],
}

/// Padded node count of `velocity`'s grid (the solver's memory, in cells).
pub(crate) fn padded_len(n: [usize; 3]) -> usize {
    n.iter().map(|&k| k + 2 * PAD).product()
}

/// March from `source` (km, inside the grid) through the checked `velocity`
/// grid (whose [`padded_len`] is below `u32::MAX`); returns `tau = T / T0`
/// at every node.
pub(crate) fn fast_march(
    velocity: &Grid3<f64>,
    source: [f64; 3],
    source_slowness: f64,
    opts: &EikonalOptions,
    progress: Option<&(dyn Fn(usize, usize) + Sync)>,
) -> Vec<f32> {
    let g = velocity.geometry;
    let total = g.len();
    let n = g.n.map(|k| k + 2 * PAD);
    let stride = [n[1] * n[2], n[2], 1];
    let inv_spacing = g.spacing_km.map(|h| 1.0 / h);
    // The source box, in padded coordinates.
    let half = box_half_width(velocity, source, opts);
    let mut lo = [0; 3];
    let mut hi = [0; 3];
    for k in 0..3 {
        let c = ((source[k] - g.origin_km[k]) * inv_spacing[k]).round().max(0.0) as usize;
        lo[k] = c.saturating_sub(half[k]) + PAD;
        hi[k] = (c + half[k]).min(g.n[k] - 1) + PAD;
    }
    // 1. March inside the source box only: the rest is frozen meanwhile.
    // The cells are written once, in memory order (ghosts and nodes).
    let len = n[0] * n[1] * n[2];
    let mut cells = Vec::<Cell>::with_capacity(len);
    let (mut s_min, mut s_max) = (f64::INFINITY, 0.0f64);
    for px in 0..n[0] {
        for py in 0..n[1] {
            if !((PAD..n[0] - PAD).contains(&px) && (PAD..n[1] - PAD).contains(&py)) {
                cells.extend(std::iter::repeat_n(GHOST, n[2]));
                continue;
            }
            let src = g.index(px - PAD, py - PAD, 0);
            cells.extend(std::iter::repeat_n(GHOST, PAD));
            for &v in &velocity.data[src..src + g.n[2]] {
                let slowness = 1.0 / v;
                (s_min, s_max) = (s_min.min(slowness), s_max.max(slowness));
                cells.push(Cell { slowness: slowness as f32, ..GHOST });
            }
            cells.extend(std::iter::repeat_n(GHOST, PAD));
        }
    }
    let mut state = Vec::<u8>::with_capacity(len);
    state.resize(len, FROZEN);
    for ix in lo[0]..=hi[0] {
        for iy in lo[1]..=hi[1] {
            let row = ix * stride[0] + iy * stride[1];
            state[row + lo[2]..=row + hi[2]].fill(0);
        }
    }
    // Buckets of 1/128 of the time a wave takes across the smallest
    // spacing at the fastest velocity (a few hundred entries each on the
    // benchmark grids); the latest time is at most the slowest staircase
    // path. One queue for the box, one for the grid.
    let new_queue = || {
        TimeQueue::new(
            BUCKET_FRACTION * g.spacing_km.iter().cloned().fold(f64::INFINITY, f64::min) * s_min,
            s_max * (0..3).map(|k| (g.n[k] - 1) as f64 * g.spacing_km[k]).sum::<f64>(),
        )
    };
    let mut m = Marcher {
        n,
        stride,
        origin: g.origin_km,
        spacing: g.spacing_km,
        inv_spacing,
        source,
        source_slowness,
        second_order: opts.second_order,
        cells,
        state,
        queue: new_queue(),
        init_radius: 0.0,
        lo,
        hi,
    };
    let mut accepted = m.initialise(opts.source_radius_nodes);
    accepted = m.march(accepted, total, progress);
    // 2. Converge the box with factored Godunov sweeps (see `polish_box`).
    m.polish_box(opts.max_sweep_iterations);
    // 3. March the whole grid, the box included: its nodes go back to the
    // queue with their converged times and are accepted again in time
    // order, so that an arrival from outside the box that is earlier still
    // reaches them (a head wave along a fast layer just below the box:
    // frozen box nodes kept the slower direct wave, 0.55 s late in
    // `tests/eikonal_axisymmetric.rs`). A box node is updated only from a
    // neighbour outside the box or one so updated (not `POLISHED`): the
    // march's update of a node whose neighbours all carry converged times
    // differs from the sweeps' by its own discretisation (up to 2e-3 s
    // earlier on a 0.5 km grid), which would undo the sweeps.
    m.queue = new_queue();
    for ix in PAD..n[0] - PAD {
        for iy in PAD..n[1] - PAD {
            let row = ix * stride[0] + iy * stride[1];
            for idx in row + PAD..row + n[2] - PAD {
                let state = m.state[idx];
                if state == FROZEN {
                    m.state[idx] = 0; // outside the box: not reached yet
                } else if m.in_ball(idx) {
                    m.state[idx] = KNOWN | FROZEN | POLISHED;
                } else if state & KNOWN != 0 {
                    m.state[idx] = POLISHED;
                    accepted -= 1;
                    m.queue.push(m.cells[idx].t as f64, idx as u32);
                }
            }
        }
    }
    accepted = m.march(accepted, total, progress);
    debug_assert_eq!(accepted, total, "fast marching left nodes unaccepted");
    if let Some(p) = progress {
        p(total, total);
    }
    let mut tau = Vec::with_capacity(total);
    for ix in PAD..n[0] - PAD {
        for iy in PAD..n[1] - PAD {
            let row = ix * stride[0] + iy * stride[1];
            tau.extend(m.cells[row + PAD..row + n[2] - PAD].iter().map(|c| c.tau as f32));
        }
    }
    tau
}

impl Marcher {
    /// Accept queued nodes in increasing time until the queue is empty.
    fn march(&mut self, mut accepted: usize, total: usize, progress: Option<&(dyn Fn(usize, usize) + Sync)>) -> usize {
        while let Some(idx) = self.queue.pop() {
            let idx = idx as usize;
            if self.state[idx] & KNOWN != 0 {
                continue; // a stale copy: the node was accepted at its later, smaller time
            }
            self.state[idx] |= KNOWN | FROZEN;
            if let Some(next) = self.queue.upcoming(PREFETCH_AHEAD) {
                self.prefetch_around(next as usize);
            }
            accepted += 1;
            if accepted.is_multiple_of(PROGRESS_EVERY) {
                if let Some(p) = progress {
                    p(accepted, total);
                }
            }
            self.update_neighbours(idx);
        }
        accepted
    }

    /// Ask the memory system for the cells and states that accepting the
    /// node `idx` will read (its face neighbours and theirs: the columns at
    /// x-y offsets within 2 steps, 2 nodes up and down), while the current
    /// node is processed. The march is bound by these cache misses, which
    /// the data-dependent control flow of the update otherwise takes one
    /// at a time. Prefetching is a hint only: no effect on the results.
    #[inline]
    fn prefetch_around(&self, idx: usize) {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            let (cells, state) = (self.cells.as_ptr(), self.state.as_ptr());
            for (dx, dy) in [(0, 0), (-1, 0), (1, 0), (0, -1), (0, 1), (-2, 0), (2, 0), (0, -2), (0, 2), (-1, -1), (-1, 1), (1, -1), (1, 1)] {
                let column = idx.wrapping_add_signed(dx * self.stride[0] as isize + dy * self.stride[1] as isize);
                // SAFETY: prefetching never faults and has no visible
                // effect; the addresses are inside the padded arrays for
                // an accepted (interior) node and only computed otherwise.
                unsafe {
                    _mm_prefetch(cells.wrapping_add(column.wrapping_sub(2)) as *const i8, _MM_HINT_T0);
                    _mm_prefetch(cells.wrapping_add(column + 2) as *const i8, _MM_HINT_T0);
                    _mm_prefetch(state.wrapping_add(column) as *const i8, _MM_HINT_T0);
                }
            }
        }
    }

    /// Padded coordinates of the padded index `idx` (below `u32::MAX`:
    /// 32-bit division is the cheaper one).
    #[inline]
    fn node(&self, idx: usize) -> [usize; 3] {
        let idx = idx as u32;
        let (n1, n2) = (self.n[1] as u32, self.n[2] as u32);
        let rest = idx / n2;
        [(rest / n1) as usize, (rest % n1) as usize, (idx % n2) as usize]
    }

    /// True for a node initialised with its straight-ray time (within
    /// `init_radius` of the source): never updated.
    fn in_ball(&self, idx: usize) -> bool {
        let d = self.offset_from_source(self.node(idx));
        (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt() <= self.init_radius
    }

    /// Offset (km) of the node at padded coordinates `q` from the source.
    #[inline]
    fn offset_from_source(&self, q: [usize; 3]) -> [f64; 3] {
        std::array::from_fn(|a| self.origin[a] + (q[a] - PAD) as f64 * self.spacing[a] - self.source[a])
    }

    /// Accept the nodes of the source box within `radius_nodes` spacings of
    /// the source with straight-ray times, then queue their neighbours.
    /// Returns the count.
    fn initialise(&mut self, radius_nodes: f64) -> usize {
        let hmax = self.spacing.iter().cloned().fold(0.0, f64::max);
        let radius = radius_nodes * hmax;
        self.init_radius = radius;
        let mut lo = [0usize; 3];
        let mut hi = [0usize; 3];
        for k in 0..3 {
            let u_lo = ((self.source[k] - radius - self.origin[k]) * self.inv_spacing[k]).ceil();
            let u_hi = ((self.source[k] + radius - self.origin[k]) * self.inv_spacing[k]).floor();
            lo[k] = (u_lo.max(0.0) as usize + PAD).max(self.lo[k]);
            hi[k] = (u_hi.max(0.0) as usize + PAD).min(self.hi[k]);
        }
        let mut ball = Vec::new();
        for ix in lo[0]..=hi[0] {
            for iy in lo[1]..=hi[1] {
                for iz in lo[2]..=hi[2] {
                    let d = self.offset_from_source([ix, iy, iz]);
                    let r = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
                    if r <= radius {
                        let idx = ix * self.stride[0] + iy * self.stride[1] + iz;
                        let cell = &mut self.cells[idx];
                        let mean_slowness = 0.5 * (self.source_slowness + cell.slowness as f64);
                        let t0 = self.source_slowness * r;
                        let t = r * mean_slowness;
                        cell.t = t as f32;
                        cell.tau = if t0 > 0.0 { t / t0 } else { 1.0 };
                        self.state[idx] = KNOWN | FROZEN;
                        ball.push(idx);
                    }
                }
            }
        }
        for &idx in &ball {
            self.update_neighbours(idx);
        }
        ball.len()
    }

    /// Recompute the face neighbours of the node `idx` that are not frozen.
    #[inline]
    fn update_neighbours(&mut self, idx: usize) {
        let q = self.node(idx);
        for a in 0..3 {
            let s = self.stride[a];
            let mut nb = q;
            nb[a] -= 1;
            self.update(idx - s, nb);
            nb[a] += 2;
            self.update(idx + s, nb);
        }
    }

    /// Solve the local discrete eikonal equation at `idx` (padded
    /// coordinates `q`) from its accepted neighbours; queue the node if its
    /// time improved.
    #[inline]
    fn update(&mut self, idx: usize, q: [usize; 3]) {
        let state = self.state[idx];
        if state & FROZEN != 0 {
            return;
        }
        if state & POLISHED != 0 && !self.has_unpolished_known_neighbour(idx) {
            return;
        }
        let here = self.cells[idx];
        let d = self.offset_from_source(q);
        let r = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
        let t0 = self.source_slowness * r;
        let slowness = here.slowness as f64;
        // Unit direction scaled by the source slowness: ∇T0.
        let grad_t0 = if r > 0.0 {
            let k = self.source_slowness / r;
            d.map(|c| c * k)
        } else {
            [0.0; 3]
        };

        // One term per axis, in fixed slots: an axis without a neighbour
        // gets the zero term (a = b = 0), which adds nothing to the
        // quadratic and passes every causality test, so the common case
        // runs without data-dependent branches on the neighbour pattern.
        let mut terms = [AxisTerm::default(); 3];
        let mut any = false;
        for (a, term) in terms.iter_mut().enumerate() {
            let s = self.stride[a];
            let t_below = if self.state[idx - s] & KNOWN != 0 { self.cells[idx - s].t } else { f32::INFINITY };
            let t_above = if self.state[idx + s] & KNOWN != 0 { self.cells[idx + s].t } else { f32::INFINITY };
            let from_below = t_below <= t_above;
            let t_up = if from_below { t_below } else { t_above };
            if t_up == f32::INFINITY {
                // No accepted neighbour: the node is (discretely) a
                // local minimum along this axis. Where the cone T0 is
                // itself flat at the grid scale there (|∂T0/∂x_a| <=
                // s0·h/r, e.g. just off a plane through an off-node
                // source) keep its known part `tau·∂T0/∂x_a` rather
                // than taking the derivative as zero; this is the
                // factored estimate with ∂tau/∂x_a ~ 0.
                if grad_t0[a].abs() * r <= self.source_slowness * self.spacing[a] {
                    *term = AxisTerm::first_order(grad_t0[a].abs(), 0.0, f64::INFINITY);
                    any = true;
                }
                continue;
            }
            any = true;
            // (neighbour, d): d = +1 when the neighbour is below (i - e_a).
            let (nb, nn, dir) = if from_below { (idx - s, idx - 2 * s, 1.0) } else { (idx + s, idx + 2 * s, -1.0) };
            let (nb_cell, nn_cell) = (&self.cells[nb], &self.cells[nn]);
            // Second upwind node, two nodes away on the same side (a ghost
            // when outside the grid: never known).
            let second = self.second_order
                && self.state[nn] & KNOWN != 0
                && nn_cell.t <= nb_cell.t
                && tau_resolved(nb_cell, nn_cell);
            let qa = t0 * self.inv_spacing[a];
            *term = axis_term(dir * grad_t0[a], qa, nb_cell, second.then_some(nn_cell));
        }
        if !any {
            return;
        }
        let Some(new_tau) = fast_root(&terms, slowness, t0).or_else(|| {
            // Rare: some axis is not causal, or the second-order root is
            // not an upwind time; the general path (subsets of axes,
            // first-order fallback) on the axes that have a term.
            let mut used = [AxisTerm::default(); 3];
            let mut count = 0;
            for t in terms.iter().filter(|t| t.a != 0.0 || t.b != 0.0) {
                used[count] = *t;
                count += 1;
            }
            upwind_root(&mut used[..count], slowness, t0)
        }) else {
            return;
        };
        let new_t = t0 * new_tau;
        if new_tau < here.tau {
            let cell = &mut self.cells[idx];
            cell.t = new_t as f32;
            cell.tau = new_tau;
            self.queue.push(new_t, idx as u32);
            self.state[idx] = state & !POLISHED;
        }
    }

    /// True when a face neighbour of `idx` is accepted and not `POLISHED`.
    #[inline]
    fn has_unpolished_known_neighbour(&self, idx: usize) -> bool {
        self.stride.iter().any(|&s| {
            [idx - s, idx + s].iter().any(|&nb| self.state[nb] & (KNOWN | POLISHED) == KNOWN)
        })
    }
}

/// Half-widths (nodes) of the box around the source that is converged by
/// sweeping before the global march.
///
/// Why a box: fast marching accepts nodes in time order, so an axis whose
/// two neighbours are both later (a discrete local minimum of `T` along the
/// axis) is left out of the update. Near the source the wavefront curvature
/// makes the nodes beside a ray later than the ray node even where the true
/// derivative along that axis is not zero (rays bent by a velocity gradient
/// `|∇v|`): the march then propagates straight rays there and the error
/// behaves like `h^1.5` instead of `h²`. This happens within about
/// `R* = sqrt(v·h / |∇v|)` of the source. Inside the box, factored Godunov
/// sweeps use all neighbours (the upwind side is chosen from the factored
/// derivatives, not from the time order), which removes the defect; the box
/// reaches `2·R*` when [`EikonalOptions::source_box_nodes`] allows.
fn box_half_width(velocity: &Grid3<f64>, source: [f64; 3], opts: &EikonalOptions) -> [usize; 3] {
    let g = &velocity.geometry;
    let c: [usize; 3] = std::array::from_fn(|k| {
        (((source[k] - g.origin_km[k]) / g.spacing_km[k]).round().max(0.0) as usize).min(g.n[k] - 1)
    });
    let v = |node: [usize; 3]| velocity.data[g.index(node[0], node[1], node[2])];
    let mut grad2 = 0.0;
    for a in 0..3 {
        let (lo, hi) = (c[a].saturating_sub(2), (c[a] + 2).min(g.n[a] - 1));
        if hi == lo {
            continue; // one node along this axis (the 2D plane of `axisymmetric`)
        }
        let (mut n_lo, mut n_hi) = (c, c);
        n_lo[a] = lo;
        n_hi[a] = hi;
        let dv = (v(n_hi) - v(n_lo)) / ((hi - lo) as f64 * g.spacing_km[a]);
        grad2 += dv * dv;
    }
    let hmax = g.spacing_km.iter().cloned().fold(0.0, f64::max);
    let r_star = if grad2 > 0.0 { (v(c) * hmax / grad2.sqrt()).sqrt() } else { f64::INFINITY };
    let min_half = opts.source_radius_nodes.ceil() as usize + 2;
    let max_half = opts.source_box_nodes.max(min_half);
    std::array::from_fn(|a| {
        let want = (2.0 * r_star / g.spacing_km[a]).ceil();
        if want.is_finite() {
            (want as usize).clamp(min_half, max_half)
        } else {
            max_half
        }
    })
}

impl Marcher {
    /// Gauss-Seidel sweeps over the source box in the 8 axis orders until
    /// `tau` changes by less than [`SWEEP_TOLERANCE`] (or `max_iterations`
    /// rounds of 8).
    fn polish_box(&mut self, max_iterations: usize) {
        let (lo, hi) = (self.lo, self.hi);
        let size: [usize; 3] = std::array::from_fn(|k| hi[k] - lo[k] + 1);
        // Locking (Bak, McLaughlin & Renzi 2010): a node is recomputed only
        // when a neighbour changed by more than LOCK_TOLERANCE since its
        // last update (its update depends on nothing else), so the later
        // rounds, where most of the box has converged, cost little.
        let mut active = vec![true; size[0] * size[1] * size[2]];
        let local = |q: [usize; 3]| ((q[0] - lo[0]) * size[1] + (q[1] - lo[1])) * size[2] + (q[2] - lo[2]);
        for _ in 0..max_iterations {
            let mut change: f64 = 0.0;
            for order in 0..8 {
                let along = |k: usize, i: usize| if order >> k & 1 == 1 { hi[k] - i } else { lo[k] + i };
                for i in 0..size[0] {
                    let ix = along(0, i);
                    for j in 0..size[1] {
                        let iy = along(1, j);
                        for k in 0..size[2] {
                            let iz = along(2, k);
                            let q = [ix, iy, iz];
                            let at = local(q);
                            if !active[at] {
                                continue;
                            }
                            active[at] = false;
                            let idx = ix * self.stride[0] + iy * self.stride[1] + iz;
                            if let Some((tau, t)) = self.godunov_update(idx, q) {
                                let delta = (tau - self.cells[idx].tau).abs();
                                change = change.max(delta);
                                self.cells[idx].tau = tau;
                                self.cells[idx].t = t as f32;
                                if delta > LOCK_TOLERANCE {
                                    for a in 0..3 {
                                        let step = [size[1] * size[2], size[2], 1][a];
                                        if q[a] > lo[a] {
                                            active[at - step] = true;
                                        }
                                        if q[a] < hi[a] {
                                            active[at + step] = true;
                                        }
                                    }
                                    // Its own update depends on its value
                                    // (the side choice): once more.
                                    active[at] = true;
                                }
                            }
                        }
                    }
                }
            }
            if change < SWEEP_TOLERANCE {
                break;
            }
        }
    }

    /// Factored Godunov update of box node `idx` from all its box
    /// neighbours: per axis the side with the larger positive one-sided
    /// derivative `D` is upwind (none when both are <= 0). Returns the new
    /// `(tau, T)`, or `None` for the initialised nodes.
    fn godunov_update(&self, idx: usize, node: [usize; 3]) -> Option<(f64, f64)> {
        let d = self.offset_from_source(node);
        let r = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
        if r <= self.init_radius {
            return None;
        }
        let t0 = self.source_slowness * r;
        let slowness = self.cells[idx].slowness as f64;
        let grad_t0 = d.map(|c| c * self.source_slowness / r);
        // The two one-sided terms of each axis (a missing side, outside the
        // box, never wins: its `D` is -inf).
        let none = AxisTerm { b: f64::INFINITY, ..AxisTerm::default() };
        let mut sides = [[none; 2]; 3];
        for (a, axis) in sides.iter_mut().enumerate() {
            let s = self.stride[a];
            let q = t0 * self.inv_spacing[a];
            // The second-order stencil as in the march: the farther node
            // no later than the nearer (monotone along the side) and `tau`
            // resolved between them. Without the monotone test the sweeps
            // extrapolated across a thin fast layer and converged to times
            // up to 50 % below |x - x_s| / v_max (`eikonal_small_grids`).
            let second = |nb: usize, nn: usize| {
                self.second_order && self.cells[nn].t <= self.cells[nb].t && tau_resolved(&self.cells[nb], &self.cells[nn])
            };
            if node[a] > self.lo[a] {
                let nn = (node[a] >= self.lo[a] + 2 && second(idx - s, idx - 2 * s)).then(|| &self.cells[idx - 2 * s]);
                axis[0] = axis_term(grad_t0[a], q, &self.cells[idx - s], nn);
            }
            if node[a] < self.hi[a] {
                let nn = (node[a] + 2 <= self.hi[a] && second(idx + s, idx + 2 * s)).then(|| &self.cells[idx + 2 * s]);
                axis[1] = axis_term(-grad_t0[a], q, &self.cells[idx + s], nn);
            }
        }
        let mut tau = self.cells[idx].tau;
        // Choose the sides at the current estimate, solve, choose again.
        for _ in 0..2 {
            // Per axis the side with the larger positive D (the later side
            // on a tie), else the zero term (the axis is left out).
            let mut terms = [AxisTerm::default(); 3];
            let mut any = false;
            for (term, [below, above]) in terms.iter_mut().zip(&sides) {
                let (d_below, d_above) = (below.a * tau - below.b, above.a * tau - above.b);
                let (best, d) = if d_above >= d_below { (above, d_above) } else { (below, d_below) };
                if d > 0.0 {
                    *term = *best;
                    any = true;
                }
            }
            if !any {
                return None;
            }
            tau = match fast_root(&terms, slowness, t0) {
                Some(tau) => tau,
                None => {
                    let mut used = [AxisTerm::default(); 3];
                    let mut count = 0;
                    for t in terms.iter().filter(|t| t.a != 0.0 || t.b != 0.0) {
                        used[count] = *t;
                        count += 1;
                    }
                    upwind_root(&mut used[..count], slowness, t0)?
                }
            };
        }
        Some((tau, t0 * tau))
    }
}

/// Largest relative change of `tau` between the two upwind nodes for which
/// the second-order stencil is used.
const MAX_TAU_JUMP: f64 = 0.5;

/// True when `tau` changes by at most [`MAX_TAU_JUMP`] (relative) between
/// the upwind nodes `nb` and `nn`: the second-order stencil assumes `tau`
/// smooth over it. A larger jump means a velocity contrast not resolved at
/// the grid scale (in a smooth medium `tau` changes by `O(h·|∇v|/v)` per
/// node, a few per cent at most), where the quadratic extrapolation
/// `2·tau_n - tau_nn/2` overshoots and first order is used instead.
#[inline]
fn tau_resolved(nb: &Cell, nn: &Cell) -> bool {
    (nn.tau - nb.tau).abs() <= MAX_TAU_JUMP * nb.tau
}

/// The term of one axis from its upwind neighbour `nb` (and the next one,
/// `nn`, for the second-order stencil): `dir_grad_t0 = d·∂T0/∂x_a` (s/km),
/// `q = T0_i / h_a` (s/km).
#[inline]
fn axis_term(dir_grad_t0: f64, q: f64, nb: &Cell, nn: Option<&Cell>) -> AxisTerm {
    let (a1, b1) = (dir_grad_t0 + q, nb.tau * q);
    match nn {
        Some(nn) => AxisTerm { a: dir_grad_t0 + 1.5 * q, b: (2.0 * nb.tau - 0.5 * nn.tau) * q, a1, b1, t_up: nb.t as f64 },
        None => AxisTerm { a: a1, b: b1, a1, b1, t_up: nb.t as f64 },
    }
}

/// The common case of [`upwind_root`], without branches on the data: the
/// larger root of the quadratic over the three axis slots (zero terms for
/// axes without a neighbour) when every axis is causal and the time is an
/// upwind one; `None` sends the caller to [`upwind_root`], which then
/// returns the same value as this would have, or handles the other cases.
#[inline]
fn fast_root(terms: &[AxisTerm; 3], slowness: f64, t0: f64) -> Option<f64> {
    let (mut aa, mut ab, mut bb) = (0.0, 0.0, 0.0);
    for t in terms {
        aa += t.a * t.a;
        ab += t.a * t.b;
        bb += t.b * t.b;
    }
    let disc = ab * ab - aa * (bb - slowness * slowness);
    let tau = (ab + disc.max(0.0).sqrt()) / aa;
    let tol = 1e-12 * slowness;
    let mut causal = aa > 0.0 && disc >= 0.0;
    let mut earliest = f64::INFINITY;
    for t in terms {
        let d = t.a * tau - t.b;
        causal &= d >= -tol;
        earliest = if d > tol { earliest.min(t.t_up) } else { earliest };
    }
    let upwind = tau.is_finite() && tau > 0.0 && (earliest == f64::INFINITY || t0 * tau >= earliest);
    (causal && upwind).then_some(tau)
}

/// [`best_causal_root`] of `terms`, kept only when it is an upwind time:
/// finite, `tau > 0` and `T_i = T0_i·tau` not earlier than every upwind
/// neighbour it was computed from (a node whose every used neighbour is
/// later would be a local minimum of `T`, which only the source is).
/// Otherwise the update is redone with first-order stencils on every axis
/// (and that solution kept when finite and positive).
///
/// Why: the second-order stencil extrapolates `tau` from two upwind nodes,
/// `2·tau_n - tau_nn/2`, which is meaningless across a strong velocity
/// contrast (`tau_nn > 4·tau_n` makes it negative). The quadratic then has
/// a negative root that passes the `D >= 0` test, and on a grid small
/// enough for the source box to cover it the box sweeps amplified it to
/// times of about -1e6 s. The first-order factored update with positive
/// upwind `tau` always gives `tau > 0` (every `D = a·tau - b >= 0` with
/// `a, b > 0`), so the fallback is causal.
#[inline]
fn upwind_root(terms: &mut [AxisTerm], slowness: f64, t0: f64) -> Option<f64> {
    let tol = 1e-12 * slowness;
    let is_upwind = |terms: &[AxisTerm], tau: f64| {
        let earliest = terms.iter().filter(|t| t.a * tau - t.b > tol).map(|t| t.t_up).fold(f64::INFINITY, f64::min);
        tau.is_finite() && tau > 0.0 && (earliest.is_infinite() || t0 * tau >= earliest)
    };
    let tau = best_causal_root(terms, slowness);
    let tau = match tau {
        Some(tau) if is_upwind(terms, tau) => return Some(tau),
        // Already first order: keep the factored first-order solution.
        _ if terms.iter().all(|t| t.a == t.a1 && t.b == t.b1) => tau,
        _ => {
            for t in terms.iter_mut() {
                *t = t.to_first_order();
            }
            best_causal_root(terms, slowness)
        }
    };
    tau.filter(|&tau| tau.is_finite() && tau > 0.0)
}

/// Larger root of `Σ (a_k·tau - b_k)² = s²` when every `a_k·tau - b_k >= 0`.
#[inline]
fn causal_root(terms: &[AxisTerm], slowness: f64) -> Option<f64> {
    let (mut aa, mut ab, mut bb) = (0.0, 0.0, 0.0);
    for t in terms {
        aa += t.a * t.a;
        ab += t.a * t.b;
        bb += t.b * t.b;
    }
    if aa <= 0.0 {
        return None;
    }
    let disc = ab * ab - aa * (bb - slowness * slowness);
    if disc < 0.0 {
        return None;
    }
    let tau = (ab + disc.sqrt()) / aa;
    // Causality with a tolerance for rounding on axes where D is ~0.
    let tol = 1e-12 * slowness;
    terms.iter().all(|t| t.a * tau - t.b >= -tol).then_some(tau)
}

/// The solution from all axes when causal, else the smallest causal solution
/// from a subset of axes.
#[inline]
fn best_causal_root(terms: &[AxisTerm], slowness: f64) -> Option<f64> {
    if let Some(tau) = causal_root(terms, slowness) {
        return Some(tau);
    }
    let k = terms.len();
    let mut best: Option<f64> = None;
    let mut consider = |tau: Option<f64>| {
        if let Some(t) = tau {
            if best.is_none_or(|b| t < b) {
                best = Some(t);
            }
        }
    };
    // Proper non-empty subsets: pairs (when k = 3) and singles.
    if k == 3 {
        for (i, j) in [(0, 1), (0, 2), (1, 2)] {
            consider(causal_root(&[terms[i], terms[j]], slowness));
        }
    }
    if k >= 2 {
        for t in terms {
            consider(causal_root(std::slice::from_ref(t), slowness));
        }
    }
    best
}
