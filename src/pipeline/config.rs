//! The configuration of `eqnemix run`: one TOML file read by
//! [`LocateConfig`] (the locate settings plus the `[run]` inputs and the
//! `[pipeline]` switches, see [`crate::config::pipeline`]), with the folder
//! its relative paths resolve against. Defaults, unknown-key errors (with
//! their line) and value checks all come from [`crate::config`].

pub use crate::config::{PipelineSection, Start, SyntheticSection};
use crate::config::{ConfigError, LocateConfig};
use std::path::{Path, PathBuf};

/// The whole configuration of `eqnemix run`.
#[derive(Debug, Clone)]
pub struct RunPipelineConfig {
    /// Locate settings, `[run]` inputs and `[pipeline]` switches.
    pub locate: LocateConfig,
    /// Folder relative paths are resolved against.
    pub base_dir: PathBuf,
    /// Where the configuration came from (for the report).
    pub source: String,
}

impl RunPipelineConfig {
    /// `[pipeline]`.
    pub fn pipeline(&self) -> &PipelineSection {
        &self.locate.pipeline
    }

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
        Self::from_file_with(path, &[])
    }

    /// Read a configuration file and apply `--set` overrides
    /// ([`crate::config::overrides`]).
    pub fn from_file_with(path: &Path, overrides: &[crate::config::overrides::Override]) -> Result<Self, ConfigError> {
        let locate = LocateConfig::from_file_with(path, overrides)?;
        let base = path.parent().map(PathBuf::from).unwrap_or_default();
        let base = if base.as_os_str().is_empty() { PathBuf::from(".") } else { base };
        let mut source = path.display().to_string();
        for o in overrides {
            source.push_str(&format!(" --set {o}"));
        }
        Ok(RunPipelineConfig { locate, base_dir: base, source })
    }

    /// Parse `text` (named `path` in errors); relative paths resolve against `base_dir`.
    pub fn from_toml_str(text: &str, path: &Path, base_dir: PathBuf, source: String) -> Result<Self, ConfigError> {
        let locate = LocateConfig::from_toml_str(text, path)?;
        Ok(RunPipelineConfig { locate, base_dir, source })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<RunPipelineConfig, ConfigError> {
        RunPipelineConfig::from_toml_str(text, Path::new("c.toml"), PathBuf::from("."), "t".into())
    }

    #[test]
    fn pipeline_and_locate_tables_parse_together() {
        let c = parse("n_chains = 2\n[pipeline]\nstart = \"picks\"\npicks = \"p.csv\"\n[pipeline.synthetic]\nn_events = 3\n[sampler]\nkind = \"metropolis\"\n").unwrap();
        assert_eq!(c.locate.n_chains, 2);
        assert_eq!(c.locate.sampler.kind(), "metropolis");
        assert_eq!(c.pipeline().start, Start::Picks);
        assert_eq!(c.pipeline().synthetic.n_events, 3);
        assert_eq!(c.locate.run.n_clusters, crate::config::DEFAULT_N_CLUSTERS);
    }

    #[test]
    fn window_leads_and_picker_settings_parse() {
        let c = parse("[pipeline]\nwindow_before_p_s = [0.5, 2.0]\n[pipeline.picker]\np_threshold = 0.05\nerror_s = 0.7\n").unwrap();
        assert_eq!(c.pipeline().window_before_p_s.seconds(), [0.5, 2.0]);
        assert_eq!((c.pipeline().picker.p_threshold, c.pipeline().picker.error_s), (0.05, 0.7));
        // Unset keys keep the original predictor's thresholds.
        assert_eq!(c.pipeline().picker.detection_threshold, eqnemix_models::eqtransformer::PickerConfig::default().detection_threshold);
        let c = parse("[pipeline]\nwindow_before_p_s = 1.5\n").unwrap();
        assert_eq!(c.pipeline().window_before_p_s.seconds(), [1.5]);
        assert_eq!(c.pipeline().picker.error_s, 0.0);
        assert_eq!(c.pipeline().picker.mc_dropout_passes, 0, "Monte-Carlo dropout is off by default");
        let c = parse("[pipeline.picker]\nmc_dropout_passes = 20\n").unwrap();
        assert_eq!(c.pipeline().picker.mc_dropout_passes, 20);
    }

    #[test]
    fn unknown_pipeline_key_is_named_with_its_table_and_line() {
        let s = parse("n_chains = 2\n[pipeline]\nstrat = \"picks\"\n").unwrap_err().to_string();
        assert!(s.contains("pipeline.strat") && s.contains("c.toml:3"), "{s}");
        let s = parse("[pipeline.synthetic]\nseeds = 3\n").unwrap_err().to_string();
        assert!(s.contains("pipeline.synthetic.seeds") && s.contains("c.toml:2"), "{s}");
        let s = parse("[pipeline]\nstart = \"waveforms\"\n\n[sampler]\nkind = \"nuts\"\nn_draw = 3\n").unwrap_err().to_string();
        assert!(s.contains("n_draw") && s.contains("c.toml:6"), "{s}");
    }

    #[test]
    fn pipeline_values_are_checked_by_key() {
        for (text, key) in [
            ("[pipeline]\nstart = \"picks\"\n", "pipeline.picks"),
            ("[pipeline]\nmax_events = 0\n", "pipeline.max_events"),
            ("[pipeline]\nwindow_before_p_s = 10.0\n", "pipeline.window_before_p_s"),
            ("[pipeline]\nwindow_before_p_s = [1.0, -0.5]\n", "pipeline.window_before_p_s"),
            ("[pipeline]\nwindow_before_p_s = []\n", "pipeline.window_before_p_s"),
            ("[pipeline.picker]\ns_threshold = 0.0\n", "pipeline.picker.s_threshold"),
            ("[pipeline.picker]\nerror_s = -1.0\n", "pipeline.picker.error_s"),
            ("[pipeline.picker]\nmc_dropout_passes = 1\n", "pipeline.picker.mc_dropout_passes"),
            ("[pipeline.synthetic]\nduration_hours = 0.0\n", "pipeline.synthetic.duration_hours"),
            ("[run]\nn_clusters = 0\n", "run.n_clusters"),
        ] {
            let s = parse(text).unwrap_err().to_string();
            assert!(s.starts_with(key), "{text}: {s}");
        }
    }
}
