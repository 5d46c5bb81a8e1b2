//! Draws as ArviZ opens them: one `<id>_mode<m>.arviz.json` per mode region
//! of a run with Markov chains per mode region (NUTS, HMC, Metropolis,
//! tempering), read by `arviz.from_json(path)` into an `InferenceData`.
//!
//! The document is the keyword arguments of ArviZ's `from_dict`:
//! `posterior` (`east_km`, `north_km`, `depth_km`, and `origin_time_s` when
//! sampled; each `[chain][draw]`), `sample_stats` (ArviZ's names: `lp`,
//! `diverging`, `tree_depth`, `energy`, `acceptance_rate`, `step_size`,
//! `n_steps` = gradient evaluations; a statistic goes in only when the
//! sampler gave it for every draw) and `posterior_attrs` (event, sampler, mode index,
//! cluster, mass, and eqnemix's R-hat and ESS of the region). One file per
//! mode region because ArviZ needs every chain of a group to have the same
//! number of draws, and lighter regions get fewer draws per chain than the
//! heaviest (`super::post_stratify`). A region's mass is the pilot's; the
//! draws of one region are an unweighted sample of the posterior
//! restricted to it. Population samplers (importance, SMC, oct-tree, ADVI)
//! give weighted draws, which ArviZ's `InferenceData` cannot carry: they
//! get no file (their `<id>_draws.csv` has the weights).
//!
//! JSON rather than NetCDF: ArviZ reads it with no extra library, and
//! `serde_json` writes it; nothing here is hand-written but the layout.

use super::event::{chain_ranges, EventLocation, COORDINATE_NAMES};
use eqnemix_samplers::{DrawStats, Draws};
use serde_json::{json, Map, Value};
use std::ops::Range;

/// `[chain][draw]` of `f` over the chains `group` (`(population, draws)`).
fn per_chain(chains: &[Draws], group: &[(usize, Range<usize>)], f: impl Fn(&[f64], &DrawStats) -> Value) -> Value {
    Value::Array(
        group
            .iter()
            .map(|(pop, range)| {
                let d = &chains[*pop];
                Value::Array(range.clone().map(|i| f(d.draw(i), &d.stats[i])).collect())
            })
            .collect(),
    )
}

/// The ArviZ documents of `loc`: `(mode index, JSON text)` for each mode
/// region whose chains all have the same number of draws. Empty for a run
/// without chains per mode region (module doc).
pub fn arviz_documents(loc: &EventLocation) -> Vec<(usize, String)> {
    let modes = &loc.diagnostics.modes;
    let chains = chain_ranges(&loc.chains, &loc.chain_lengths);
    if modes.is_empty() || modes.iter().any(|m| m.n_chains < 2) || chains.len() != modes.iter().map(|m| m.n_chains).sum::<usize>() {
        return Vec::new();
    }
    let dim = loc.chains.first().map_or(3, |c| c.dim);
    // ArviZ's name of each optional statistic and how to read it.
    let optional: [(&str, fn(&DrawStats) -> Option<Value>); 5] = [
        ("tree_depth", |s| s.tree_depth.map(Value::from)),
        ("energy", |s| s.energy.map(Value::from)),
        ("acceptance_rate", |s| s.accept_prob.map(Value::from)),
        ("step_size", |s| s.step_size.map(Value::from)),
        ("n_steps", |s| s.n_grad_evals.map(Value::from)),
    ];
    let mut out = Vec::new();
    let mut first = 0;
    for (m, mode) in modes.iter().enumerate() {
        let group = &chains[first..first + mode.n_chains];
        first += mode.n_chains;
        let len = group[0].1.len();
        if len == 0 || group.iter().any(|(_, r)| r.len() != len) {
            continue;
        }
        let mut posterior = Map::new();
        for (a, name) in COORDINATE_NAMES.iter().enumerate().take(dim) {
            posterior.insert(name.to_string(), per_chain(&loc.chains, group, |x, _| json!(x[a])));
        }
        let mut stats = Map::new();
        stats.insert("lp".into(), per_chain(&loc.chains, group, |_, s| json!(s.log_density)));
        stats.insert("diverging".into(), per_chain(&loc.chains, group, |_, s| json!(s.divergent)));
        for (name, get) in optional {
            let everywhere = group.iter().all(|(pop, r)| loc.chains[*pop].stats[r.clone()].iter().all(|s| get(s).is_some()));
            if everywhere {
                stats.insert(name.into(), per_chain(&loc.chains, group, |_, s| get(s).unwrap_or(Value::Null)));
            }
        }
        let attrs = json!({
            "event_id": loc.event_id,
            "sampler": loc.diagnostics.sampler,
            "inference_library": "eqnemix",
            "mode": m,
            "cluster": mode.cluster,
            "mode_mass": mode.mass,
            "eqnemix_max_rhat": mode.max_rhat,
            "eqnemix_min_ess_bulk": mode.min_ess_bulk,
            "eqnemix_min_ess_tail": mode.min_ess_tail,
        });
        let doc = json!({ "posterior": posterior, "sample_stats": stats, "posterior_attrs": attrs });
        out.push((m, doc.to_string()));
    }
    out
}
