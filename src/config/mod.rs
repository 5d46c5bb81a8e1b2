//! The TOML configuration of `eqnemix locate` and `eqnemix run` (whose
//! inputs and switches are the `[run]` and `[pipeline]` tables, see
//! [`pipeline`]).
//!
//! Every key has a default ([`LocateConfig::default`]), so an empty file is
//! a valid configuration; unknown keys are errors (a typo never passes
//! silently). [`LocateConfig::validate`] checks values and names the key in
//! its error, e.g. `sampler.n_draws: must be > 0`. Syntax errors name the
//! file and line. `eqnemix config --example` prints [`EXAMPLE_CONFIG`], a
//! commented file that parses back into the defaults.
//!
//! ```
//! use eqnemix::config::LocateConfig;
//! let cfg = LocateConfig::from_toml_str("n_chains = 2\n[sampler]\nkind = \"metropolis\"\n", "c.toml")?;
//! assert_eq!(cfg.n_chains, 2);
//! assert_eq!(cfg.sampler.kind(), "metropolis");
//! let err = LocateConfig::from_toml_str("[sampler]\nkind = \"nuts\"\nn_draws = 0\n", "c.toml").unwrap_err();
//! assert!(err.to_string().contains("sampler.n_draws"));
//! # Ok::<(), eqnemix::config::ConfigError>(())
//! ```

mod example;
pub mod likelihood;
pub mod overrides;
pub mod pipeline;
pub mod resources;
pub mod samplers;
pub mod travel_time;

pub use example::{example_config, EXAMPLE_CONFIG};
pub use likelihood::{LikelihoodConfig, OriginTimeMode, ResidualKind};
pub use resources::LimitsConfig;
pub use pipeline::{PipelineSection, RunConfig, Start, SyntheticSection, DEFAULT_N_CLUSTERS};
pub use travel_time::{GridConfig, NllTimeGrids, TravelTimeConfig, TravelTimeKind};

use crate::prior::{Background, PriorOptions, RegionBox};
use crate::ClusterGaussian;
use eqnemix_samplers::any::SamplerConfig;
use eqnemix_samplers::nuts::NutsConfig;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Why a configuration could not be read or is invalid.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// TOML syntax error, unknown key or wrong type, at `path:line:column`.
    #[error("{path}:{line}:{column}: {message}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// 1-based line (0 when unknown).
        line: usize,
        /// 1-based column in characters (0 when unknown).
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// A value is out of range; `key` is its dotted path.
    #[error("{key}: {why}")]
    Invalid {
        /// Dotted key, e.g. `sampler.n_draws`.
        key: String,
        /// What is wrong.
        why: String,
    },
}

pub(crate) fn invalid(key: impl Into<String>, why: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.into(),
        why: why.into(),
    }
}

/// Which prior over the hypocentre `[prior] kind` selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriorKind {
    /// Cluster Gaussian mixture weighted by the classifier ([`crate::prior::gmm`]).
    #[default]
    Clusters,
    /// Uniform over the region box ([`crate::prior::ClusterPrior::uniform`]).
    Uniform,
}

/// `[prior]`: how the classifier's cluster probabilities become the prior
/// (see [`crate::prior::gmm`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PriorConfig {
    /// `clusters` (the default): the cluster Gaussian mixture weighted by the
    /// classifier's probabilities (`eqnemix locate` needs `--clusters` and
    /// `--probabilities`); `uniform`: uniform over the `[region]` box, no
    /// cluster catalog or probabilities needed (networks). The other keys
    /// apply to `clusters` only.
    pub kind: PriorKind,
    /// Temperature `T > 0`: weights `∝ p_k^(1/T)`; `T > 1` flattens an
    /// over-confident classifier.
    pub temperature: f64,
    /// Floor on every cluster weight after tempering, in `[0, 1/K)`.
    pub weight_floor: f64,
    /// Weight in `[0, 1)` of a uniform background over the region box.
    pub background_weight: f64,
    /// Divide the probabilities by their sum instead of rejecting a sum off 1.
    pub normalise: bool,
    /// Tolerance on `|Σ p_k − 1|` when `normalise` is off.
    pub sum_tolerance: f64,
}

impl Default for PriorConfig {
    fn default() -> Self {
        PriorConfig {
            kind: PriorKind::Clusters,
            temperature: 1.0,
            weight_floor: 0.0,
            background_weight: 0.0,
            normalise: false,
            sum_tolerance: 1e-3,
        }
    }
}

