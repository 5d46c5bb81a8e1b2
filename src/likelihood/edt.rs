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
//! so `q = n − 1` ([`EdtPower::NMinusOne`], the default) has the curvature of
//! the Gaussian likelihood near the solution: the same posterior width when
//! the picks are clean, with tails that forgive outliers. NonLinLoc's `q = n`
//! is sharper by `n/(n−1)`. That expansion holds where every pair residual
//! is small against its scale; with residuals of the order of the pick
//! sigmas (real, noisy picks) the Hessian of the log-sum-exp gains the
//! pairs' gradient variance and the EDT is flatter than the Gaussian: in
//! `examples/edt_network.rs` (100 events, 6 stations) its 90 % regions cover
//! the truth on 1.00 of events with either power, the Gaussian's on 0.86.
//! Calibrating `q` for that is open. For one station's P and S (`n = 2`, one pair)
//! with `q = 1`, the EDT term *is* the Gaussian S-P term with
//! `σ² = σ_P² + σ_S²`, exactly (constant included).
//!
//! # Cost
//!
//! `n` travel-time evaluations and `n(n−1)/2` exponentials per call; the
//! times and gradients are held in a stack buffer of
//! [`EdtTerm::STACK_ARRIVALS`] arrivals (no allocation); an event with more
//! arrivals than that uses a heap buffer per call.
#![allow(clippy::needless_range_loop)] // loops over the 3 coordinates read best indexed

use super::absolute::Arrival;
use serde::{Deserialize, Serialize};

/// The power `q` the pair sum is raised to (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EdtPower {
    /// `q = n − 1`: the Gaussian likelihood's curvature for clean picks;
    /// exactly the S-P Gaussian for one station's P and S.
    #[default]
    NMinusOne,
    /// `q = n`: NonLinLoc's choice (`n/(n−1)` sharper).
    N,
}

/// EDT term over the arrivals of an event (one station's P and S, or a
/// whole network).
#[derive(Clone)]
pub struct EdtTerm {
    arrivals: Vec<Arrival>,
    /// `t_i − shift` (s), for numerical range.
    centred: Vec<f64>,
    /// `σ_i²` (s²).
    var: Vec<f64>,
    /// The power `q`.
    power: f64,
}

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

/// Running log-sum-exp of `a_k` with the `a_k`-weighted sum of gradients.
struct LogSumExp {
    max: f64,
    sum: f64,
    grad: [f64; 3],
}

impl LogSumExp {
    #[inline]
    fn add(&mut self, a: f64, g: [f64; 3]) {
        if a > self.max {
            let r = (self.max - a).exp(); // 0 when max = -inf
            self.sum = self.sum * r + 1.0;
            for k in 0..3 {
                self.grad[k] = self.grad[k] * r + g[k];
            }
            self.max = a;
        } else {
            let e = (a - self.max).exp();
            self.sum += e;
            for k in 0..3 {
                self.grad[k] += e * g[k];
            }
        }
    }
}

impl EdtTerm {
    /// Arrivals whose times and gradients fit on the stack.
    pub const STACK_ARRIVALS: usize = 256;

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
        let var = arrivals.iter().map(|a| a.sigma_s * a.sigma_s).collect();
        let q = match power {
            EdtPower::NMinusOne => n.saturating_sub(1) as f64,
            EdtPower::N => n as f64,
        };
        EdtTerm {
            arrivals,
            centred,
            var,
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

    fn eval(&self, x: [f64; 3], with_grad: bool, grad: &mut [f64; 3]) -> f64 {
        let n = self.arrivals.len();
        if n < 2 {
            return 0.0;
        }
        if n <= Self::STACK_ARRIVALS {
            let mut buf = [(0.0, [0.0; 3]); Self::STACK_ARRIVALS];
            self.eval_with(x, with_grad, grad, &mut buf[..n])
        } else {
            let mut buf = vec![(0.0, [0.0; 3]); n];
            self.eval_with(x, with_grad, grad, &mut buf)
        }
    }

    /// `buf[i]` receives `(t_i − T_i(x), ∇T_i(x))`.
    fn eval_with(
        &self,
        x: [f64; 3],
        with_grad: bool,
        grad: &mut [f64; 3],
        buf: &mut [(f64, [f64; 3])],
    ) -> f64 {
        for ((a, &t), b) in self.arrivals.iter().zip(&self.centred).zip(buf.iter_mut()) {
            let r = if with_grad {
                a.field.time_and_gradient(x)
            } else {
                a.field.time(x).map(|tt| (tt, [0.0; 3]))
            };
            let Ok((tt, g)) = r else {
                return f64::NEG_INFINITY;
            };
            *b = (t - tt, g);
        }
        let half_ln_2pi = 0.5 * (2.0 * std::f64::consts::PI).ln();
        let mut lse = LogSumExp {
            max: f64::NEG_INFINITY,
            sum: 0.0,
            grad: [0.0; 3],
        };
        for i in 0..buf.len() {
            let (di, gi) = buf[i];
            for j in i + 1..buf.len() {
                let (dj, gj) = buf[j];
                let s2 = self.var[i] + self.var[j];
                let m = di - dj;
                let a = -0.5 * m * m / s2 - 0.5 * s2.ln() - half_ln_2pi;
                let c = m / s2;
                let mut g = [0.0; 3];
                if with_grad {
                    for k in 0..3 {
                        g[k] = c * (gi[k] - gj[k]);
                    }
                }
                lse.add(a, g);
            }
        }
        if with_grad {
            for k in 0..3 {
                grad[k] += self.power * lse.grad[k] / lse.sum;
            }
        }
        self.power * (lse.max + lse.sum.ln())
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
