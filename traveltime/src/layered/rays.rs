//! Exact first arrivals in a stack of flat homogeneous layers.
//!
//! Hand-written because it is the project's own numerical craft: the direct
//! ray is found by a safeguarded Newton iteration on the distance equation
//! X(p) = Δ, parametrised by the tangent of the take-off angle in the fastest
//! layer the ray crosses (so that the singular limit p → 1/v_max becomes a
//! linear asymptote, X ≈ H_fast·tan θ), and head waves use their closed form
//! T = Δ/V + Σ h_i η_i with η_i = sqrt(1/v_i² − 1/V²).
//!
//! Conventions: depths km positive down, Δ km, velocities km/s, times s.
//! Points are given with an explicit layer index so that a point exactly on
//! an interface can be evaluated as the limit from the layer above or below
//! (the table uses both one-sided limits at interface nodes).

/// A first arrival and its derivatives with respect to the source position.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Arrival {
    /// Travel time (s).
    pub time_s: f64,
    /// dT/dΔ (s/km): the ray parameter.
    pub dt_ddist: f64,
    /// dT/dz of the source depth (s/km), one-sided per the given layer.
    pub dt_dz: f64,
    /// d²T/dΔdz (s/km²) = dp/dz.
    pub d2t_ddist_dz: f64,
    /// Which wave: `None` for the direct ray, `Some(i)` for the head wave
    /// along interface `i` (the top of layer `i`).
    pub head_interface: Option<usize>,
}

/// Layer tops (km) and velocities (km/s) of one phase.
#[derive(Debug, Clone)]
pub struct LayerStack {
    tops: Vec<f64>,
    v: Vec<f64>,
}

impl LayerStack {
    /// Tops (km, strictly increasing) and velocities (km/s, positive), as
    /// validated by the model.
    pub fn new(tops: &[f64], v: &[f64]) -> Self {
        debug_assert_eq!(tops.len(), v.len());
        LayerStack { tops: tops.to_vec(), v: v.to_vec() }
    }

    /// Number of layers (the last is the half-space).
    pub fn len(&self) -> usize {
        self.v.len()
    }

    /// Whether there are no layers.
    pub fn is_empty(&self) -> bool {
        self.v.is_empty()
    }

    /// Whether depth `z` lies in layer `j` (boundaries included; the first
    /// layer extends up without bound, the last down).
    fn contains(&self, j: usize, z: f64) -> bool {
        let top_ok = j == 0 || z >= self.tops[j];
        let bot_ok = j + 1 >= self.tops.len() || z <= self.tops[j + 1];
        top_ok && bot_ok
    }

    /// Segments (thickness km, velocity km/s) of the vertical path between
    /// `(za, ja)` above and `(zb, jb)` below.
    fn segments(&self, za: f64, ja: usize, zb: f64, jb: usize, out: &mut Vec<(f64, f64)>) {
        out.clear();
        for j in ja..=jb {
            let a = if j == ja { za } else { self.tops[j] };
            let b = if j == jb { zb } else { self.tops[j + 1] };
            out.push(((b - a).max(0.0), self.v[j]));
        }
    }

    /// The direct ray alone (no head waves) between a source at epicentral
    /// distance `dist` (km) and depth `z` in layer `js`, and the station at
    /// depth `zr` in layer `jr`. For an end exactly on the top of a faster
    /// layer it is assigned to, this is the grazing limit (p = 1/v of that
    /// layer beyond the critical distance).
    pub fn direct_arrival(&self, dist: f64, z: f64, js: usize, zr: f64, jr: usize) -> Arrival {
        debug_assert!(self.contains(js, z) && self.contains(jr, zr));
        let mut segs = Vec::with_capacity(self.v.len());
        let source_deeper = z > zr || (z == zr && js >= jr);
        let (sign, za, ja, zb, jb) = if source_deeper { (1.0, zr, jr, z, js) } else { (-1.0, z, js, zr, jr) };
        self.segments(za, ja, zb, jb, &mut segs);
        direct(dist, &segs, self.v[js], sign)
    }