impl PriorConfig {
    /// The prior options for the region `region` (the background's box).
    pub fn options(&self, region: RegionBox) -> PriorOptions {
        PriorOptions {
            temperature: self.temperature,
            weight_floor: self.weight_floor,
            normalise: self.normalise,
            sum_tolerance: self.sum_tolerance,
            background: (self.background_weight > 0.0).then_some(Background {
                weight: self.background_weight,
                region,
            }),
        }
    }
}

/// `[region]`: the local frame and the box the hypocentre is searched in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RegionConfig {
    /// Longitude (deg E) of the local frame's origin; default: the origin
    /// stated in `clusters_gaussian.json` (both must agree when both given).
    pub origin_lon_deg: Option<f64>,
    /// Latitude (deg N) of the local frame's origin.
    pub origin_lat_deg: Option<f64>,
    /// `[min, max]` east (km); default: the clusters' envelope.
    pub east_km: Option<[f64; 2]>,
    /// `[min, max]` north (km); default: the clusters' envelope.
    pub north_km: Option<[f64; 2]>,
    /// `[min, max]` depth (km, positive down, min >= 0); default: the
    /// clusters' envelope cut at 0.
    pub depth_km: Option<[f64; 2]>,
    /// Half-width of the default envelope in cluster standard deviations.
    pub margin_sigma: f64,
}

impl Default for RegionConfig {
    fn default() -> Self {
        RegionConfig {
            origin_lon_deg: None,
            origin_lat_deg: None,
            east_km: None,
            north_km: None,
            depth_km: None,
            margin_sigma: 4.0,
        }
    }
}

impl RegionConfig {
    /// The region box: the configured bounds, the others from the envelope
    /// `mean ± margin_sigma·sd` of every cluster (depth cut at 0 km).
    pub fn region_box(&self, clusters: &[ClusterGaussian]) -> Result<RegionBox, ConfigError> {
        let given = [self.east_km, self.north_km, self.depth_km];
        let names = ["region.east_km", "region.north_km", "region.depth_km"];
        let mut lo = [0.0; 3];
        let mut hi = [0.0; 3];
        for a in 0..3 {
            if let Some([l, h]) = given[a] {
                lo[a] = l;
                hi[a] = h;
            } else {
                if clusters.is_empty() {
                    return Err(invalid(names[a], "needed when there are no clusters"));
                }
                lo[a] = f64::INFINITY;
                hi[a] = f64::NEG_INFINITY;
                for c in clusters {
                    let s = c.cov_km2[a][a].max(0.0).sqrt();
                    lo[a] = lo[a].min(c.mean_km[a] - self.margin_sigma * s);
                    hi[a] = hi[a].max(c.mean_km[a] + self.margin_sigma * s);
                }
                if a == 2 {
                    lo[a] = lo[a].max(0.0);
                }
            }
            if !(lo[a].is_finite() && hi[a].is_finite() && lo[a] < hi[a]) {
                return Err(invalid(names[a], format!("needs finite [min, max] with min < max (is [{}, {}])", lo[a], hi[a])));
            }
        }
        if lo[2] < 0.0 {
            return Err(invalid("region.depth_km", "min must be >= 0 (depth positive down)"));
        }
        Ok(RegionBox::new(lo, hi))
    }
}

/// A result file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputFormat {
    /// One CSV row per event (`<id>.csv`) and the catalog table `catalog.csv`.
    Csv,
    /// Full summary and diagnostics, `<id>.json`.
    Json,
    /// NonLinLoc-style hypocenter file, `<id>.hyp`.
    Hyp,
    /// QuakeML 1.2, `<id>.xml` and `catalog.xml`.
    Quakeml,
}

/// `[output]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutputConfig {
    /// Output folder (the `--out` flag overrides it).
    pub dir: PathBuf,
    /// Formats written per event: `csv`, `json`, `hyp`, `quakeml`.
    pub formats: Vec<OutputFormat>,
    /// Write each event's posterior draws (`<id>_draws.csv`) for re-plotting.
    pub draws: bool,
    /// Draw a map per event (`<id>_map.png`: map view, `<id>_sections.png`:
    /// depth sections). Unset: on in `eqnemix run`, off in `eqnemix locate`
    /// (where `--maps` turns it on).
    pub maps: Option<bool>,
    /// Credible levels of the ellipsoids, ellipses and HDIs, in (0, 1).
    pub levels: Vec<f64>,
}

