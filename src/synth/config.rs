//! Configuration of the synthetic region and recording (TOML, every field
//! has a default: `eqnemix generate --config defaults`).

use std::path::PathBuf;

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::models::waveform::MseedEncoding;

/// A recording station (the first one is the projection origin).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StationSpec {
    /// Station code (at most 5 characters, miniSEED v2).
    pub code: String,
    /// Longitude (degrees east, WGS84).
    pub longitude: f64,
    /// Latitude (degrees north, WGS84).
    pub latitude: f64,
    /// Elevation above the velocity model's datum (m).
    #[serde(default)]
    pub elevation_m: f64,
}

/// A cluster of sources: a Gaussian around a centre, with standard
/// deviations along east, north and depth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterSpec {
    pub name: String,
    /// Centre longitude (degrees east).
    pub longitude: f64,
    /// Centre latitude (degrees north).
    pub latitude: f64,
    /// Centre depth (km, positive down).
    pub depth_km: f64,
    /// Standard deviations east, north, depth (km).
    pub sigma_km: [f64; 3],
    /// Relative rate of events (any positive scale).
    pub weight: f64,
}

/// Everything the generator needs. Units: s, km, m/s, Hz; magnitudes Mw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SynthConfig {
    /// Random seed: same seed and configuration, byte-identical files.
    pub seed: u64,
    /// Time of the first sample (UTC).
    pub start_time: DateTime<Utc>,
    /// Length of the continuous records (hours).
    pub duration_hours: f64,
    /// Number of events.
    pub n_events: usize,
    /// Minimum time between two origin times (s), so event windows do not overlap.
    pub min_separation_s: f64,
    /// Sampling rate (Hz, whole number).
    pub sampling_rate_hz: f64,
    /// SEED network, location code and two-letter band/instrument prefix.
    pub network: String,
    pub location: String,
    pub channel_prefix: String,
    pub stations: Vec<StationSpec>,
    /// Layered velocity model TOML; `None` uses the built-in copy of
    /// `examples/data/velocity/ridgecrest_1d.toml`.
    pub velocity_model: Option<PathBuf>,
    pub clusters: Vec<ClusterSpec>,
    /// Magnitudes follow Gutenberg-Richter with this b-value, truncated to [min, max].
    pub magnitude_min: f64,
    pub magnitude_max: f64,
    pub b_value: f64,
    /// Brune stress drop (MPa), sets the corner frequencies.
    pub stress_drop_mpa: f64,
    /// Quality factors of P and S (attenuation t* = T / Q).
    pub q_p: f64,
    pub q_s: f64,
    /// Sensor gain (counts per m/s of ground velocity).
    pub gain_counts_per_m_s: f64,
    /// RMS of the site noise (counts): red noise above 0.5 Hz whose velocity
    /// PSD falls as f^-2 above 1 Hz (see `background_noise`), before the
    /// (stronger, 0.1-0.35 Hz) microseism is added.
    pub noise_rms_counts: f64,
    /// RMS of the microseism (counts).
    pub microseism_rms_counts: f64,
    /// Factor on the scattered P and S codas (1: the generator's levels,
    /// `P_CODA_LEVEL` and `S_CODA_LEVEL` of the direct peaks; 0: direct
    /// waves and noise only, e.g. to test an estimator against the noise
    /// alone).
    pub coda_scale: f64,
    /// miniSEED sample encoding.
    pub encoding: MseedEncoding,
}

/// The built-in velocity model (a copy of examples/data/velocity/ridgecrest_1d.toml).
pub const DEFAULT_VELOCITY_TOML: &str =
    include_str!("../../examples/data/velocity/ridgecrest_1d.toml");

