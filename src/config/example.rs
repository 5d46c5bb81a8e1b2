//! The documented example configuration printed by `eqnemix config --example`.

/// [`EXAMPLE_CONFIG`] with, after its `[sampler]` table, every other
/// sampler kind's keys and defaults as commented-out `[sampler]` tables
/// (serialised from their `Default` configurations, see
/// [`super::samplers`]): what `eqnemix config --example` prints. It parses
/// into the same defaults as [`EXAMPLE_CONFIG`].
pub fn example_config() -> String {
    let mut other = String::from(
        "\n# The other samplers, each with every key at its default (from the\n\
         # samplers' own default configurations; `eqnemix info` lists them too).\n\
         # To use one, replace the [sampler] table above by its uncommented block.\n",
    );
    for k in super::samplers::sampler_kinds().iter().skip(1) {
        other.push_str(&format!("#\n# --- {}: {}\n", k.config.kind(), k.about));
        let table = super::samplers::sampler_toml(&k.config).unwrap_or_else(|e| format!("(not serialisable: {e})\n"));
        for line in table.lines().filter(|l| !l.is_empty()) {
            other.push_str(&format!("# {line}\n"));
        }
    }
    match EXAMPLE_CONFIG.find("\n[likelihood]\n") {
        Some(i) => format!("{}{other}{}", &EXAMPLE_CONFIG[..i], &EXAMPLE_CONFIG[i..]),
        None => format!("{EXAMPLE_CONFIG}{other}"),
    }
}

/// A complete configuration with every key at its default value and a
/// comment saying what it does. Parsing it gives [`super::LocateConfig::default`]
/// (asserted by the tests), so it is a safe starting point to edit.
pub const EXAMPLE_CONFIG: &str = r#"# eqnemix configuration (TOML). Every key is optional: a missing key takes
# the value shown here. Units: km, s, km/s; x east, y north, z depth positive
# down. Relative paths are relative to this file's folder.

# Chains per event and per mode region (see [sampler]), run in parallel.
n_chains = 4
# Random seed: the same seed gives the same results.
seed = 0

[travel_time]
# homogeneous | layered | eikonal | nll_grids
kind = "homogeneous"
# homogeneous: P and S velocities (km/s).
vp_km_s = 6.0
vs_km_s = 3.5
# layered (and eikonal without vp_grid): a layered model file, e.g.
# model = "examples/data/velocity/ridgecrest_1d.toml"
# eikonal: NonLinLoc velocity grids instead of a layered model, e.g.
# vp_grid = "grids/model.P.mod"
# vs_grid = "grids/model.S.mod"     # or: vp_vs = 1.73
# nll_grids: precomputed TIME grids <nll_dir>/<nll_root>.<PHASE>.<STATION>.time.{hdr,buf}
# nll_dir = "grids"
nll_root = "model"

# Tabulation of the layered model (km).
[travel_time.table]
max_distance_km = 300.0
distance_step_km = 1.0
near_distance_km = 20.0
near_distance_step_km = 0.25
# depth_min_km = 0.0               # default: min(0, station depth)
depth_max_km = 60.0
depth_step_km = 0.5

# Eikonal solver grid when the velocities come from a layered model (km).
[travel_time.grid]
n = [81, 81, 41]
origin_km = [-40.0, -40.0, -2.0]
spacing_km = [1.0, 1.0, 1.0]

# Eikonal solver options.
[travel_time.eikonal]
second_order = true
source_radius_nodes = 2.0
source_box_nodes = 24
max_sweep_iterations = 20
# where the velocity varies with depth only: solve the exact 2D problem in
# the vertical plane through the station, this many times finer, and map it
# by distance (false: always march the 3D grid)
axisymmetric = true
axisymmetric_refinement = 2

