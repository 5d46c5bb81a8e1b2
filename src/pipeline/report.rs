//! The run report of `eqnemix run`: `run_report.json` (machine-readable)
//! and `run_report.md` (for people): inputs, counts, wall time per stage,
//! sampler diagnostics per event, flagged events, and for synthetic data
//! the comparison with the true hypocentres and the coverage of the 95%
//! credible regions.

use serde::Serialize;
use std::fmt::Write as _;

/// Wall time of one stage.
#[derive(Debug, Clone, Serialize)]
pub struct StageTiming {
    /// Stage name.
    pub stage: String,
    /// Wall time (s).
    pub seconds: f64,
    /// What the stage did or wrote.
    pub note: String,
}

/// The truth of a synthetic event and how the posterior covers it.
#[derive(Debug, Clone, Serialize)]
pub struct TruthComparison {
    /// True event id.
    pub true_event_id: String,
    /// True hypocentre `[east, north, depth]` (km) in the run's frame.
    pub true_km: [f64; 3],
    /// Distance from the posterior mean to the truth (km).
    pub error_km: f64,
    /// Posterior mass of the highest-density epicentral region whose
    /// boundary passes through the true epicentre (0: at the mode, 1:
    /// outside all draws), see [`super::hpd::EpicentralDensity::level_of`].
    pub credible_level_of_truth: f64,
    /// Whether the true epicentre lies in the 95% highest-density
    /// epicentral region (the outline drawn on the overview map).
    pub inside_95: bool,
}

/// One located event.
#[derive(Debug, Clone, Serialize)]
pub struct EventReport {
    /// Event id.
    pub event_id: String,
    /// Headline location `[east, north, depth]` (km): the highest-density
    /// point of the heaviest mode.
    pub location_km: [f64; 3],
    /// Posterior mean `[east, north, depth]` (km).
    pub mean_km: [f64; 3],
    /// Posterior standard deviations (km).
    pub std_km: [f64; 3],
    /// Headline longitude/latitude (deg), if the frame is geographic.
    pub lon_lat_deg: Option<[f64; 2]>,
    /// Largest rank-normalised R-hat over the coordinates.
    pub max_rhat: f64,
    /// Smallest bulk ESS.
    pub min_ess_bulk: f64,
    /// Smallest tail ESS.
    pub min_ess_tail: f64,
    /// Divergent transitions.
    pub n_divergent: usize,
    /// KL(posterior ‖ prior) estimate (nats).
    pub information_gain_nats: f64,
    /// Sampling wall time (s).
    pub elapsed_s: f64,
    /// Flagged by R-hat, ESS or divergences.
    pub untrustworthy: bool,
    /// Flagged as explained by the prior alone.
    pub prior_dominated: bool,
    /// ConvNetQuake's noise probability of the event's window (when a model ran).
    pub noise_prob: Option<f64>,
    /// The prior weight of each cluster (the window's probabilities).
    pub prior_weights: Vec<f64>,
    /// The reasons of the flags.
    pub reasons: Vec<String>,
    /// Comparison with the truth (synthetic data).
    pub truth: Option<TruthComparison>,
}

/// Coverage of the 95% credible regions over the events with a truth.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    /// Events compared.
    pub n: usize,
    /// Events whose truth is inside its 95% region.
    pub inside: usize,
    /// `inside / n`.
    pub rate: f64,
    /// Exact (Clopper–Pearson) 95% interval of the coverage rate.
    pub interval_95: [f64; 2],
    /// `P(X <= inside)` for `X ~ Binomial(n, 0.95)`: small values mean the
    /// regions are too narrow.
    pub p_value_low: f64,
}

impl Coverage {
    /// The coverage of `inside` truths among `n` (`n > 0`).
    pub fn new(inside: usize, n: usize) -> Self {
        Coverage {
            n,
            inside,
            rate: inside as f64 / n as f64,
            interval_95: clopper_pearson(inside, n, 0.05),
            p_value_low: binomial_cdf(inside, n, 0.95),
        }
    }
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// eqnemix version.
    pub version: String,
    /// Where the configuration came from.
    pub config: String,
    /// Output folder.
    pub output_dir: String,
    /// Start of the run (UTC, RFC 3339).
    pub started_utc: String,
    /// Total wall time (s).
    pub total_seconds: f64,
    /// Stage timings, in order.
    pub stages: Vec<StageTiming>,
    /// Where the picks came from.
    pub picks_source: String,
    /// Where the prior weights came from.
    pub weights_source: String,
    /// Whether the catalog-proportion fallback gave the weights.
    pub weights_fallback: bool,
    /// Sampler kind and chains.
    pub sampler: String,
    /// Events with picks (detections with P and S).
    pub n_detections: usize,
    /// Events located.
    pub n_located: usize,
    /// Events that failed, with the reason.
    pub failures: Vec<(String, String)>,
    /// Detections not located because their S-P time is one no source in
    /// the region gives (a wrong P or S pick, e.g. a noise P paired with a
    /// later event's S), with the reason: reported, not failures.
    pub rejected: Vec<(String, String)>,
    /// Events flagged untrustworthy.
    pub n_untrustworthy: usize,
    /// Events flagged prior-dominated.
    pub n_prior_dominated: usize,
    /// Events flagged for either reason.
    pub n_flagged: usize,
    /// Per-event results.
    pub events: Vec<EventReport>,
    /// Coverage (synthetic data only).
    pub coverage: Option<Coverage>,
    /// True events in the data (synthetic data only; starting from
    /// waveforms, those whose P arrives within the records).
    pub n_true_events: Option<usize>,
    /// The picks against the true arrivals (synthetic data only).
    pub picks_vs_truth: Option<super::pick_accuracy::PickAccuracy>,
    /// Remarks (fallbacks, missing modules).
    pub notes: Vec<String>,
}