impl Default for SynthConfig {
    /// Station SYN1 and the five clusters of the sample catalog
    /// (examples/data/catalog/README.md), 4 h, 48 events, 100 Hz.
    fn default() -> Self {
        let c = |name: &str, lon: f64, lat: f64, depth: f64, sh: [f64; 2], sz: f64, w: f64| {
            ClusterSpec {
                name: name.into(),
                longitude: lon,
                latitude: lat,
                depth_km: depth,
                sigma_km: [sh[0], sh[1], sz],
                weight: w,
            }
        };
        SynthConfig {
            seed: 1,
            start_time: Utc
                .with_ymd_and_hms(2019, 7, 6, 0, 0, 0)
                .single()
                .expect("valid date"),
            duration_hours: 4.0,
            n_events: 48,
            min_separation_s: 120.0,
            sampling_rate_hz: 100.0,
            network: "XX".into(),
            location: "00".into(),
            channel_prefix: "HH".into(),
            stations: vec![StationSpec {
                code: "SYN1".into(),
                longitude: -117.6,
                latitude: 35.7,
                elevation_m: 0.0,
            }],
            velocity_model: None,
            clusters: vec![
                c("A", -117.55455, 35.80141, 7.0, [1.5, 1.2], 1.5, 80.0),
                c("B", -117.21861, 35.55557, 5.0, [2.0, 1.5], 1.0, 60.0),
                c("C", -118.22438, 35.51545, 9.0, [2.5, 2.0], 2.0, 50.0),
                c("D", -117.84917, 36.05048, 4.0, [2.0, 2.5], 1.0, 70.0),
                c("E", -117.44616, 34.99147, 11.0, [3.0, 2.0], 3.0, 40.0),
            ],
            magnitude_min: 2.0,
            magnitude_max: 4.0,
            b_value: 1.0,
            stress_drop_mpa: 3.0,
            q_p: 300.0,
            q_s: 250.0,
            gain_counts_per_m_s: 3.0e8,
            noise_rms_counts: 6.0,
            microseism_rms_counts: 30.0,
            coda_scale: 1.0,
            encoding: MseedEncoding::Steim2,
        }
    }
}

impl SynthConfig {
    /// Check the values; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        let pos = |v: f64, name: &str| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(format!("{name} must be positive, got {v}"))
            }
        };
        pos(self.duration_hours, "duration_hours")?;
        pos(self.sampling_rate_hz, "sampling_rate_hz")?;
        if (self.sampling_rate_hz - self.sampling_rate_hz.round()).abs() > 1e-9 {
            return Err(format!(
                "sampling_rate_hz must be a whole number of Hz, got {}",
                self.sampling_rate_hz
            ));
        }
        pos(self.stress_drop_mpa, "stress_drop_mpa")?;
        pos(self.q_p, "q_p")?;
        pos(self.q_s, "q_s")?;
        pos(self.gain_counts_per_m_s, "gain_counts_per_m_s")?;
        pos(self.b_value, "b_value")?;
        if [self.noise_rms_counts, self.microseism_rms_counts]
            .iter()
            .any(|v| v.is_nan() || *v < 0.0)
        {
            return Err("noise_rms_counts and microseism_rms_counts must be >= 0".into());
        }
        if !(self.coda_scale.is_finite() && self.coda_scale >= 0.0) {
            return Err(format!("coda_scale must be >= 0, got {}", self.coda_scale));
        }
        if self.magnitude_min.is_nan()
            || self.magnitude_max.is_nan()
            || self.magnitude_min > self.magnitude_max
        {
            return Err(format!(
                "magnitude_min {} > magnitude_max {}",
                self.magnitude_min, self.magnitude_max
            ));
        }
        if self.stations.is_empty() {
            return Err("stations: at least one station is needed".into());
        }
        for (i, s) in self.stations.iter().enumerate() {
            if s.code.is_empty() || s.code.len() > 5 {
                return Err(format!(
                    "stations[{i}].code must have 1 to 5 characters, got {:?}",
                    s.code
                ));
            }
        }
        if self.network.len() > 2 || self.location.len() > 2 || self.channel_prefix.len() != 2 {
            return Err("network (<= 2), location (<= 2) and channel_prefix (exactly 2 characters) do not fit miniSEED".into());
        }
        if self.n_events > 0 && self.clusters.is_empty() {
            return Err("clusters: at least one cluster is needed".into());
        }
        for (i, c) in self.clusters.iter().enumerate() {
            if c.weight.is_nan()
                || c.weight <= 0.0
                || c.sigma_km.iter().any(|s| s.is_nan() || *s < 0.0)
            {
                return Err(format!(
                    "clusters[{i}] ({}): weight must be > 0 and sigma_km >= 0",
                    c.name
                ));
            }
        }
        let usable = self.duration_hours * 3600.0 - 180.0; // events between 30 s and the end - 150 s
        if self.n_events > 0 && usable < self.n_events as f64 * self.min_separation_s {
            return Err(format!(
                "n_events = {} with min_separation_s = {} do not fit in duration_hours = {}",
                self.n_events, self.min_separation_s, self.duration_hours
            ));
        }
        Ok(())
    }
}
