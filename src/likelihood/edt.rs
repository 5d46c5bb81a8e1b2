//! The equal-differential-time (EDT) term: every pair of arrivals of an
//! event compared through the difference of their times, so the origin time
//! cancels and a bad pick spoils only its own pairs.
//!
//! # Model
//!
//! Arrival `i` (station, phase) is observed at `t_i` (s) with scale `σ_i`
//! (s, pick and model error combined) and predicted at `t₀ + T_i(x)`. For a
//! pair `i < j`:
//!
//! ```text
//! m_ij(x) = (t_i − t_j) − (T_i(x) − T_j(x))                       (s)
//! s_ij²   = σ_i² + σ_j²                                          (s²)
//! p_ij(x) = N(m_ij; 0, s_ij²) = exp(−m_ij² / (2 s_ij²)) / (√(2π) s_ij)
//! L(x)    = [ Σ_{i<j} p_ij(x) ]^q                                 (1/s)^q
//! ∇ ln L  = q Σ_{i<j} π_ij (m_ij / s_ij²) (∇T_i − ∇T_j)          (1/km)
//! π_ij    = p_ij / Σ p_kl      (each pair's share of the sum)
//! ```
//!
//! The sum is taken as a log-sum-exp, so it never underflows: far from every
//! pair's intersection `ln L` stays finite (and its gradient points back).
//!
//! # Source
//!
//! Font, Kao, Lallemand, Liu & Chiao (2004), "Hypocentre determination
//! offshore of eastern Taiwan using the Maximum Intersection method",
//! GJI 158, 655–675; Lomax (2005), BSSA 95, 861–877. NonLinLoc
//! (`LOCMETH EDT`, function `CalcSolutionQuality_EDT` in `src/NLLocLib.c`
//! of github.com/alomax/NonLinLoc) sums, over pairs, `exp(−½ m²/s²)`
//! weighted by `1/s` (our `p_ij` up to the constant `√(2π)`), takes
//! `−ln` of the sum as the misfit and multiplies it by the number of
//! arrivals `n`: `ln L = n ln Σ`, i.e. `q = n` ([`EdtPower::N`]). Its
//! `EDT_OT_WT` variant adds an origin-time consistency weight, which is not
//! implemented here.
//!
//! # Scale, and the power `q`
//!
//! A pair's scale is `s_ij = √(σ_i² + σ_j²)`: the standard deviation of the
//! difference of two independent pick errors. The sum of pairs is not a
//! likelihood of the picks (it is NonLinLoc's pseudo-likelihood), so its
//! sharpness depends on `q`. With `n` arrivals of equal `σ` and small
//! residuals, `Σ_{i<j} m_ij² = n Σ_i (d_i − d̄)²` (`d_i = t_i − T_i(x)`), and
//! expanding the log-sum-exp to second order gives
//!
//! ```text
//! ln L ≈ const − (q/P) Σ_{i<j} m_ij² / (4σ²)       P = n(n−1)/2 pairs
//!      = const − (q/(n−1)) · Q/2
//! Q    = Σ_i (d_i − d̄)² / σ²   (the chi-square of the Gaussian likelihood
//!                                with the origin time marginalised)
//! ```
//!
//! so `q = n − 1` ([`EdtPower::NMinusOne`]) has the curvature of the
//! Gaussian likelihood when every pair residual is small against its scale.
//! Real picks are not like that: at the solution the pair residuals are at
//! their noise level, `m_ij ~ N(0, s_ij²)`. The Hessian of a log-sum-exp is
//! the `π`-weighted mean of the pairs' Hessians *plus* the `π`-covariance of
//! their gradients `g_ij = −(m_ij/s_ij²)∇m_ij`:
//!
//! ```text
//! ∇² ln Σ = Σ π_ij ∇²a_ij + [Σ π_ij g_ij g_ijᵀ − ḡ ḡᵀ]       ḡ = Σ π_ij g_ij
//!        ≈ −(1 − E_π[u] (1 − 1/k)) ⟨∇m∇mᵀ/s²⟩,   u = m²/s²
//! ```
//!
//! With `u ~ χ²₁` and `π ∝ e^{−u/2}`, `E_π[u] = E[u e^{−u/2}]/E[e^{−u/2}]
//! = 2^{−3/2}/2^{−1/2} = ½`; `ḡḡᵀ` removes the part of the gradients' spread
//! that is the mean of `k` independent terms, `1/k` of it, and the pair
//! differences of `n` arrivals hold `k = n − 1` independent ones. So the
//! curvature is `½(1 + 1/(n−1)) = n/(2(n−1))` of the small-residual one, and
//!
//! ```text
//! q = (n − 1) · 2(n − 1)/n = 2(n − 1)²/n          (EdtPower::Calibrated)
//! ```
//!
//! restores the Gaussian's curvature — the default. It gives `q = 1` for one
//! pair (`n = 2`), where the EDT term *is* the Gaussian S-P term with
//! `σ² = σ_P² + σ_S²`, exactly (constant included). The argument is a
//! second-order one (pairs share arrivals, sigmas differ); it is checked by
//! coverage: in `examples/edt_network.rs` (100 events, 6 stations, P σ
//! 0.1 s, S σ 0.2 s) the 90 % regions of `q = n − 1` cover the truth on
//! 1.00 of the events, those of the calibrated power on 0.97
//! (README, "Equal differential times"), and `tests/edt_coverage.rs` checks
//! it with fixed seeds. NonLinLoc's `q = n` is sharper than `n − 1` by
//! `n/(n−1)` only and over-covers like it.
//!
//! So the EDT's scale relates to the pick sigmas through the pair scale
//! `s_ij = √(σ_i² + σ_j²)` alone, and its width to the Gaussian's through
//! `q`: no separate scale parameter is fitted.
//!
//! # Cost
//!
//! `n` travel-time evaluations and `n(n−1)/2` exponentials per call, the
//! exponentials vectorised (four lanes with FMA where the CPU has AVX2,
//! detected at run time; two lanes of SSE2 otherwise) over flat per-pair
//! arrays with the pair constants precomputed; buffers are on the stack
//! (uninitialised beyond what is used) up to 64 arrivals, so no allocation;
//! an event with more arrivals uses heap buffers per call.
#![allow(clippy::needless_range_loop)] // loops over the 3 coordinates read best indexed