    /// Exact first arrival between a source at epicentral distance `dist`
    /// (km) and depth `z` in layer `js`, and the station at depth `zr` in
    /// layer `jr`. The layer indices must contain the depths (a depth on an
    /// interface may be given either adjacent layer).
    pub fn first_arrival(&self, dist: f64, z: f64, js: usize, zr: f64, jr: usize) -> Arrival {
        let mut best = self.direct_arrival(dist, z, js, zr, jr);
        // Head waves along interfaces below both ends, where the lower medium
        // is faster than every layer either leg crosses ...
        let jtop = js.min(jr);
        let jbot = js.max(jr);
        let vmax_between = self.v[jtop..=jbot].iter().cloned().fold(0.0, f64::max);
        let mut vmax = vmax_between;
        for k in jbot + 1..self.v.len() {
            if self.v[k] > vmax {
                if let Some(a) = self.head_wave(dist, z, js, zr, jr, k, k) {
                    if a.time_s < best.time_s {
                        best = a;
                    }
                }
            }
            vmax = vmax.max(self.v[k]);
        }
        // ... and above both ends, where the upper medium is faster (under a
        // low-velocity layer).
        let mut vmax = vmax_between;
        for k in (0..jtop).rev() {
            if self.v[k] > vmax {
                if let Some(a) = self.head_wave(dist, z, js, zr, jr, k, k + 1) {
                    if a.time_s < best.time_s {
                        best = a;
                    }
                }
            }
            vmax = vmax.max(self.v[k]);
        }
        best
    }

    /// The head wave travelling in layer `k` along interface `i` (the top of
    /// layer `i`: `i == k` below both ends, `i == k + 1` above both ends),
    /// if the distance is beyond critical.
    #[allow(clippy::too_many_arguments)]
    fn head_wave(&self, dist: f64, z: f64, js: usize, zr: f64, jr: usize, k: usize, i: usize) -> Option<Arrival> {
        let p = 1.0 / self.v[k];
        let (mut tau, mut xc) = (0.0, 0.0);
        for (zz, jj) in [(z, js), (zr, jr)] {
            let layers = if i == k { jj..k } else { i..jj + 1 };
            for j in layers {
                let h = if i == k {
                    let a = if j == jj { zz } else { self.tops[j] };
                    (self.tops[j + 1] - a).max(0.0)
                } else {
                    let b = if j == jj { zz } else { self.tops[j + 1] };
                    (b - self.tops[j]).max(0.0)
                };
                let e = eta(self.v[j], p);
                tau += h * e;
                if h > 0.0 {
                    xc += h * p / e;
                }
            }
        }
        let down = if i == k { -1.0 } else { 1.0 };
        (dist >= xc).then(|| Arrival {
            time_s: dist * p + tau,
            dt_ddist: p,
            dt_dz: down * eta(self.v[js], p),
            d2t_ddist_dz: 0.0,
            head_interface: Some(i),
        })
    }
}

/// One head wave for sources in a given layer, linear in distance and
/// source depth: `T = Δ·slowness + intercept + z·dt_dz`, existing where
/// `Δ >= x0 + z·dx_dz`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeadWave {
    /// The interface it travels along (the top of layer `interface`).
    pub interface: usize,
    /// 1/V (s/km) of the faster medium.
    pub slowness: f64,
    /// Time intercept (s) at source depth 0 (extrapolated within the layer).
    pub intercept: f64,
    /// dT/dz (s/km): minus (interface below) or plus (interface above) the
    /// vertical slowness in the source layer.
    pub dt_dz: f64,
    /// Critical distance (km) at source depth 0 (extrapolated).
    pub x0: f64,
    /// d(critical distance)/dz: ∓ the tangent of the critical angle in the
    /// source layer.
    pub dx_dz: f64,
}

impl HeadWave {
    /// Time (s) at epicentral distance `dist` and depth `z` (km) when the
    /// head wave exists there (distance beyond critical).
    #[inline(always)]
    pub fn time(&self, dist: f64, z: f64) -> Option<f64> {
        if dist >= self.x0 + z * self.dx_dz {
            Some(dist * self.slowness + self.intercept + z * self.dt_dz)
        } else {
            None
        }
    }
}

/// All head waves of one station (depth fixed), grouped by source layer.
#[derive(Debug, Clone, Default)]
pub struct HeadWaves {
    per_layer: Vec<Vec<HeadWave>>,
}