[sampler]
# importance | nuts | hmc | metropolis | advi | smc | octree | tempering; the
# other keys are that sampler's settings (every kind's keys and defaults
# follow this table, commented out; `eqnemix info` lists them too).
# importance (the default): prior draws weighted by the likelihood, then
# if the Kish ESS falls short up to adapt_rounds stages drawing from
# Gaussians fitted to each mode region's weighted draws (with a share
# `defensive` of the prior); the weights carry the masses of separated
# modes exactly, and their Kish ESS and Pareto k-hat say when they cannot.
# NUTS (and HMC, Metropolis, tempering) do not start from prior draws: a
# pilot first finds the posterior's separated modes and their masses (the
# same importance draws, or SMC tempered from the uniform box when too few
# carry weight), then n_chains chains start from the pilot's particles in
# each mode holding at least 1% of the mass, and their draws are weighted
# by those masses. ADVI fits n_chains Gaussians per mode region the same
# way; smc with its default Gaussian reference runs once per mode region
# from a pilot particle there; smc with a uniform reference and octree cover
# the region box directly. For NUTS as the studies run it:
#   kind = "nuts", n_warmup = 400, n_draws = 500, metric = "dense"
kind = "importance"
target_ess = 10000.0
batch = 4000
max_draws = 64000
adapt_rounds = 3
defensive = 0.2
scale = 1.5

[sampler.reference]
# Base proposal when the sampler runs outside a location (a location uses
# its prior).
kind = "gaussian"
sd = [1.0]

[likelihood]
# S-P time of every station with both picks (single station).
s_minus_p = true
# Absolute P and S times (networks); excludes s_minus_p.
absolute_times = false
# marginalise | sample (absolute times only)
origin_time = "marginalise"
# Window (s, relative to the earliest pick) of a sampled origin time.
origin_time_window_s = [-120.0, 0.0]
# Back-azimuth (von Mises) where the picks carry one.
back_azimuth = true
# gaussian | student_t | edt. edt (NonLinLoc's equal differential times):
# every pair of picks through the difference of their times, pair scale
# sqrt(sigma_i^2 + sigma_j^2); no origin time (keep origin_time =
# "marginalise"), an outlier pick spoils only its own pairs. With s_minus_p
# it equals the Gaussian S-P term.
residual = "gaussian"
student_t_nu = 4.0
# Power of the EDT pair sum (n picks): calibrated (2(n-1)^2/n: the
# Gaussian's width with picks at their noise level, calibrated 90% regions)
# | n_minus_one (the Gaussian's width for tiny residuals; over-covers)
# | n (NonLinLoc's).
edt_power = "calibrated"
# Travel-time model error (s), added in quadrature to each pick's sigma.
model_error_s = 0.05
# Pick sigma (s) when the picks file gives none.
default_pick_sigma_s = 0.1

[prior]
# clusters: the cluster Gaussians weighted by ConvNetQuake's probabilities
# (locate needs --clusters and --probabilities) | uniform: uniform over the
# [region] box, no clusters or probabilities needed (networks; give the
# region's bounds and origin below). The keys below apply to clusters only.
kind = "clusters"
# Weights w_k ∝ p_k^(1/temperature); > 1 flattens an over-confident classifier.
temperature = 1.0
# Floor on every cluster weight, in [0, 1/K).
weight_floor = 0.0
# Weight in [0, 1) of a uniform background over the region box.
background_weight = 0.0
# Rescale probabilities that do not sum to 1 instead of rejecting them.
normalise = false
sum_tolerance = 0.001

[region]
# Origin of the local frame (deg); default: the one in clusters_gaussian.json.
# origin_lon_deg = -117.6
# origin_lat_deg = 35.7
# Search box (km); each default: cluster means ± margin_sigma sd (depth >= 0).
# east_km = [-50.0, 50.0]
# north_km = [-50.0, 50.0]
# depth_km = [0.0, 30.0]
margin_sigma = 4.0

[output]
# Output folder (--out overrides it).
dir = "eqnemix-output"
# Per event: csv, json, hyp (NonLinLoc), quakeml.
formats = ["csv", "json", "hyp", "quakeml"]
# Save the posterior draws (<event>_draws.csv) for re-plotting.
draws = true
# A map per event (<event>_map.png, <event>_sections.png); unset: on in
# `eqnemix run`, off in `eqnemix locate` (unless --maps).
# maps = true
# Credible levels of ellipsoids, ellipses and HDIs.
levels = [0.68, 0.9, 0.95]

