//! `<id>_draws.csv` keeps each draw's real chain: a multimodal NUTS run
//! (chains per mode region, merged with mode weights for the summary) is
//! written and read back, and R-hat recomputed from the file's chains
//! equals the one eqnemix reported for each mode region; the per-draw
//! sampler statistics add up to the run's divergences and gradient count.

use eqnemix::likelihood::LikelihoodOptions;
use eqnemix::locate::batch::draws_csv;
use eqnemix::locate::{locate_event, LocateOptions, COORDINATE_NAMES};
use eqnemix::pipeline::resume::read_draws_file;
use eqnemix::prior::PriorOptions;
use eqnemix::samplers::diagnostics::Summary;
use eqnemix::samplers::Draws;
use eqnemix::synthetic_region::SyntheticRegion;

/// The bimodal event of `tests/samplers_agree.rs` (S-P alone: two
/// clusters share the mass).
const STREAM: u64 = 11;
const BIMODAL_EVENT: usize = 10;

/// The bimodal event's posterior and the options of every run here.
fn bimodal_posterior() -> (eqnemix::posterior::LocationPosterior, LocateOptions) {
    let region = SyntheticRegion::standard().unwrap();
    let ev = region.draw_event(BIMODAL_EVENT, STREAM).unwrap();
    let lik = LikelihoodOptions { back_azimuth: false, ..Default::default() };
    let post = region.posterior(&ev, &lik, &PriorOptions::default()).unwrap();
    (post, LocateOptions { seed: 3, ..Default::default() })
}

#[test]
fn multimodal_draws_keep_their_chains_and_statistics() {
    let (post, opts) = bimodal_posterior();
    let loc = locate_event(&post, &eqnemix::config::nuts_sampler(), &opts).unwrap();
    let d = &loc.diagnostics;
    assert_eq!(d.modes.len(), 2, "not a two-mode run: {:?}", d.modes);
    let nc = opts.n_chains;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e_draws.csv");
    std::fs::write(&path, draws_csv(&loc)).unwrap();
    let file = read_draws_file(&path).unwrap();
    assert_eq!(file.populations.len(), 1, "one merged population");
    let lengths = &file.chain_lengths[0];
    let reported: Vec<usize> = d.chains.iter().map(|c| c.n_draws).collect();
    assert_eq!(lengths, &reported, "the file's chains are the sampler's chains");
    assert_eq!(lengths.len(), 2 * nc);

    // Split the population back into chains.
    let pop = &file.populations[0];
    let mut chains = Vec::new();
    let mut at = 0;
    for &n in lengths {
        let mut c = Draws::new(pop.dim);
        for i in at..at + n {
            c.push(&pop.values[i * pop.dim..(i + 1) * pop.dim], pop.stats[i].clone());
        }
        chains.push(c);
        at += n;
    }
    for (m, mode) in d.modes.iter().enumerate() {
        let table = Summary::from_chains(&chains[m * nc..(m + 1) * nc], &COORDINATE_NAMES).unwrap();
        assert_eq!(table.max_rhat(), mode.max_rhat, "mode region {m}: R-hat from the file");
        assert!(mode.max_rhat.is_finite());
    }
    let divergent = pop.stats.iter().filter(|s| s.divergent).count();
    assert_eq!(divergent, d.n_divergent);
    let grads: u64 = pop.stats.iter().map(|s| u64::from(s.n_grad_evals.unwrap_or(0))).sum();
    assert_eq!(grads, d.chains.iter().map(|c| c.n_grad_evals).sum::<u64>());
    assert!(pop.stats.iter().all(|s| s.tree_depth.is_some() && s.energy.is_some()), "NUTS statistics in the file");
}

/// The ArviZ documents of the same run: one per mode region, `[chain][draw]`
/// arrays of the region's chains, NUTS statistics, eqnemix's R-hat in the
/// attributes.
#[test]
fn arviz_documents_hold_each_mode_regions_chains() {
    use eqnemix::locate::arviz_json::arviz_documents;
    let (post, opts) = bimodal_posterior();
    let loc = locate_event(&post, &eqnemix::config::nuts_sampler(), &opts).unwrap();
    let docs = arviz_documents(&loc);
    let modes = &loc.diagnostics.modes;
    assert_eq!(docs.iter().map(|(m, _)| *m).collect::<Vec<_>>(), (0..modes.len()).collect::<Vec<_>>());
    let mut chain = 0;
    for (m, text) in &docs {
        let doc: serde_json::Value = serde_json::from_str(text).unwrap();
        let east = doc["posterior"]["east_km"].as_array().unwrap();
        assert_eq!(east.len(), opts.n_chains, "mode {m}");
        for c in east {
            assert_eq!(c.as_array().unwrap().len(), loc.diagnostics.chains[chain].n_draws, "mode {m}, chain {chain}");
            chain += 1;
        }
        for stat in ["lp", "diverging", "tree_depth", "energy", "acceptance_rate", "step_size", "n_steps"] {
            assert_eq!(doc["sample_stats"][stat].as_array().map(Vec::len), Some(opts.n_chains), "{stat}");
        }
        assert_eq!(doc["posterior_attrs"]["eqnemix_max_rhat"].as_f64(), Some(modes[*m].max_rhat));
    }
    assert_eq!(chain, loc.diagnostics.chains.len());
    // The default (importance) sampler's weighted population gets none.
    let loc = locate_event(&post, &eqnemix::config::default_sampler(), &opts).unwrap();
    assert!(arviz_documents(&loc).is_empty());
}