impl HeadWaves {
    /// The head waves of a station at depth `zr` in layer `jr`.
    pub fn new(stack: &LayerStack, zr: f64, jr: usize) -> Self {
        let n = stack.v.len();
        let v = &stack.v;
        let tops = &stack.tops;
        let mut per_layer = vec![Vec::new(); n];
        for (j, list) in per_layer.iter_mut().enumerate() {
            let (jtop, jbot) = (j.min(jr), j.max(jr));
            // below both ends: along the top of layer k, k > jbot
            for k in jbot + 1..n {
                if !v[jtop..k].iter().all(|&x| x < v[k]) {
                    continue;
                }
                let p = 1.0 / v[k];
                let (mut tau, mut xc) = (0.0, 0.0);
                // station leg from zr down to the interface, full layers of
                // the source leg below the source layer
                let full = (jr..k).map(|l| (l, if l == jr { zr } else { tops[l] })).chain((j + 1..k).map(|l| (l, tops[l])));
                for (l, a) in full {
                    let h = (tops[l + 1] - a).max(0.0);
                    let e = eta(v[l], p);
                    tau += h * e;
                    xc += h * p / e;
                }
                // the part of the source layer below the source
                let (bot, e) = (tops[j + 1], eta(v[j], p));
                let tan = p / e;
                list.push(HeadWave { interface: k, slowness: p, intercept: tau + bot * e, dt_dz: -e, x0: xc + bot * tan, dx_dz: -tan });
            }
            // above both ends: along the bottom of layer k, k < jtop
            for k in (0..jtop).rev() {
                if !v[k + 1..=jbot].iter().all(|&x| x < v[k]) {
                    continue;
                }
                let p = 1.0 / v[k];
                let (mut tau, mut xc) = (0.0, 0.0);
                let full = (k + 1..=jr).map(|l| (l, if l == jr { zr } else { tops[l + 1] })).chain((k + 1..j).map(|l| (l, tops[l + 1])));
                for (l, b) in full {
                    let h = (b - tops[l]).max(0.0);
                    let e = eta(v[l], p);
                    tau += h * e;
                    xc += h * p / e;
                }
                // the part of the source layer above the source
                let (top, e) = (tops[j], eta(v[j], p));
                let tan = p / e;
                list.push(HeadWave { interface: k + 1, slowness: p, intercept: tau - top * e, dt_dz: e, x0: xc - top * tan, dx_dz: tan });
            }
        }
        HeadWaves { per_layer }
    }

    /// The head waves for sources in layer `j`.
    pub fn for_layer(&self, j: usize) -> &[HeadWave] {
        &self.per_layer[j]
    }
}

/// Vertical slowness sqrt(1/v² − p²) (s/km), clamped at zero.
#[inline]
fn eta(v: f64, p: f64) -> f64 {
    ((1.0 / v - p) * (1.0 / v + p)).max(0.0).sqrt()
}

/// The direct ray through `segs` (thickness km, velocity km/s) reaching
/// epicentral distance `dist`; `v_src` is the source layer's velocity and
/// `sign` is +1 when the source is the deeper end (−1 when shallower).
fn direct(dist: f64, segs: &[(f64, f64)], v_src: f64, sign: f64) -> Arrival {
    let vmax = segs.iter().map(|s| s.1).fold(0.0, f64::max);
    let h_total: f64 = segs.iter().map(|s| s.0).sum();
    let h_fast: f64 = segs.iter().filter(|s| s.1 == vmax).map(|s| s.0).sum();

    if dist == 0.0 {
        let t: f64 = segs.iter().map(|&(h, v)| h / v).sum();
        return Arrival { time_s: t, dt_ddist: 0.0, dt_dz: sign / v_src, d2t_ddist_dz: 0.0, head_interface: None };
    }

    // p = s / vmax with s = sin of the take-off angle in the fastest layer.
    let p = if h_fast > 0.0 {
        // Unknown w = tan θ: X(w) = h_fast·w + (bounded terms), and
        // h_fast·w <= X(w) <= h_total·w brackets the root.
        let eval = |w: f64| {
            let c2 = 1.0 / (1.0 + w * w);
            let s = w * c2.sqrt();
            let (mut x, mut dxds) = (0.0, 0.0);
            for &(h, v) in segs {
                if h == 0.0 {
                    continue;
                }
                let r = v / vmax;
                // 1 − r² s² written without cancellation near s → 1
                let q = (1.0 - r * r) + r * r * c2;
                let sq = q.sqrt();
                x += h * r * s / sq;
                dxds += h * r / (q * sq);
            }
            (x, dxds * c2 * c2.sqrt())
        };
        let w = solve_increasing(eval, dist / h_total, dist / h_fast, dist / h_total, dist, 1e-13 * (dist + h_total));
        w / (1.0 + w * w).sqrt() / vmax
    } else {
        // The fastest layers have no thickness (an end sits on their
        // boundary): X(s) is bounded by X(1).
        let eval = |s: f64| {
            let (mut x, mut dxds) = (0.0, 0.0);
            for &(h, v) in segs {
                if h == 0.0 {
                    continue;
                }
                let r = v / vmax;
                let q = 1.0 - r * r * s * s;
                let sq = q.sqrt();
                x += h * r * s / sq;
                dxds += h * r / (q * sq);
            }
            (x, dxds)
        };
        let (x_max, _) = eval(1.0);
        if dist >= x_max {
            // Grazing along the fast boundary: p = 1/vmax.
            let p = 1.0 / vmax;
            let t = dist * p + segs.iter().map(|&(h, v)| h * eta(v, p)).sum::<f64>();
            return Arrival {
                time_s: t,
                dt_ddist: p,
                dt_dz: sign * eta(v_src, p),
                d2t_ddist_dz: 0.0,
                head_interface: None,
            };
        }
        let s = solve_increasing(eval, 0.0, 1.0, 1.0, dist, 1e-13 * (dist + h_total));
        s / vmax
    };

    // T = pΔ + Σ h η (exact at the root; first-order insensitive to p).
    let mut t = dist * p;
    let mut dxdp = 0.0;
    for &(h, v) in segs {
        if h == 0.0 {
            continue;
        }
        let e = eta(v, p);
        t += h * e;
        dxdp += h / (v * v * e * e * e);
    }
    let e_src = eta(v_src, p);
    // dX/dz at fixed p is sign·tan(i_src) = sign·p/η_src; dp/dz = −(∂X/∂z)/(∂X/∂p).
    let d2 = if e_src > 0.0 && dxdp.is_finite() && dxdp > 0.0 { -sign * (p / e_src) / dxdp } else { 0.0 };
    Arrival { time_s: t, dt_ddist: p, dt_dz: sign * e_src, d2t_ddist_dz: d2, head_interface: None }
}