use super::absolute::Arrival;
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

/// The power `q` the pair sum is raised to (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EdtPower {
    /// `q = 2(n − 1)²/n`: the Gaussian likelihood's curvature when the pair
    /// residuals are at their noise level (calibrated 90 % regions); `1`
    /// for one station's P and S, exactly the S-P Gaussian.
    #[default]
    Calibrated,
    /// `q = n − 1`: the Gaussian likelihood's curvature when every pair
    /// residual is small (over-covers with real picks); exactly the S-P
    /// Gaussian for one station's P and S.
    NMinusOne,
    /// `q = n`: NonLinLoc's choice (`n/(n−1)` sharper than `n − 1`).
    N,
}

/// EDT term over the arrivals of an event (one station's P and S, or a
/// whole network).
#[derive(Clone)]
pub struct EdtTerm {
    arrivals: Vec<Arrival>,
    /// `t_i − shift` (s), for numerical range.
    centred: Vec<f64>,
    /// Per pair `(i, j)`, `i < j`, row-major over the upper triangle:
    /// `1/s_ij²` (1/s²).
    pair_inv_var: Vec<f64>,
    /// Per pair, `ln(1/(√(2π) s_ij)) − max_kl ln(1/(√(2π) s_kl))`: each
    /// pair's log normalisation relative to the largest, so `≤ 0`.
    pair_log_norm: Vec<f64>,
    /// `max_kl ln(1/(√(2π) s_kl))`, added back at the end.
    max_log_norm: f64,
    /// The power `q`.
    power: f64,
}

/// Arrivals whose buffers live on the stack in [`EdtTerm::eval`] (more
/// use heap buffers for that call).
const STACK_ARRIVALS: usize = 64;
/// Their pairs.
const STACK_PAIRS: usize = STACK_ARRIVALS * (STACK_ARRIVALS - 1) / 2;