[diagnostics]
# "untrustworthy" when R-hat > max_rhat, bulk/tail ESS (Kish ESS of
# weights) < min_ess, more than max_divergent_fraction of the transitions
# diverged, or the Pareto k-hat of importance weights > max_pareto_k.
max_rhat = 1.01
min_ess = 400.0
max_divergent_fraction = 0.01
max_pareto_k = 0.7
# "misfit" when the picks' chi-square (residuals over their sigmas) at the
# headline location exceeds this quantile of chi-square(n - 4), n picks > 4.
misfit_quantile = 0.999
# "prior-dominated" when KL(posterior || prior) < this many nats.
min_information_gain_nats = 1.0
n_prior_draws = 4000

[run]
# Inputs of `eqnemix run` (`eqnemix locate` checks but ignores [run] and
# [pipeline]).
# Continuous miniSEED folder (*.mseed, *.miniseed).
# mseed_dir = "data/mseed"
# Station NET.STA to process (optional when the records hold one station).
# station = "CI.CCC"
# Station table; default: stations.csv in mseed_dir.
# stations = "data/stations.csv"
# Catalog CSV the prior's clusters are built from (K-means).
# catalog = "data/catalog.csv"
# Number of clusters K; a ConvNetQuake model must have K + 1 classes.
n_clusters = 5
# EQTransformer ONNX; default: the shipped one.
# eqtransformer_model = "models/assets/eqtransformer.onnx"
# ConvNetQuake ONNX trained on these K clusters (class 0 noise, class k+1
# cluster k); when unset or missing the prior weights are the clusters'
# catalog proportions (said in the run report).
# convnetquake_model = "models/assets/convnetquake.onnx"

[pipeline]
# "waveforms": EQTransformer picks the miniSEED; "picks": start from `picks`.
start = "waveforms"
# Picks file for start = "picks": eqnemix picks CSV, EQTransformer's
# X_prediction_results.csv, or the picks.csv of `eqnemix generate`.
# picks = "data/picks.csv"
# clusters_gaussian.json to use instead of clustering [run] catalog.
# clusters = "clusters/clusters_gaussian.json"
# True catalog of synthetic data for the coverage check in the report;
# default: catalog.csv next to the miniSEED when it is a generator catalog.
# truth = "data/catalog.csv"
# Use the catalog proportions even when a ConvNetQuake model exists.
force_catalog_weights = false
# Seconds of record before the P pick in each detection's 10 s ConvNetQuake
# window (as `eqnemix create-dataset-events --margin` cuts training windows);
# a list (e.g. [0.5, 1.0, 2.0]) classifies one window per lead and averages.
window_before_p_s = 1.0
# A missing mseed_dir (or picks file with start = "picks") is an error;
# true writes synthetic data into <output>/sample/ instead (said in the
# report).
generate_if_missing = false
# Locate at most this many events (the first in time); default: all.
# max_events = 12

# How EQTransformer picks in `eqnemix run` (the thresholds of `eqnemix pick`).
[pipeline.picker]
# Detection, P and S probability thresholds (the original predictor's).
detection_threshold = 0.3
p_threshold = 0.1
s_threshold = 0.1
# Timing error (s) of the picks beyond their probability peaks' widths,
# added in quadrature to each pick's sigma.
error_s = 0.0
# Monte-Carlo dropout passes per window (0: off). When on, each pick's
# sigma is the spread of the pick times over the passes instead of the peak
# width. On real records that spread is far too small (README, "Pick sigmas
# on real records"), so it is off by default.
mc_dropout_passes = 0

# The synthetic data written when generate_if_missing applies.
[pipeline.synthetic]
seed = 1
n_events = 8
duration_hours = 0.5

[limits]
# Memory limit (GB, 10^9 bytes) that every size above (grid nodes, draws x
# chains, particles, cells, prior draws, record lengths) is checked against
# before anything is allocated; an estimate over it is an error naming the
# key, the estimate and the limit. The flag --memory-limit and the variable
# EQNEMIX_MEMORY_LIMIT_GB override it; unset: 3/4 of the machine's memory.
# memory_gb = 16.0
"#;