/// Root of an increasing function `f(x) = target` on `[lo, hi]` by Newton
/// steps kept inside a shrinking bracket (bisection when a step leaves it).
fn solve_increasing(f: impl Fn(f64) -> (f64, f64), mut lo: f64, mut hi: f64, x0: f64, target: f64, tol: f64) -> f64 {
    let mut x = x0.clamp(lo, hi);
    for _ in 0..200 {
        let (fx, dfx) = f(x);
        let e = fx - target;
        if e.abs() <= tol {
            return x;
        }
        if e < 0.0 {
            lo = x;
        } else {
            hi = x;
        }
        let mut xn = x - e / dfx;
        if !(xn > lo && xn < hi) {
            xn = 0.5 * (lo + hi);
        }
        if hi - lo <= 4.0 * f64::EPSILON * hi.abs().max(f64::MIN_POSITIVE) {
            return xn;
        }
        x = xn;
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn homogeneous_stack_is_straight_line() {
        let s = LayerStack::new(&[0.0, 10.0, 20.0], &[6.0, 6.0, 6.0]);
        for &(d, z) in &[(0.0, 5.0), (3.0, 0.0), (50.0, 25.0), (200.0, 15.0), (1.0, 19.999)] {
            let js = if z >= 20.0 { 2 } else if z >= 10.0 { 1 } else { 0 };
            let a = s.first_arrival(d, z, js, 0.0, 0);
            let r = f64::hypot(d, z);
            assert!((a.time_s - r / 6.0).abs() < 1e-10, "{d} {z}: {} vs {}", a.time_s, r / 6.0);
            if r > 0.0 {
                assert!((a.dt_ddist - d / r / 6.0).abs() < 1e-9);
                assert!((a.dt_dz - z / r / 6.0).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn interface_limits_agree() {
        // The first arrival is continuous across an interface: evaluating an
        // interface point as the bottom of the layer above or the top of the
        // layer below gives the same time.
        let s = LayerStack::new(&[0.0, 4.0, 30.0], &[5.0, 6.3, 8.0]);
        for &d in &[0.0, 1.0, 10.0, 40.0, 80.0, 150.0, 300.0] {
            for (k, &z) in [4.0, 30.0].iter().enumerate() {
                let above = s.first_arrival(d, z, k, 0.0, 0);
                let below = s.first_arrival(d, z, k + 1, 0.0, 0);
                assert!((above.time_s - below.time_s).abs() < 1e-9, "d={d} z={z}: {above:?} {below:?}");
                assert!((above.dt_ddist - below.dt_ddist).abs() < 1e-6, "d={d} z={z}: {above:?} {below:?}");
            }
        }
    }
}