impl Default for OutputConfig {
    fn default() -> Self {
        OutputConfig {
            dir: PathBuf::from("eqnemix-output"),
            formats: vec![
                OutputFormat::Csv,
                OutputFormat::Json,
                OutputFormat::Hyp,
                OutputFormat::Quakeml,
            ],
            draws: true,
            maps: None,
            levels: vec![0.68, 0.90, 0.95],
        }
    }
}

/// `[diagnostics]`: when a location is flagged (see
/// [`crate::locate::LocationFlags`] for the rules).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DiagnosticsConfig {
    /// Untrustworthy when any coordinate's rank-normalised R-hat exceeds this.
    pub max_rhat: f64,
    /// Untrustworthy when any coordinate's bulk or tail ESS is below this.
    pub min_ess: f64,
    /// Untrustworthy when more than this fraction of transitions diverged.
    pub max_divergent_fraction: f64,
    /// Prior-dominated when the information gain KL(posterior ‖ prior) is
    /// below this many nats and the epicentre is prior-dominated too
    /// (`min_contraction`).
    pub min_information_gain_nats: f64,
    /// A coordinate is prior-dominated when its posterior contraction
    /// within its mode, `1 − posterior variance / prior variance`, is
    /// below this ([`crate::locate::contraction`]): 0.5, its sd shrank by
    /// less than a factor 1.4.
    pub min_contraction: f64,
    /// Prior draws used to estimate the evidence in the information gain.
    pub n_prior_draws: usize,
    /// Untrustworthy when the Pareto k̂ of importance weights (importance
    /// sampling, ADVI's draws against the posterior) exceeds this: 0.7,
    /// above which an importance estimate is unreliable (Vehtari et al.
    /// 2024).
    pub max_pareto_k: f64,
    /// Misfit when the picks' chi-square at the headline location exceeds
    /// this quantile of the chi-square distribution with `n − 4` degrees
    /// of freedom (`n` picks, less 3 coordinates and the origin time;
    /// checked only when `n > 4`).
    pub misfit_quantile: f64,
}

impl Default for DiagnosticsConfig {
    fn default() -> Self {
        DiagnosticsConfig {
            max_rhat: 1.01,
            min_ess: 400.0,
            max_divergent_fraction: 0.01,
            min_information_gain_nats: 1.0,
            min_contraction: crate::locate::MIN_CONTRACTION,
            n_prior_draws: 4000,
            max_pareto_k: 0.7,
            misfit_quantile: 0.999,
        }
    }
}

/// The sampler of the default configuration: adaptive importance sampling
/// from the prior ([`eqnemix_samplers::importance`]) with its defaults
/// (Kish ESS target 10 000, at most 64 000 draws per stage, up to three
/// Gaussian-mixture adaptations).
///
/// Why not NUTS, the default until issue 11: a single-station posterior is
/// an S-P shell cut by cluster ellipsoids, a thin curved sheet in several
/// pieces. Importance sampling from the prior weighs the pieces exactly by
/// their mass and says through its weights (Kish ESS, Pareto k̂) when it
/// cannot; Markov chains mix slowly along the sheet. Measured
/// (`cargo run --release --example sampler_agreement -- --n 300`, exact
/// grid answers on multimodal events; README table): every cluster
/// probability within 0.01 on 97-99% of the events against 78% for
/// dense-metric NUTS, no wrong answer, flags on 1% of the right ones
/// against 67%; on the 1125 real Ridgecrest detections
/// (`examples/ridgecrest_clc.rs`) 2 flagged against 1085, in a third of
/// the time. NUTS stays the sampler of choice for higher-dimensional or
/// sharp (network) posteriors: `kind = "nuts"` with the settings of
/// [`nuts_sampler`].
pub fn default_sampler() -> SamplerConfig {
    SamplerConfig::Importance(eqnemix_samplers::importance::ImportanceConfig::default())
}

