//! The configuration of `eqnemix run`: the `eqnemix locate` configuration
//! ([`LocateConfig`], its `[run]` table names the inputs) plus a
//! `[pipeline]` table with the pipeline's own switches ([`PipelineSection`]).
//!
//! Both are read from one TOML file. The `[pipeline]` table is cut out
//! (its lines blanked, so line numbers in errors stay right) before the rest
//! is parsed by [`LocateConfig::from_toml_str`]; unknown keys are errors in
//! both parts and name the key.

use crate::config::{ConfigError, LocateConfig};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

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
/// miniSEED folder is missing and `generate_if_missing` is on (see
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
        SyntheticSection {
            seed: 1,
            n_events: 8,
            duration_hours: 0.5,
        }
    }
}

/// `[pipeline]`: the switches of `eqnemix run`. Relative paths are relative
/// to the configuration file's folder.
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
    /// located events with; default: the one of generated data.
    pub truth: Option<PathBuf>,
    /// Use the catalog proportions of the clusters as prior weights even when
    /// a ConvNetQuake model is available.
    pub force_catalog_weights: bool,
    /// Write synthetic data (`[pipeline.synthetic]`) into `<out>/sample/`
    /// when `[run] mseed_dir` does not exist.
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
            generate_if_missing: true,
            max_events: None,
            synthetic: SyntheticSection::default(),
        }
    }
}

/// The whole configuration of `eqnemix run`.
#[derive(Debug, Clone)]
pub struct RunPipelineConfig {
    /// Locate settings and `[run]` inputs.
    pub locate: LocateConfig,
    /// `[pipeline]`.
    pub pipeline: PipelineSection,
    /// Folder relative paths are resolved against.
    pub base_dir: PathBuf,
    /// Where the configuration came from (for the report).
    pub source: String,
}

impl RunPipelineConfig {
    /// Resolve `p` against the configuration's folder.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base_dir.join(p)
        }
    }

    /// Read a configuration file.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let base = path.parent().map(PathBuf::from).unwrap_or_default();
        let base = if base.as_os_str().is_empty() { PathBuf::from(".") } else { base };
        Self::from_toml_str(&text, path, base, path.display().to_string())
    }

    /// Parse `text` (named `path` in errors); relative paths resolve against `base_dir`.
    pub fn from_toml_str(text: &str, path: &Path, base_dir: PathBuf, source: String) -> Result<Self, ConfigError> {
        let (rest, section) = split_pipeline_section(text);
        let locate = LocateConfig::from_toml_str(&rest, path)?;
        let pipeline = match section {
            None => PipelineSection::default(),
            Some(body) => {
                // `body` keeps every line of `text` in place (others blank),
                // so a span's line in `body` is its line in the file.
                toml::from_str::<Wrapper>(&body)
                    .map_err(|e| {
                        let line = e.span().map_or(0, |s| body[..s.start.min(body.len())].matches('\n').count() + 1);
                        let msg = e.message().trim_end().to_string();
                        // serde names the unknown field without its table.
                        let msg = msg.replace("unknown field `", "unknown key `pipeline.");
                        ConfigError::Syntax { path: path.to_path_buf(), line, message: msg }
                    })?
                    .pipeline
            }
        };
        if pipeline.synthetic.n_events == 0 {
            return Err(ConfigError::Invalid { key: "pipeline.synthetic.n_events".into(), why: "must be > 0".into() });
        }
        if !(pipeline.synthetic.duration_hours.is_finite() && pipeline.synthetic.duration_hours > 0.0) {
            return Err(ConfigError::Invalid { key: "pipeline.synthetic.duration_hours".into(), why: "must be finite and > 0".into() });
        }
        if pipeline.max_events == Some(0) {
            return Err(ConfigError::Invalid { key: "pipeline.max_events".into(), why: "must be > 0".into() });
        }
        if pipeline.start == Start::Picks && pipeline.picks.is_none() {
            return Err(ConfigError::Invalid { key: "pipeline.picks".into(), why: "needed with pipeline.start = \"picks\"".into() });
        }
        Ok(RunPipelineConfig { locate, pipeline, base_dir, source })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wrapper {
    #[serde(default)]
    pipeline: PipelineSection,
}

/// Split `text` in two texts with the same lines: the `[pipeline]` table and
/// its sub-tables (other lines blank), and everything else (those lines
/// blank). Line numbers in parse errors therefore stay those of the file.
/// Returns `None` for the pipeline part when the file has no such table.
fn split_pipeline_section(text: &str) -> (String, Option<String>) {
    let mut rest = String::with_capacity(text.len());
    let mut body = String::with_capacity(text.len());
    let mut found = false;
    let mut inside = false;
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with('[') {
            let name = t.trim_start_matches('[').split(']').next().unwrap_or("").trim();
            inside = name == "pipeline" || name.starts_with("pipeline.");
            found |= inside;
        }
        let (to, blank) = if inside { (&mut body, &mut rest) } else { (&mut rest, &mut body) };
        to.push_str(line);
        to.push('\n');
        blank.push('\n');
    }
    (rest, found.then_some(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipeline_table_is_split_and_parsed() {
        let text = "n_chains = 2\n[pipeline]\nstart = \"picks\"\npicks = \"p.csv\"\n[pipeline.synthetic]\nn_events = 3\n[sampler]\nkind = \"metropolis\"\n";
        let c = RunPipelineConfig::from_toml_str(text, Path::new("c.toml"), PathBuf::from("."), "t".into()).unwrap();
        assert_eq!(c.locate.n_chains, 2);
        assert_eq!(c.locate.sampler.kind(), "metropolis");
        assert_eq!(c.pipeline.start, Start::Picks);
        assert_eq!(c.pipeline.synthetic.n_events, 3);
    }

    #[test]
    fn unknown_pipeline_key_is_named_with_its_line() {
        let text = "n_chains = 2\n[pipeline]\nstrat = \"picks\"\n";
        let e = RunPipelineConfig::from_toml_str(text, Path::new("c.toml"), PathBuf::from("."), "t".into()).unwrap_err();
        let s = e.to_string();
        assert!(s.contains("strat"), "{s}");
        assert!(s.contains("c.toml:3"), "{s}");
    }

    #[test]
    fn unknown_locate_key_keeps_its_line() {
        let text = "[pipeline]\nstart = \"waveforms\"\n\n[sampler]\nkind = \"nuts\"\nn_draw = 3\n";
        let e = RunPipelineConfig::from_toml_str(text, Path::new("c.toml"), PathBuf::from("."), "t".into()).unwrap_err();
        let s = e.to_string();
        assert!(s.contains("n_draw") && s.contains("c.toml:6"), "{s}");
    }
}