/// Exact two-sided `1 - alpha` interval of a binomial proportion
/// (Clopper–Pearson): the `p` where `P(X >= k) = alpha/2` and
/// `P(X <= k) = alpha/2`, found by bisection on [`binomial_cdf`]
/// (monotone in `p`); `[0, ..]` when `k = 0`, `[.., 1]` when `k = n`.
pub fn clopper_pearson(k: usize, n: usize, alpha: f64) -> [f64; 2] {
    // Solve f(p) = target for f decreasing in p.
    let solve = |f: &dyn Fn(f64) -> f64, target: f64| {
        let (mut lo, mut hi) = (0.0f64, 1.0f64);
        for _ in 0..100 {
            let mid = 0.5 * (lo + hi);
            if f(mid) > target {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        0.5 * (lo + hi)
    };
    let lower = if k == 0 { 0.0 } else { solve(&|p| binomial_cdf(k - 1, n, p), 1.0 - alpha / 2.0) };
    let upper = if k >= n { 1.0 } else { solve(&|p| binomial_cdf(k, n, p), alpha / 2.0) };
    [lower, upper]
}

/// `P(X <= k)` for `X ~ Binomial(n, p)` (exact sum in log space).
pub fn binomial_cdf(k: usize, n: usize, p: f64) -> f64 {
    if k >= n || p <= 0.0 {
        return 1.0;
    }
    if p >= 1.0 {
        return 0.0;
    }
    let ln_choose = |n: usize, j: usize| -> f64 {
        (1..=j).map(|i| ((n - j + i) as f64).ln() - (i as f64).ln()).sum()
    };
    (0..=k.min(n))
        .map(|j| (ln_choose(n, j) + j as f64 * p.ln() + (n - j) as f64 * (1.0 - p).ln()).exp())
        .sum::<f64>()
        .min(1.0)
}

impl RunReport {
    /// The Markdown version.
    pub fn to_markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# eqnemix run report\n");
        let _ = writeln!(s, "- eqnemix {}; configuration: `{}`", self.version, self.config);
        let _ = writeln!(s, "- output: `{}`; started {}; total wall time {:.1} s", self.output_dir, self.started_utc, self.total_seconds);
        let _ = writeln!(s, "- picks: {}", self.picks_source);
        let _ = writeln!(s, "- prior weights: {}", self.weights_source);
        let _ = writeln!(s, "- sampler: {}", self.sampler);
        let _ = writeln!(
            s,
            "- events: {} detections with P and S picks, {} located, {} failed, {} not located (impossible S-P), {} flagged ({} untrustworthy, {} prior-dominated)",
            self.n_detections,
            self.n_located,
            self.failures.len(),
            self.rejected.len(),
            self.n_flagged,
            self.n_untrustworthy,
            self.n_prior_dominated
        );
        if !self.notes.is_empty() {
            let _ = writeln!(s, "\n## Notes\n");
            for n in &self.notes {
                let _ = writeln!(s, "- {n}");
            }
        }
        let _ = writeln!(s, "\n## Stages\n\n| stage | wall time (s) | output |\n|---|---:|---|");
        for t in &self.stages {
            let _ = writeln!(s, "| {} | {:.2} | {} |", t.stage, t.seconds, t.note);
        }
        let _ = writeln!(
            s,
            "\n## Events\n\nPositions are each event's headline location (the highest-density point of its heaviest posterior mode); the truth error is measured from it.\n\n| event | east (km) | north (km) | depth (km) | sd E/N/Z (km) | prior weights | p(noise) | max R-hat | min ESS bulk/tail | div. | info gain (nats) | time (s) | flags | truth error (km) | in 95% |\n|---|---:|---:|---:|---|---|---:|---:|---|---:|---:|---:|---|---:|---|"
        );
        for e in &self.events {
            let flags = if e.reasons.is_empty() { "-".to_string() } else { e.reasons.join("; ") };
            let (err, inside) = match &e.truth {
                Some(t) => (format!("{:.2}", t.error_km), if t.inside_95 { "yes".to_string() } else { "NO".to_string() }),
                None => ("-".into(), "-".into()),
            };
            let _ = writeln!(
                s,
                "| {} | {:.2} | {:.2} | {:.2} | {:.2}/{:.2}/{:.2} | {} | {} | {} | {:.0}/{:.0} | {} | {:.2} | {:.2} | {} | {} | {} |",
                e.event_id,
                e.location_km[0],
                e.location_km[1],
                e.location_km[2],
                e.std_km[0],
                e.std_km[1],
                e.std_km[2],
                e.prior_weights.iter().map(|w| format!("{w:.2}")).collect::<Vec<_>>().join(" "),
                e.noise_prob.map_or("-".to_string(), |p| format!("{p:.3}")),
                // No R-hat without chains (importance, oct-tree): "-", not NaN.
                if e.max_rhat.is_finite() { format!("{:.3}", e.max_rhat) } else { "-".to_string() },
                e.min_ess_bulk,
                e.min_ess_tail,
                e.n_divergent,
                e.information_gain_nats,
                e.elapsed_s,
                flags,
                err,
                inside
            );
        }
        let flagged: Vec<_> = self.events.iter().filter(|e| e.untrustworthy || e.prior_dominated).collect();
        if !flagged.is_empty() {
            let _ = writeln!(s, "\n## Flagged events\n");
            for e in flagged {
                let kind = match (e.untrustworthy, e.prior_dominated) {
                    (true, true) => "untrustworthy and prior-dominated",
                    (true, false) => "untrustworthy",
                    _ => "prior-dominated",
                };
                let _ = writeln!(s, "- `{}` ({kind}): {}", e.event_id, e.reasons.join("; "));
            }
        }
        if !self.rejected.is_empty() {
            let _ = writeln!(s, "\n## Detections not located (impossible S-P)\n");
            for (id, why) in &self.rejected {
                let _ = writeln!(s, "- `{id}`: {why}");
            }
        }
        if !self.failures.is_empty() {
            let _ = writeln!(s, "\n## Failed events\n");
            for (id, why) in &self.failures {
                let _ = writeln!(s, "- `{id}`: {why}");
            }
        }
        if let Some(a) = &self.picks_vs_truth {
            a.write_markdown(&mut s);
        }
        if let Some(c) = &self.coverage {
            let _ = writeln!(
                s,
                "\n## Coverage (synthetic truth)\n\n{} of {} true epicentres inside their 95% highest-density epicentral region (the outlines of the overview map): rate {:.2}, exact 95% binomial interval [{:.2}, {:.2}]; P(X <= {}) = {:.3} for X ~ Binomial({}, 0.95).{}",
                c.inside,
                c.n,
                c.rate,
                c.interval_95[0],
                c.interval_95[1],
                c.inside,
                c.p_value_low,
                c.n,
                match self.n_true_events {
                    Some(t) => format!(" {t} true events in the data, {} matched to a located event.", c.n),
                    None => String::new(),
                }
            );
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::{binomial_cdf, clopper_pearson};

    #[test]
    fn clopper_pearson_matches_closed_forms() {
        // k = n: lower = (alpha/2)^(1/n); k = 0: upper = 1 - (alpha/2)^(1/n).
        let [lo, hi] = clopper_pearson(10, 10, 0.05);
        assert!((lo - 0.025f64.powf(0.1)).abs() < 1e-9 && hi == 1.0, "{lo} {hi}");
        let [lo, hi] = clopper_pearson(0, 10, 0.05);
        assert!(lo == 0.0 && (hi - (1.0 - 0.025f64.powf(0.1))).abs() < 1e-9, "{lo} {hi}");
        // Tables: 5 of 10 -> [0.1871, 0.8129].
        let [lo, hi] = clopper_pearson(5, 10, 0.05);
        assert!((lo - 0.1871).abs() < 1e-4 && (hi - 0.8129).abs() < 1e-4, "{lo} {hi}");
    }

    #[test]
    fn binomial_cdf_matches_direct_sums() {
        // n = 3, p = 0.5: P(X<=1) = (1 + 3) / 8.
        assert!((binomial_cdf(1, 3, 0.5) - 0.5).abs() < 1e-12);
        assert!((binomial_cdf(3, 3, 0.5) - 1.0).abs() < 1e-12);
        // n = 10, p = 0.95: P(X <= 8) = 1 - P(9) - P(10).
        let p9 = 10.0 * 0.95f64.powi(9) * 0.05;
        let p10 = 0.95f64.powi(10);
        assert!((binomial_cdf(8, 10, 0.95) - (1.0 - p9 - p10)).abs() < 1e-12);
    }
}