/// NUTS with a dense metric, 400 warm-up and 500 kept draws per chain
/// (4 chains: 2000 draws, typically 1500-2000 bulk ESS on a unimodal
/// event): the Markov sampler of the studies and benchmarks.
///
/// Dense, not the samplers crate's diagonal default: a cluster Gaussian is
/// elongated along its fault's strike, so east and north are correlated in
/// the posterior, and a diagonal metric cannot follow that. On the
/// benchmark event (`examples/locate_benchmark.rs`) the dense metric gives
/// a bulk ESS of about 0.9 per draw against 0.35 with the diagonal one; 400
/// warm-up iterations (Stan's windows scaled down) kept R-hat at or below
/// 1.01 on 6 of events 0-7 of the benchmark stream (the other two 1.012
/// and 1.013, flagged by the 1.01 rule; `--event N` of the benchmark).
pub fn nuts_sampler() -> SamplerConfig {
    SamplerConfig::Nuts(NutsConfig {
        n_warmup: 400,
        n_draws: 500,
        metric: eqnemix_samplers::adapt::MetricKind::Dense,
        ..NutsConfig::default()
    })
}

fn default_sampler_serde() -> SamplerConfig {
    default_sampler()
}

/// The whole configuration of `eqnemix locate`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LocateConfig {
    /// Chains per event (run in parallel).
    pub n_chains: usize,
    /// Seed: same seed, same results (each event's seed mixes in its index).
    pub seed: u64,
    /// Travel-time model.
    pub travel_time: TravelTimeConfig,
    /// Sampler, chosen by its `kind`.
    #[serde(default = "default_sampler_serde")]
    pub sampler: SamplerConfig,
    /// Likelihood terms.
    pub likelihood: LikelihoodConfig,
    /// Prior weights.
    pub prior: PriorConfig,
    /// Frame and search box.
    pub region: RegionConfig,
    /// Result files.
    pub output: OutputConfig,
    /// Flags on the results.
    pub diagnostics: DiagnosticsConfig,
    /// Pipeline inputs (for `eqnemix run`).
    pub run: RunConfig,
    /// Pipeline switches (for `eqnemix run`).
    pub pipeline: PipelineSection,
    /// Resource limits.
    pub limits: LimitsConfig,
}

impl Default for LocateConfig {
    fn default() -> Self {
        LocateConfig {
            n_chains: 4,
            seed: 0,
            travel_time: TravelTimeConfig::default(),
            sampler: default_sampler(),
            likelihood: LikelihoodConfig::default(),
            prior: PriorConfig::default(),
            region: RegionConfig::default(),
            output: OutputConfig::default(),
            diagnostics: DiagnosticsConfig::default(),
            run: RunConfig::default(),
            pipeline: PipelineSection::default(),
            limits: LimitsConfig::default(),
        }
    }
}

/// serde names an unknown key without its table (`unknown field `x``):
/// name it with the table header in force at byte `pos`
/// (`unknown key `pipeline.x``), so every table's typo reads the same.
fn dotted_unknown_key(text: &str, pos: usize, message: &str) -> String {
    let Some(rest) = message.strip_prefix("unknown field `") else {
        return message.to_string();
    };
    let table = text[..pos.min(text.len())]
        .lines()
        .rev()
        .map(str::trim_start)
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_start_matches('[').split(']').next().unwrap_or("").trim().to_string())
        .filter(|t| !t.is_empty());
    match table {
        Some(t) => format!("unknown key `{t}.{rest}"),
        None => format!("unknown key `{rest}"),
    }
}

/// 1-based line and column (in characters) of byte offset `pos` in `text`.
fn line_column(text: &str, pos: usize) -> (usize, usize) {
    let mut pos = pos.min(text.len());
    while !text.is_char_boundary(pos) {
        pos -= 1;
    }
    let before = &text[..pos];
    let line = before.matches('\n').count() + 1;
    let column = before[before.rfind('\n').map_or(0, |i| i + 1)..].chars().count() + 1;
    (line, column)
}

