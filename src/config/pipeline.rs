//! `[run]` and `[pipeline]`: the inputs and switches of `eqnemix run`
//! (`eqnemix locate` reads and checks them but does not use them).
//!
//! They live in the one configuration file with the locate settings, so
//! defaults, unknown-key errors (with their line) and value checks come from
//! one place, [`super::LocateConfig`]. Relative paths are relative to the
//! configuration file's folder.

use super::{invalid, ConfigError};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Number of clusters K when `[run] n_clusters` is not given.
pub const DEFAULT_N_CLUSTERS: usize = 5;

/// `[run]`: inputs of the whole pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunConfig {
    /// Folder of continuous miniSEED files (`*.mseed`, `*.miniseed`).
    pub mseed_dir: Option<PathBuf>,
    /// Station code (`NET.STA`) to process; optional when the records hold one station.
    pub station: Option<String>,
    /// Station table (code, latitude, longitude, elevation); default:
    /// `stations.csv` in `mseed_dir`.
    pub stations: Option<PathBuf>,
    /// Catalog CSV the clusters are built from.
    pub catalog: Option<PathBuf>,
    /// Number of clusters K (K-means on the catalog); a ConvNetQuake model
    /// must have K + 1 output classes (noise + K clusters).
    pub n_clusters: usize,
    /// EQTransformer ONNX model (default: the shipped one).
    pub eqtransformer_model: Option<PathBuf>,
    /// ConvNetQuake ONNX model trained on this catalog's K clusters; when
    /// unset or missing, the prior weights are the clusters' catalog
    /// proportions (said in the run report).
    pub convnetquake_model: Option<PathBuf>,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            mseed_dir: None,
            station: None,
            stations: None,
            catalog: None,
            n_clusters: DEFAULT_N_CLUSTERS,
            eqtransformer_model: None,
            convnetquake_model: None,
        }
    }
}

/// Where the pipeline starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Start {
    /// From continuous miniSEED (`[run] mseed_dir`): EQTransformer picks first.
    #[default]
    Waveforms,
    /// From a picks file (`[pipeline] picks`): the picking stage is skipped.
    Picks,
}

/// `[pipeline.synthetic]`: the synthetic data written when the configured
/// input data are missing and `generate_if_missing` is on (see
/// [`crate::synth`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SyntheticSection {
    /// Seed of the generator.
    pub seed: u64,
    /// Number of events.
    pub n_events: usize,
    /// Length of the continuous records (hours).
    pub duration_hours: f64,
}

impl Default for SyntheticSection {
    fn default() -> Self {
        SyntheticSection { seed: 1, n_events: 8, duration_hours: 0.5 }
    }
}

/// `[pipeline.picker]`: how EQTransformer picks in `eqnemix run` (the
/// thresholds of `eqnemix pick`, defaults the original predictor's) and how
/// far its picks are trusted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PickerSection {
    /// Detection trigger threshold (probability, in (0, 1]).
    pub detection_threshold: f32,
    /// Minimum height of a P probability peak (in (0, 1]).
    pub p_threshold: f32,
    /// Minimum height of an S probability peak (in (0, 1]).
    pub s_threshold: f32,
    /// Timing error (s) of the picks beyond the width of their probability
    /// peaks, added in quadrature to the sigma of every pick EQTransformer
    /// makes in the run (or of an EQTransformer CSV given as `picks`);
    /// `>= 0`.
    pub error_s: f64,
    /// Monte-Carlo dropout passes per window (0: off, the default; else at
    /// least 2): EQTransformer runs its dropout model this many times per
    /// window (masks from the run's `seed`), picks from the mean traces, and
    /// takes each pick's sigma from the spread of the pick times over the
    /// passes instead of the width of the probability peak (`eqnemix pick
    /// --mc-dropout`). `error_s` is still added in quadrature.
    pub mc_dropout_passes: usize,
}

impl Default for PickerSection {
    fn default() -> Self {
        let p = eqnemix_models::eqtransformer::PickerConfig::default();
        PickerSection {
            detection_threshold: p.detection_threshold,
            p_threshold: p.p_threshold,
            s_threshold: p.s_threshold,
            error_s: 0.0,
            mc_dropout_passes: 0,
        }
    }
}