/// Buffers of one evaluation: arrival residuals and travel-time gradients,
/// pair residuals and pair terms, per-arrival gradient weights. On the
/// stack and uninitialised up to [`STACK_ARRIVALS`] arrivals (only the
/// used length is written), so an evaluation neither allocates nor clears
/// a large buffer.
struct Scratch {
    d: SmallVec<[f64; STACK_ARRIVALS]>,
    g: SmallVec<[[f64; 3]; STACK_ARRIVALS]>,
    m: SmallVec<[f64; STACK_PAIRS]>,
    e: SmallVec<[f64; STACK_PAIRS]>,
    w: SmallVec<[f64; STACK_ARRIVALS]>,
}

/// `e[k] = exp(ln[k] − ½ m[k]² iv[k] − shift)` for every pair; returns
/// `Σ e[k]`. Runs the AVX-512 (eight lanes) or AVX2+FMA (four) build of
/// the loop when the CPU has those features (run-time detection: the crate
/// is compiled for baseline x86-64, which has only two SSE2 lanes), the
/// portable one otherwise;
/// both give the same values to rounding.
fn pair_exponentials(m: &[f64], iv: &[f64], ln: &[f64], shift: f64, e: &mut [f64]) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx512f") {
        // SAFETY: the function only needs AVX-512F (which implies AVX2 and FMA), just detected.
        return unsafe { pair_exponentials_avx512(m, iv, ln, shift, e) };
    }
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        // SAFETY: the function only needs AVX2 and FMA, just detected.
        return unsafe { pair_exponentials_avx2(m, iv, ln, shift, e) };
    }
    pair_exponentials_portable::<false>(m, iv, ln, shift, e)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn pair_exponentials_avx512(
    m: &[f64],
    iv: &[f64],
    ln: &[f64],
    shift: f64,
    e: &mut [f64],
) -> f64 {
    pair_exponentials_portable::<true>(m, iv, ln, shift, e)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn pair_exponentials_avx2(
    m: &[f64],
    iv: &[f64],
    ln: &[f64],
    shift: f64,
    e: &mut [f64],
) -> f64 {
    pair_exponentials_portable::<true>(m, iv, ln, shift, e)
}

/// `a·b + c`, fused when `FMA` (only where the CPU has it: without it
/// `f64::mul_add` is a slow library call).
#[inline(always)]
fn madd<const FMA: bool>(a: f64, b: f64, c: f64) -> f64 {
    if FMA {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

#[inline(always)]
fn pair_exponentials_portable<const FMA: bool>(
    m: &[f64],
    iv: &[f64],
    ln: &[f64],
    shift: f64,
    e: &mut [f64],
) -> f64 {
    let n = e.len();
    let (m, iv, ln) = (&m[..n], &iv[..n], &ln[..n]);
    for k in 0..n {
        e[k] = exp_non_positive::<FMA>(madd::<FMA>(-0.5 * m[k] * m[k], iv[k], ln[k]) - shift);
    }
    // Four partial sums (a fixed order, so both builds sum alike).
    let mut acc = [0.0; 4];
    let mut chunks = e.chunks_exact(4);
    for c in &mut chunks {
        for l in 0..4 {
            acc[l] += c[l];
        }
    }
    let tail: f64 = chunks.remainder().iter().sum();
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// `exp(x)` for `x ≤ 0`, branch-free so the pair loop vectorises:
/// `x = k ln 2 + r`, `|r| ≤ ln 2 / 2`, `exp(r)` by its Taylor series to
/// `r¹³` (truncation below 4e-18 relative), times `2^k` built in the
/// exponent bits. `0` for `x < −708` (where `exp` is below 3.3e-308; the
/// caller rescales when that matters). Within a few ulp of `f64::exp`
/// (`tests::exp_non_positive_matches_std`). Hand-written because no
/// vector-math crate gives both four lanes at run time and this range's
/// accuracy; the standard Cody–Waite reduction, nothing borrowed.
#[inline(always)]
fn exp_non_positive<const FMA: bool>(x: f64) -> f64 {
    const LOG2E: f64 = std::f64::consts::LOG2_E;
    // ln 2 split so that k·LN2_HI is exact for |k| < 2^11.
    const LN2_HI: f64 = 0.693_145_751_953_125;
    const LN2_LO: f64 = 1.428_606_820_309_417_232_12e-6;
    // 1.5·2^52: adding it rounds to an integer held in the low mantissa bits.
    const ROUND: f64 = 6_755_399_441_055_744.0;
    let under = x < -708.0;
    let xc = if under { -708.0 } else { x };
    let kr = madd::<FMA>(xc, LOG2E, ROUND);
    let k = kr - ROUND;
    let r = madd::<FMA>(-k, LN2_LO, madd::<FMA>(-k, LN2_HI, xc));
    let mut p = 1.0 / 6_227_020_800.0; // 1/13!
    for c in [
        1.0 / 479_001_600.0,
        1.0 / 39_916_800.0,
        1.0 / 3_628_800.0,
        1.0 / 362_880.0,
        1.0 / 40_320.0,
        1.0 / 5_040.0,
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
        0.5,
        1.0,
        1.0,
    ] {
        p = madd::<FMA>(p, r, c);
    }
    let ki = (kr.to_bits() as i64).wrapping_sub(ROUND.to_bits() as i64);
    let scale = f64::from_bits((ki.wrapping_add(1023) << 52) as u64);
    if under {
        0.0
    } else {
        p * scale
    }
}

/// Pairs whose terms underflow when taken relative to the largest possible
/// term: if the sum relative to it falls below this, the sum is redone
/// relative to the largest actual term (see [`EdtTerm::eval`]).
const RESCALE_BELOW: f64 = 1e-250;

impl std::fmt::Debug for EdtTerm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let a: Vec<_> = self
            .arrivals
            .iter()
            .map(|a| (&a.station, a.phase, a.time_s, a.sigma_s))
            .collect();
        f.debug_struct("EdtTerm")
            .field("arrivals", &a)
            .field("power", &self.power)
            .finish()
    }
}

impl EdtTerm {
    /// Term over `arrivals` (at least two give a pair; with fewer the term
    /// is constant 0) with power `power`.
    pub fn new(arrivals: Vec<Arrival>, power: EdtPower) -> Self {
        let n = arrivals.len();
        let shift = if n == 0 {
            0.0
        } else {
            arrivals.iter().map(|a| a.time_s).sum::<f64>() / n as f64
        };
        let centred = arrivals.iter().map(|a| a.time_s - shift).collect();
        let var: Vec<f64> = arrivals.iter().map(|a| a.sigma_s * a.sigma_s).collect();
        let half_ln_2pi = 0.5 * (2.0 * std::f64::consts::PI).ln();
        let mut pair_inv_var = Vec::with_capacity(n * n.saturating_sub(1) / 2);
        let mut pair_log_norm = Vec::with_capacity(pair_inv_var.capacity());
        for i in 0..n {
            for j in i + 1..n {
                let s2 = var[i] + var[j];
                pair_inv_var.push(1.0 / s2);
                pair_log_norm.push(-0.5 * s2.ln() - half_ln_2pi);
            }
        }
        let max_log_norm = pair_log_norm
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        for l in &mut pair_log_norm {
            *l -= max_log_norm;
        }
        let q = match power {
            EdtPower::NMinusOne => n.saturating_sub(1) as f64,
            EdtPower::N => n as f64,
            EdtPower::Calibrated if n == 0 => 0.0,
            EdtPower::Calibrated => 2.0 * ((n - 1) * (n - 1)) as f64 / n as f64,
        };
        EdtTerm {
            arrivals,
            centred,
            pair_inv_var,
            pair_log_norm,
            max_log_norm,
            power: q,
        }
    }

    /// The arrivals.
    pub fn arrivals(&self) -> &[Arrival] {
        &self.arrivals
    }

    /// The power `q` the pair sum is raised to.
    pub fn power(&self) -> f64 {
        self.power
    }

    /// Log likelihood at `x`; `-inf` outside a field's domain.
    pub fn log_likelihood(&self, x: [f64; 3]) -> f64 {
        let mut g = [0.0; 3];
        self.eval(x, false, &mut g)
    }

    /// Log likelihood at `x`, its gradient (1/km) *added* to `grad`.
    pub fn log_likelihood_and_gradient(&self, x: [f64; 3], grad: &mut [f64; 3]) -> f64 {
        self.eval(x, true, grad)
    }

    /// The pair sum in three passes over flat per-pair arrays, so that the
    /// exponentials (the cost) run several at a time ([`pair_exponentials`]):
    ///
    /// 1. `d_i = t_i − T_i(x)` (and `∇T_i`), then `m_ij = d_i − d_j`;
    /// 2. `e_ij = exp(a_ij − A)` with `a_ij = ln N(m_ij; 0, s_ij²)` and
    ///    `A = max ln(1/(√(2π) s_ij))` — an upper bound of every `a_ij`, so
    ///    no term overflows and no running maximum is needed;
    /// 3. with the gradient, `w_ij = e_ij m_ij / s_ij²` gathered per
    ///    arrival, `Σ_ij w_ij (∇T_i − ∇T_j) = Σ_i ∇T_i (Σ_j w_ij − Σ_j w_ji)`.
    ///
    /// If `Σ e_ij < 1e-250` (far from every pair's intersection, where terms
    /// relative to `A` may underflow) the sum is redone relative to the
    /// largest actual `a_ij` instead of `A`; otherwise every term lost to
    /// underflow is below `2.3e-308` against a sum above `1e-250`, so the
    /// result equals the plain log-sum-exp to within rounding
    /// (`tests::equals_the_naive_pair_sum`).
    fn eval(&self, x: [f64; 3], with_grad: bool, grad: &mut [f64; 3]) -> f64 {
        let n = self.arrivals.len();
        if n < 2 {
            return 0.0;
        }
        let mut s = Scratch {
            d: SmallVec::new(),
            g: SmallVec::new(),
            m: SmallVec::new(),
            e: SmallVec::new(),
            w: SmallVec::new(),
        };
        self.eval_with(x, with_grad, grad, &mut s)
    }

    fn eval_with(&self, x: [f64; 3], with_grad: bool, grad: &mut [f64; 3], s: &mut Scratch) -> f64 {
        let n = self.arrivals.len();
        let np = self.pair_inv_var.len();
        // Sized by copying a slice of the right length (a memcpy; every
        // element is overwritten below): cheaper than `resize`'s loop.
        s.m.extend_from_slice(&self.pair_inv_var);
        s.e.extend_from_slice(&self.pair_inv_var);
        for (a, &t) in self.arrivals.iter().zip(&self.centred) {
            let r = if with_grad {
                a.field.time_and_gradient(x)
            } else {
                a.field.time(x).map(|tt| (tt, [0.0; 3]))
            };
            let Ok((tt, g)) = r else {
                return f64::NEG_INFINITY;
            };
            s.d.push(t - tt);
            s.g.push(g);
        }
        {
            // Row i of the triangle is m[k..k + n−1−i] = d_i − d[i+1..].
            let (d, mut m) = (&s.d[..], &mut s.m[..]);
            for i in 0..n - 1 {
                let (row, rest) = m.split_at_mut(n - 1 - i);
                for (mij, dj) in row.iter_mut().zip(&d[i + 1..]) {
                    *mij = d[i] - dj;
                }
                m = rest;
            }
        }
        // Pass 2: exponentials relative to `shift` (0 = relative to A).
        let sum_relative_to = |s: &mut Scratch, shift: f64| -> f64 {
            pair_exponentials(
                &s.m[..np],
                &self.pair_inv_var,
                &self.pair_log_norm,
                shift,
                &mut s.e[..np],
            )
        };
        let mut shift = 0.0;
        let mut sum = sum_relative_to(s, 0.0);
        if !(sum >= RESCALE_BELOW) {
            // Largest actual a_ij (relative to A), then the sum relative to it.
            shift = (0..np)
                .map(|p| self.pair_log_norm[p] - 0.5 * s.m[p] * s.m[p] * self.pair_inv_var[p])
                .fold(f64::NEG_INFINITY, f64::max);
            if !shift.is_finite() {
                return f64::NEG_INFINITY;
            }
            sum = sum_relative_to(s, shift);
        }
        if with_grad {
            s.w.extend_from_slice(&[0.0; STACK_ARRIVALS][..n.min(STACK_ARRIVALS)]);
            s.w.resize(n, 0.0);
            let mut k = 0;
            for i in 0..n {
                let mut wi = 0.0;
                for j in i + 1..n {
                    let w = s.e[k] * s.m[k] * self.pair_inv_var[k];
                    wi += w;
                    s.w[j] -= w;
                    k += 1;
                }
                s.w[i] += wi;
            }
            let f = self.power / sum;
            for i in 0..n {
                for c in 0..3 {
                    grad[c] += f * s.w[i] * s.g[i][c];
                }
            }
        }
        self.power * (self.max_log_norm + shift + sum.ln())
    }

    /// The pair sum as defined, one pair at a time with a running
    /// log-sum-exp and `f64::exp` (reference for tests; no buffers shared).
    #[cfg(test)]
    fn naive(&self, x: [f64; 3]) -> (f64, [f64; 3]) {
        let n = self.arrivals.len();
        let dg: Vec<(f64, [f64; 3])> = self
            .arrivals
            .iter()
            .zip(&self.centred)
            .map(|(a, t)| {
                let (tt, g) = a.field.time_and_gradient(x).unwrap();
                (t - tt, g)
            })
            .collect();
        let half_ln_2pi = 0.5 * (2.0 * std::f64::consts::PI).ln();
        let (mut max, mut sum, mut gs) = (f64::NEG_INFINITY, 0.0, [0.0; 3]);
        for i in 0..n {
            for j in i + 1..n {
                let s2 = self.arrivals[i].sigma_s.powi(2) + self.arrivals[j].sigma_s.powi(2);
                let m = dg[i].0 - dg[j].0;
                let a = -0.5 * m * m / s2 - 0.5 * s2.ln() - half_ln_2pi;
                let g: [f64; 3] = std::array::from_fn(|c| m / s2 * (dg[i].1[c] - dg[j].1[c]));
                if a > max {
                    let r = (max - a).exp();
                    sum = sum * r + 1.0;
                    for c in 0..3 {
                        gs[c] = gs[c] * r + g[c];
                    }
                    max = a;
                } else {
                    let e = (a - max).exp();
                    sum += e;
                    for c in 0..3 {
                        gs[c] += e * g[c];
                    }
                }
            }
        }
        (
            self.power * (max + sum.ln()),
            std::array::from_fn(|c| self.power * gs[c] / sum),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::likelihood::{ResidualModel, SMinusPTerm};
    use eqnemix_traveltime::{Homogeneous, Phase, Station, TravelTimeModel};

    fn station(i: usize, p: [f64; 3]) -> Station {
        Station {
            code: format!("S{i}"),
            position_km: p,
        }
    }

    /// Six stations, P and S each, picks from a source at `src` with origin
    /// time 3 s, P σ 0.1 s and S σ 0.2 s; `outlier_s` added to the first P.
    fn network(src: [f64; 3], outlier_s: f64) -> Vec<Arrival> {
        let m = Homogeneous::new(6.0, 3.5).unwrap();
        let pos = [
            [0.0, 0.0, 0.0],
            [20.0, 3.0, 0.0],
            [-15.0, 12.0, 0.2],
            [5.0, -18.0, 0.0],
            [14.0, 16.0, 0.1],
            [-10.0, -9.0, 0.0],
        ];
        let mut out = Vec::new();
        for (i, p) in pos.iter().enumerate() {
            let st = station(i, *p);
            for (phase, sigma) in [(Phase::P, 0.1), (Phase::S, 0.2)] {
                let f = m.field(&st, phase).unwrap();
                let mut t = 3.0 + f.time(src).unwrap();
                if i == 0 && phase == Phase::P {
                    t += outlier_s;
                }
                out.push(Arrival::new(st.code.clone(), phase, f, t, sigma));
            }
        }
        out
    }

    #[test]
    fn gradient_matches_finite_differences() {
        for power in [EdtPower::NMinusOne, EdtPower::N] {
            let term = EdtTerm::new(network([2.0, 3.0, 8.0], 2.0), power);
            for x in [[2.5, 2.0, 9.0], [-6.0, 10.0, 4.0], [12.0, -7.0, 15.0]] {
                let mut g = [0.0; 3];
                let l = term.log_likelihood_and_gradient(x, &mut g);
                assert!((l - term.log_likelihood(x)).abs() < 1e-9);
                let h = 1e-5;
                for k in 0..3 {
                    let (mut a, mut b) = (x, x);
                    a[k] += h;
                    b[k] -= h;
                    let fd = (term.log_likelihood(a) - term.log_likelihood(b)) / (2.0 * h);
                    assert!(
                        (fd - g[k]).abs() < 1e-5 * (1.0 + fd.abs()),
                        "{power:?} x {x:?} k {k}: fd {fd} analytic {}",
                        g[k]
                    );
                }
            }
        }
    }

    #[test]
    fn one_station_p_and_s_is_the_gaussian_s_minus_p_term() {
        let m = Homogeneous::new(6.0, 3.5).unwrap();
        let st = station(0, [1.0, -2.0, 0.0]);
        let (fp, fs) = (
            m.field(&st, Phase::P).unwrap(),
            m.field(&st, Phase::S).unwrap(),
        );
        let (tp, ts, sp, ss) = (12.3, 15.9, 0.07, 0.15);
        let edt = EdtTerm::new(
            vec![
                Arrival::new("S0".into(), Phase::P, fp.clone(), tp, sp),
                Arrival::new("S0".into(), Phase::S, fs.clone(), ts, ss),
            ],
            EdtPower::NMinusOne,
        );
        let sigma = (sp * sp + ss * ss).sqrt();
        let gauss = SMinusPTerm::new("S0".into(), fp, fs, ts - tp, sigma, ResidualModel::Gaussian);
        for x in [
            [3.0, 4.0, 5.0],
            [20.0, -1.0, 12.0],
            [0.5, 0.5, 0.5],
            [-40.0, 30.0, 2.0],
        ] {
            let (mut ge, mut gg) = ([0.0; 3], [0.0; 3]);
            let le = edt.log_likelihood_and_gradient(x, &mut ge);
            let lg = gauss.log_likelihood_and_gradient(x, &mut gg);
            assert!(
                (le - lg).abs() < 1e-12 * (1.0 + lg.abs()),
                "{x:?}: {le} vs {lg}"
            );
            for k in 0..3 {
                assert!(
                    (ge[k] - gg[k]).abs() < 1e-12 * (1.0 + gg[k].abs()),
                    "{x:?} k {k}"
                );
            }
        }
        let cal = EdtTerm::new(edt.arrivals().to_vec(), EdtPower::Calibrated);
        assert_eq!(cal.power(), 1.0);
        // NonLinLoc's power n = 2 squares it.
        let nll = EdtTerm::new(edt.arrivals().to_vec(), EdtPower::N);
        let x = [3.0, 4.0, 5.0];
        assert!((nll.log_likelihood(x) - 2.0 * gauss.log_likelihood(x)).abs() < 1e-12);
    }

    #[test]
    fn an_outlier_pick_barely_moves_the_maximum() {
        // Along a line through the true source, the EDT maximum stays at the
        // truth with a +2 s pick (its 11 pairs carry ~exp(-2²/(2·0.05)) of
        // weight), while the Gaussian marginal likelihood moves off.
        use crate::likelihood::AbsoluteTimesTerm;
        let truth = [2.0, 3.0, 8.0];
        let edt = EdtTerm::new(network(truth, 2.0), EdtPower::NMinusOne);
        let gauss = AbsoluteTimesTerm::new(network(truth, 2.0), ResidualModel::Gaussian);
        let argmax = |f: &dyn Fn([f64; 3]) -> f64| {
            (-300..=300)
                .map(|i| {
                    let x = [truth[0] + 0.01 * i as f64, truth[1], truth[2]];
                    (x[0], f(x))
                })
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .unwrap()
                .0
        };
        let e = argmax(&|x| edt.log_likelihood(x));
        let g = argmax(&|x| gauss.log_marginal(x));
        assert!((e - truth[0]).abs() <= 0.02, "EDT argmax {e}");
        assert!((g - truth[0]).abs() >= 0.3, "Gaussian argmax {g}");
    }

    /// The vectorised three-pass sum equals the one-pair-at-a-time
    /// log-sum-exp with `f64::exp` to 1e-12 relative, value and gradient:
    /// near the source (every pair counts), with an outlier, far outside
    /// the network (every term relative to the largest possible one
    /// underflows, so the rescaled path runs), for every pair count modulo
    /// the 4 lanes, and with 70 arrivals of mixed sigmas (heap buffers).
    #[test]
    fn equals_the_naive_pair_sum() {
        let src = [2.0, 3.0, 8.0];
        let mut cases: Vec<Vec<Arrival>> =
            (2..=12).map(|n| network(src, 0.0)[..n].to_vec()).collect();
        cases.push(network(src, 2.0));
        let m = Homogeneous::new(6.0, 3.5).unwrap();
        let mut big = Vec::new();
        for i in 0..35 {
            let a = i as f64 * 0.7;
            let st = station(i, [25.0 * a.cos(), 25.0 * a.sin(), 0.0]);
            for (phase, sigma) in [(Phase::P, 0.05 + 0.01 * (i % 4) as f64), (Phase::S, 0.2)] {
                let f = m.field(&st, phase).unwrap();
                let t = 3.0 + f.time(src).unwrap() + 0.03 * ((i * 7 % 5) as f64 - 2.0);
                big.push(Arrival::new(st.code.clone(), phase, f, t, sigma));
            }
        }
        cases.push(big);
        let mut rescaled = 0;
        for arrivals in cases {
            for power in [EdtPower::NMinusOne, EdtPower::N] {
                let term = EdtTerm::new(arrivals.clone(), power);
                for x in [
                    src,
                    [2.3, 2.6, 9.1],
                    [-6.0, 10.0, 4.0],
                    [300.0, -250.0, 40.0],
                    [900.0, 900.0, 0.5],
                ] {
                    let (l0, g0) = term.naive(x);
                    let mut g = [0.0; 3];
                    let l = term.log_likelihood_and_gradient(x, &mut g);
                    assert!(
                        (l - l0).abs() <= 1e-12 * l0.abs().max(1.0),
                        "n {} x {x:?}: {l} vs {l0}",
                        arrivals.len()
                    );
                    assert_eq!(l.to_bits(), term.log_likelihood(x).to_bits());
                    let gn = g0.iter().map(|v| v.abs()).fold(0.0, f64::max);
                    for c in 0..3 {
                        assert!(
                            (g[c] - g0[c]).abs() <= 1e-12 * gn.max(1e-300),
                            "n {} x {x:?} c {c}: {g:?} vs {g0:?}",
                            arrivals.len()
                        );
                    }
                    // Far away, a typical pair's a_ij is below −708 (relative to the best normalisation).
                    if l0 / term.power() < term.max_log_norm - 708.0 {
                        rescaled += 1;
                    }
                }
            }
        }
        assert!(rescaled > 0, "no case exercised the rescaled path");
    }

    #[test]
    fn exp_non_positive_matches_std() {
        let mut worst: f64 = 0.0;
        for i in 0..=200_000 {
            let x = (-708.0 * (i as f64 / 200_000.0).powi(2) - 1e-3 * (i % 7) as f64).max(-708.0);
            let b = x.exp();
            for a in [exp_non_positive::<false>(x), exp_non_positive::<true>(x)] {
                worst = worst.max((a - b).abs() / b);
            }
        }
        assert!(worst < 1e-15, "worst relative error {worst}");
        assert_eq!(exp_non_positive::<false>(0.0), 1.0);
        assert_eq!(exp_non_positive::<false>(-709.0), 0.0);
        assert_eq!(exp_non_positive::<false>(f64::NEG_INFINITY), 0.0);
        // Both builds of the pair loop agree.
        let m: Vec<f64> = (0..37).map(|k| 0.05 * k as f64 - 0.9).collect();
        let iv = vec![50.0; 37];
        let ln = vec![-0.3; 37];
        let (mut e1, mut e2) = (vec![0.0; 37], vec![0.0; 37]);
        let s1 = pair_exponentials(&m, &iv, &ln, 0.0, &mut e1);
        let s2 = pair_exponentials_portable::<false>(&m, &iv, &ln, 0.0, &mut e2);
        assert!((s1 - s2).abs() <= 1e-15 * s2);
    }

    #[test]
    fn fewer_than_two_arrivals_is_constant() {
        let a = network([0.0; 3], 0.0);
        let one = EdtTerm::new(a[..1].to_vec(), EdtPower::N);
        assert_eq!(one.log_likelihood([1.0, 1.0, 1.0]), 0.0);
        let many = EdtTerm::new(a, EdtPower::N);
        assert_eq!(many.power(), 12.0);
        assert!(many.log_likelihood([1.0, 1.0, 5.0]).is_finite());
    }
}