impl LocateConfig {
    /// Read and validate a configuration file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        Self::from_file_with(path, &[])
    }

    /// Parse and validate TOML `text`; `path` names it in errors.
    pub fn from_toml_str(text: &str, path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let syntax = |e: toml::de::Error| {
            let (line, column) = e.span().map_or((0, 0), |s| line_column(text, s.start));
            ConfigError::Syntax {
                path: path.to_path_buf(),
                line,
                column,
                message: dotted_unknown_key(text, e.span().map_or(0, |s| s.start), e.message().trim_end()),
            }
        };
        let cfg: LocateConfig = toml::from_str(text).map_err(syntax)?;
        // The sampler table is an internally tagged enum, where serde cannot
        // deny unknown keys: compare the given keys with the parsed ones.
        let raw: toml::Table = toml::from_str(text).map_err(syntax)?;
        if let Some(toml::Value::Table(given)) = raw.get("sampler") {
            let parsed = toml::Value::try_from(&cfg.sampler).map_err(|e| invalid("sampler", e.to_string()))?;
            if let toml::Value::Table(parsed) = parsed {
                if let Some(k) = unknown_key(given, &parsed, "sampler") {
                    let (line, column) = key_span(text, &k).map_or((0, 0), |pos| line_column(text, pos));
                    return Err(ConfigError::Syntax {
                        path: path.to_path_buf(),
                        line,
                        column,
                        message: format!("unknown key `{k}` for sampler kind = \"{}\"", cfg.sampler.kind()),
                    });
                }
            }
        }
        cfg.validate()?;
        Ok(cfg)
    }

    /// Check every value; the error names the dotted key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.n_chains == 0 {
            return Err(invalid("n_chains", "must be > 0"));
        }
        self.validate_bounds()?;
        self.travel_time.validate()?;
        validate_sampler(&self.sampler)?;
        self.likelihood.validate()?;
        let p = &self.prior;
        if !(p.temperature.is_finite() && p.temperature > 0.0) {
            return Err(invalid("prior.temperature", format!("must be finite and > 0 (is {})", p.temperature)));
        }
        if !(p.weight_floor.is_finite() && (0.0..1.0).contains(&p.weight_floor)) {
            return Err(invalid("prior.weight_floor", format!("must be in [0, 1/K) (is {})", p.weight_floor)));
        }
        if !(p.background_weight.is_finite() && (0.0..1.0).contains(&p.background_weight)) {
            return Err(invalid("prior.background_weight", format!("must be in [0, 1) (is {})", p.background_weight)));
        }
        if !(p.sum_tolerance.is_finite() && p.sum_tolerance >= 0.0) {
            return Err(invalid("prior.sum_tolerance", "must be finite and >= 0"));
        }
        let r = &self.region;
        match (r.origin_lon_deg, r.origin_lat_deg) {
            (Some(lon), Some(lat)) => {
                if !lon.is_finite() {
                    return Err(invalid("region.origin_lon_deg", "must be finite"));
                }
                if !(lat.is_finite() && (-90.0..=90.0).contains(&lat)) {
                    return Err(invalid("region.origin_lat_deg", "must be in [-90, 90]"));
                }
            }
            (None, None) => {}
            (Some(_), None) => return Err(invalid("region.origin_lat_deg", "needed with region.origin_lon_deg")),
            (None, Some(_)) => return Err(invalid("region.origin_lon_deg", "needed with region.origin_lat_deg")),
        }
        if !(r.margin_sigma.is_finite() && r.margin_sigma > 0.0) {
            return Err(invalid("region.margin_sigma", "must be finite and > 0"));
        }
        for (name, v) in [("east_km", r.east_km), ("north_km", r.north_km), ("depth_km", r.depth_km)] {
            if let Some([a, b]) = v {
                if !(a.is_finite() && b.is_finite() && a < b) {
                    return Err(invalid(format!("region.{name}"), format!("needs finite [min, max] with min < max (is [{a}, {b}])")));
                }
                if name == "depth_km" && a < 0.0 {
                    return Err(invalid("region.depth_km", "min must be >= 0 (depth positive down)"));
                }
            }
        }
        for &l in &self.output.levels {
            if !(l > 0.0 && l < 1.0) {
                return Err(invalid("output.levels", format!("{l} is not in (0, 1)")));
            }
        }
        let d = &self.diagnostics;
        if !(d.max_rhat.is_finite() && d.max_rhat >= 1.0) {
            return Err(invalid("diagnostics.max_rhat", "must be finite and >= 1"));
        }
        if !(d.min_ess.is_finite() && d.min_ess >= 0.0) {
            return Err(invalid("diagnostics.min_ess", "must be finite and >= 0"));
        }
        if !(d.max_divergent_fraction.is_finite() && (0.0..=1.0).contains(&d.max_divergent_fraction)) {
            return Err(invalid("diagnostics.max_divergent_fraction", "must be in [0, 1]"));
        }
        if !d.min_information_gain_nats.is_finite() {
            return Err(invalid("diagnostics.min_information_gain_nats", "must be finite"));
        }
        if d.n_prior_draws == 0 {
            return Err(invalid("diagnostics.n_prior_draws", "must be > 0"));
        }
        if !(d.max_pareto_k.is_finite()) {
            return Err(invalid("diagnostics.max_pareto_k", "must be finite"));
        }
        if !(d.misfit_quantile > 0.0 && d.misfit_quantile < 1.0) {
            return Err(invalid("diagnostics.misfit_quantile", "must be in (0, 1)"));
        }
        self.run.validate()?;
        self.pipeline.validate()?;
        Ok(())
    }

    /// The configuration as TOML (every key, defaults included).
    pub fn to_toml_string(&self) -> Result<String, ConfigError> {
        toml::to_string_pretty(self).map_err(|e| invalid("(config)", e.to_string()))
    }
}