impl PickerSection {
    /// Check the values; errors name the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (key, v) in [("detection_threshold", self.detection_threshold), ("p_threshold", self.p_threshold), ("s_threshold", self.s_threshold)] {
            if !(v > 0.0 && v <= 1.0) {
                return Err(invalid(&format!("pipeline.picker.{key}"), format!("must be a probability in (0, 1] (is {v})")));
            }
        }
        if !(self.error_s.is_finite() && self.error_s >= 0.0) {
            return Err(invalid("pipeline.picker.error_s", format!("must be finite and >= 0 (is {})", self.error_s)));
        }
        if self.mc_dropout_passes == 1 {
            return Err(invalid("pipeline.picker.mc_dropout_passes", "must be 0 (off) or at least 2 (a spread needs two passes)".to_string()));
        }
        Ok(())
    }
}

/// `[pipeline] window_before_p_s`: one lead (s) or several.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum WindowLeads {
    /// One window per detection.
    One(f64),
    /// One window per lead; the network outputs are averaged.
    Several(Vec<f64>),
}

impl WindowLeads {
    /// The leads (s).
    pub fn seconds(&self) -> &[f64] {
        match self {
            WindowLeads::One(l) => std::slice::from_ref(l),
            WindowLeads::Several(v) => v,
        }
    }
}

/// `[pipeline]`: the switches of `eqnemix run`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PipelineSection {
    /// `"waveforms"` (default) or `"picks"`.
    pub start: Start,
    /// Picks file used when `start = "picks"`: the eqnemix picks CSV,
    /// EQTransformer's `X_prediction_results.csv`, or the `picks.csv` of
    /// `eqnemix generate`.
    pub picks: Option<PathBuf>,
    /// `clusters_gaussian.json` to use instead of clustering `[run] catalog`.
    pub clusters: Option<PathBuf>,
    /// True catalog (the `catalog.csv` of `eqnemix generate`) to compare the
    /// located events with; default: the one next to the miniSEED, if any.
    pub truth: Option<PathBuf>,
    /// Use the catalog proportions of the clusters as prior weights even when
    /// a ConvNetQuake model is available.
    pub force_catalog_weights: bool,
    /// Seconds of record before the P pick in the 10 s window ConvNetQuake
    /// classifies for each detection (`eqnemix create-dataset-events
    /// --margin` cuts its training windows the same way), each in `[0, 10)`:
    /// one number, or a list of leads, one window each, whose network
    /// outputs are averaged (so a P pick that is off by a second still
    /// gives windows like the ones the network was trained on).
    pub window_before_p_s: WindowLeads,
    /// EQTransformer's thresholds and timing error.
    pub picker: PickerSection,
    /// Write synthetic data (`[pipeline.synthetic]`) into `<out>/sample/`
    /// when the configured input data do not exist. Off by default: a
    /// mistyped `run.mseed_dir` is an error naming the key and the path,
    /// never a silent run on synthetic data.
    pub generate_if_missing: bool,
    /// Locate at most this many events (the first in time).
    pub max_events: Option<usize>,
    /// Synthetic data settings.
    pub synthetic: SyntheticSection,
}

impl Default for PipelineSection {
    fn default() -> Self {
        PipelineSection {
            start: Start::Waveforms,
            picks: None,
            clusters: None,
            truth: None,
            force_catalog_weights: false,
            window_before_p_s: WindowLeads::One(1.0),
            picker: PickerSection::default(),
            generate_if_missing: false,
            max_events: None,
            synthetic: SyntheticSection::default(),
        }
    }
}

impl RunConfig {
    /// Check the values; errors name the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.n_clusters == 0 {
            return Err(invalid("run.n_clusters", "must be > 0"));
        }
        Ok(())
    }
}

impl PipelineSection {
    /// Check the values; errors name the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let s = &self.synthetic;
        if s.n_events == 0 {
            return Err(invalid("pipeline.synthetic.n_events", "must be > 0"));
        }
        if !(s.duration_hours.is_finite() && s.duration_hours > 0.0) {
            return Err(invalid("pipeline.synthetic.duration_hours", "must be finite and > 0"));
        }
        if self.max_events == Some(0) {
            return Err(invalid("pipeline.max_events", "must be > 0"));
        }
        let leads = self.window_before_p_s.seconds();
        if leads.is_empty() {
            return Err(invalid("pipeline.window_before_p_s", "needs at least one lead"));
        }
        if let Some(bad) = leads.iter().find(|l| !(l.is_finite() && (0.0..10.0).contains(*l))) {
            return Err(invalid("pipeline.window_before_p_s", format!("must be in [0, 10) s (is {bad})")));
        }
        self.picker.validate()?;
        if self.start == Start::Picks && self.picks.is_none() {
            return Err(invalid("pipeline.picks", "needed with pipeline.start = \"picks\""));
        }
        Ok(())
    }
}