/// First key of `given` (recursively) absent from `parsed`.
fn unknown_key(given: &toml::Table, parsed: &toml::Table, prefix: &str) -> Option<String> {
    for (k, v) in given {
        match (v, parsed.get(k)) {
            (_, None) if k != "kind" => return Some(format!("{prefix}.{k}")),
            (toml::Value::Table(g), Some(toml::Value::Table(p))) => {
                if let Some(u) = unknown_key(g, p, &format!("{prefix}.{k}")) {
                    return Some(u);
                }
            }
            _ => {}
        }
    }
    None
}

/// Byte offset of the dotted `key` (e.g. `sampler.windows.init_bufer`)
/// in `text`, from the parser's spans: the key in its own table, wherever
/// the file writes it (`[sampler]` header, dotted key, inline table), never
/// a same-named key of another table.
fn key_span(text: &str, key: &str) -> Option<usize> {
    let doc = toml_edit::ImDocument::parse(text).ok()?;
    let parts: Vec<&str> = key.split('.').collect();
    let (last, tables) = parts.split_last()?;
    let mut table: &dyn toml_edit::TableLike = doc.as_table();
    for p in tables {
        table = table.get(p)?.as_table_like()?;
    }
    let (k, _) = table.get_key_value(last)?;
    k.span().map(|s| s.start)
}

fn validate_sampler(s: &SamplerConfig) -> Result<(), ConfigError> {
    let pos = |key: &str, v: usize| {
        if v > 0 {
            Ok(())
        } else {
            Err(invalid(format!("sampler.{key}"), "must be > 0"))
        }
    };
    let prob = |key: &str, v: f64| {
        if v > 0.0 && v < 1.0 {
            Ok(())
        } else {
            Err(invalid(format!("sampler.{key}"), format!("must be in (0, 1) (is {v})")))
        }
    };
    let posf = |key: &str, v: f64| {
        if v.is_finite() && v > 0.0 {
            Ok(())
        } else {
            Err(invalid(format!("sampler.{key}"), format!("must be finite and > 0 (is {v})")))
        }
    };
    match s {
        SamplerConfig::Nuts(c) => {
            pos("n_draws", c.n_draws)?;
            prob("target_accept", c.target_accept)?;
            posf("init_step_size", c.init_step_size)?;
            if !(1..=20).contains(&c.max_tree_depth) {
                return Err(invalid("sampler.max_tree_depth", "must be in 1..=20"));
            }
        }
        SamplerConfig::Hmc(c) => {
            pos("n_draws", c.n_draws)?;
            prob("target_accept", c.target_accept)?;
            posf("init_step_size", c.init_step_size)?;
        }
        SamplerConfig::Metropolis(c) => {
            pos("n_draws", c.n_draws)?;
            pos("thin", c.thin)?;
            prob("target_accept", c.target_accept)?;
            posf("init_scale", c.init_scale)?;
        }
        SamplerConfig::Advi(c) => {
            pos("n_draws", c.n_draws)?;
            pos("max_iters", c.max_iters)?;
        }
        SamplerConfig::Smc(c) => pos("n_particles", c.n_particles)?,
        SamplerConfig::Octree(c) => {
            pos("n_draws", c.n_draws)?;
            pos("max_cells", c.max_cells)?;
        }
        SamplerConfig::Tempering(c) => {
            pos("n_draws", c.n_draws)?;
            pos("n_temps", c.n_temps)?;
        }
        SamplerConfig::Importance(c) => {
            posf("target_ess", c.target_ess)?;
            pos("batch", c.batch)?;
            pos("max_draws", c.max_draws)?;
            if c.max_draws < c.batch {
                return Err(invalid("sampler.max_draws", format!("must be >= batch ({})", c.batch)));
            }
            if !(c.defensive > 0.0 && c.defensive <= 1.0) {
                return Err(invalid("sampler.defensive", format!("must be in (0, 1] (is {})", c.defensive)));
            }
            posf("scale", c.scale)?;
        }
    }
    Ok(())
}
