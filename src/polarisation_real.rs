//! The back-azimuth estimator ([`crate::polarisation`]) on real, labelled
//! three-component records: loading `examples/data/polarisation_real/`
//! (`records.csv` + one miniSEED file per record, see its README), running
//! the estimator at the catalog P time and scoring it against the true
//! back-azimuth. Shared by `examples/polarisation_real.rs` (the table the
//! README quotes) and `tests/polarisation_real.rs` (the calibration guard).
//!
//! # Scores
//!
//! `error = estimate − truth` wrapped to `(−180°, 180°]`; a record is
//! *flipped* when `|error| > 90°`. The reported distribution of a record is
//! the two-lobe mixture `(1 − p_flip) N(b, σ) + p_flip N(b + 180°, σ)`
//! (wrapped normals); its `level` is the probability mass of the points
//! where the reported density exceeds the density at the truth. The truth is
//! inside the `q` highest-density interval exactly when `level ≤ q`; for a
//! calibrated estimator `level` is uniform on `[0, 1]`, so the fraction with
//! `level ≤ 0.9` (the 90 % coverage) is near 0.9.

use crate::polarisation::{p_wave_polarisation_3c, Polarisation, PolarisationError, PolarisationWindow};
use anyhow::{bail, Context, Result};
use chrono::{DateTime, Utc};
use eqnemix_models::waveform::mseed::read_mseed;
use eqnemix_models::waveform::ThreeComponent;
use std::path::Path;

/// One labelled record of `records.csv`.
#[derive(Debug, Clone)]
pub struct RealRecord {
    /// miniSEED file name (in the data directory).
    pub file: String,
    /// `ipoc` or `corinth`.
    pub source: String,
    /// Event identifier.
    pub event_id: String,
    /// True back-azimuth, station towards epicentre (degrees).
    pub back_azimuth_deg: f64,
    /// Epicentral distance (km).
    pub distance_km: f64,
    /// Catalog P time.
    pub p_time: DateTime<Utc>,
    /// Catalog S time, when picked.
    pub s_time: Option<DateTime<Utc>>,
    /// The three components.
    pub three: ThreeComponent,
}

fn parse_time(s: &str) -> Result<DateTime<Utc>> {
    Ok(DateTime::parse_from_rfc3339(s.trim()).with_context(|| format!("time {s:?}"))?.with_timezone(&Utc))
}

/// Read `records.csv` and every record's miniSEED file from `dir`.
pub fn load_records(dir: &Path) -> Result<Vec<RealRecord>> {
    let mut rdr = csv::Reader::from_path(dir.join("records.csv")).context("records.csv")?;
    let headers = rdr.headers()?.clone();
    let col = |name: &str| headers.iter().position(|h| h == name).with_context(|| format!("no column {name}"));
    let (cf, cs, ce, cb, cd, cp, cst) = (
        col("file")?,
        col("source")?,
        col("event_id")?,
        col("back_azimuth_deg")?,
        col("distance_km")?,
        col("p_time")?,
        col("s_time")?,
    );
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec?;
        let file = rec[cf].to_string();
        let stream = read_mseed(dir.join(&file)).with_context(|| file.clone())?;
        let mut comps: [Option<&eqnemix_models::waveform::Trace>; 3] = [None, None, None];
        for tr in &stream.traces {
            let k = match tr.id.channel.chars().last() {
                Some('Z') => 0,
                Some('N') => 1,
                Some('E') => 2,
                _ => continue,
            };
            if comps[k].is_some() {
                bail!("{file}: more than one trace of component {}", tr.id.channel);
            }
            comps[k] = Some(tr);
        }
        let [Some(z), Some(n), Some(e)] = comps else { bail!("{file}: not three components Z, N, E") };
        let fs = z.sampling_rate;
        for t in [n, e] {
            let off = (t.start - z.start).num_microseconds().unwrap_or(i64::MAX).abs() as f64 * 1e-6;
            if t.sampling_rate != fs || off > 0.5 / fs {
                bail!("{file}: components not aligned");
            }
        }
        let len = z.data.len().min(n.data.len()).min(e.data.len());
        let three = ThreeComponent {
            station: z.id.station.clone(),
            channels: [z.id.channel.clone(), n.id.channel.clone(), e.id.channel.clone()],
            start: z.start,
            sampling_rate: fs,
            z: z.data[..len].to_vec(),
            n: n.data[..len].to_vec(),
            e: e.data[..len].to_vec(),
        };
        let s = rec[cst].trim();
        out.push(RealRecord {
            file,
            source: rec[cs].to_string(),
            event_id: rec[ce].to_string(),
            back_azimuth_deg: rec[cb].parse().context("back_azimuth_deg")?,
            distance_km: rec[cd].parse().context("distance_km")?,
            p_time: parse_time(&rec[cp])?,
            s_time: if s.is_empty() { None } else { Some(parse_time(s)?) },
            three,
        });
    }
    Ok(out)
}

/// Error `a − b` wrapped to `(−180, 180]` degrees.
pub fn angle_diff_deg(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(360.0);
    if d > 180.0 {
        d - 360.0
    } else {
        d
    }
}

/// The reported distribution of one measurement: main lobe at `b`, the
/// flipped lobe at `b + 180°` with probability `p_flip`, both of width `sigma`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reported {
    /// Back-azimuth (degrees).
    pub back_azimuth_deg: f64,
    /// One-sigma width of each lobe (degrees).
    pub sigma_deg: f64,
    /// Probability of the lobe at `b + 180°`.
    pub p_flip: f64,
}

impl Reported {
    /// The measurement's two-lobe distribution as the estimator reports it.
    pub fn of(p: &Polarisation) -> Self {
        Reported { back_azimuth_deg: p.back_azimuth_deg, sigma_deg: p.sigma_back_azimuth_deg, p_flip: p.p_flip }
    }

    /// Density (1/degree) at `x` degrees: wrapped normals (three wraps).
    pub fn density(&self, x: f64) -> f64 {
        let s = self.sigma_deg.max(1e-6);
        let lobe = |c: f64| -> f64 {
            let d = angle_diff_deg(x, c);
            (-1..=1)
                .map(|k| {
                    let u = (d + 360.0 * k as f64) / s;
                    (-0.5 * u * u).exp()
                })
                .sum::<f64>()
                / (s * (2.0 * std::f64::consts::PI).sqrt())
        };
        (1.0 - self.p_flip) * lobe(self.back_azimuth_deg) + self.p_flip * lobe(self.back_azimuth_deg + 180.0)
    }

    /// Mass of the points denser than `truth_deg` (0.1° grid): the truth is
    /// inside the `q` highest-density region when this is `≤ q`.
    pub fn level(&self, truth_deg: f64) -> f64 {
        let f0 = self.density(truth_deg);
        let step = 0.1;
        let (mut above, mut total) = (0.0, 0.0);
        for k in 0..3600 {
            let f = self.density(k as f64 * step);
            total += f;
            if f > f0 {
                above += f;
            }
        }
        if total > 0.0 {
            above / total
        } else {
            0.0
        }
    }
}

/// One record's outcome.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Index of the record in the loaded list (its row in `records.csv`, 0-based).
    pub row: usize,
    /// Source (`ipoc`, `corinth`).
    pub source: String,
    /// True back-azimuth (degrees).
    pub truth_deg: f64,
    /// The measurement, or why there is none (a gate or a window problem).
    pub result: Result<Polarisation, PolarisationError>,
}

impl Outcome {
    /// Error (degrees, wrapped), if measured.
    pub fn error_deg(&self) -> Option<f64> {
        self.result.as_ref().ok().map(|p| angle_diff_deg(p.back_azimuth_deg, self.truth_deg))
    }
}

/// Run the estimator with window `w` on every record at its catalog P (and S) time.
pub fn measure(records: &[RealRecord], w: &PolarisationWindow) -> Vec<Outcome> {
    records
        .iter()
        .enumerate()
        .map(|(row, r)| Outcome {
            row,
            source: r.source.clone(),
            truth_deg: r.back_azimuth_deg,
            result: p_wave_polarisation_3c(&r.three, r.p_time, r.s_time, w),
        })
        .collect()
}

/// Scores of a set of outcomes (one row of the table).
#[derive(Debug, Clone, Default)]
pub struct Scores {
    /// Records.
    pub n: usize,
    /// Records with a measurement (passed the gates).
    pub n_in: usize,
    /// Median |error| of the measured records (degrees).
    pub median_abs_error_deg: f64,
    /// Records with a measurement at SNR ≥ 20 dB.
    pub n_snr20: usize,
    /// Median |error| of those (degrees).
    pub median_abs_error_snr20_deg: f64,
    /// Fraction of the measured records with |error| > 90°.
    pub flipped: f64,
    /// Mean reported flip probability.
    pub mean_p_flip: f64,
    /// Fraction inside the 68 / 90 / 95 % highest-density regions.
    pub coverage: [f64; 3],
    /// Median |error| / sigma of the unflipped measured records.
    pub median_abs_z: f64,
    /// Median reported sigma (degrees).
    pub median_sigma_deg: f64,
}

/// Median of `v` (NaN when empty).
pub fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        0.5 * (v[m - 1] + v[m])
    }
}

/// Score `outcomes` with the reported distribution `report` of each measurement.
pub fn score(outcomes: &[&Outcome], report: impl Fn(&Polarisation) -> Reported) -> Scores {
    let measured: Vec<(&Outcome, &Polarisation)> =
        outcomes.iter().filter_map(|o| o.result.as_ref().ok().map(|p| (*o, p))).collect();
    let errs: Vec<f64> = measured.iter().map(|(o, _)| o.error_deg().unwrap()).collect();
    let n_in = measured.len();
    let frac = |c: usize| if n_in > 0 { c as f64 / n_in as f64 } else { f64::NAN };
    let snr20: Vec<f64> = measured
        .iter()
        .zip(&errs)
        .filter(|((_, p), _)| 10.0 * p.snr.log10() >= 20.0)
        .map(|(_, e)| e.abs())
        .collect();
    let levels: Vec<f64> = measured.iter().map(|(o, p)| report(p).level(o.truth_deg)).collect();
    let cov = |q: f64| frac(levels.iter().filter(|&&l| l <= q).count());
    Scores {
        n: outcomes.len(),
        n_in,
        median_abs_error_deg: median(errs.iter().map(|e| e.abs()).collect()),
        n_snr20: snr20.len(),
        median_abs_error_snr20_deg: median(snr20),
        flipped: frac(errs.iter().filter(|e| e.abs() > 90.0).count()),
        mean_p_flip: if n_in > 0 { measured.iter().map(|(_, p)| report(p).p_flip).sum::<f64>() / n_in as f64 } else { f64::NAN },
        coverage: [cov(0.6827), cov(0.90), cov(0.95)],
        median_abs_z: median(
            measured
                .iter()
                .zip(&errs)
                .filter(|(_, e)| e.abs() <= 90.0)
                .map(|((_, p), e)| e.abs() / report(p).sigma_deg)
                .collect(),
        ),
        median_sigma_deg: median(measured.iter().map(|(_, p)| report(p).sigma_deg).collect()),
    }
}

/// Markdown header of [`Scores::row`].
pub const TABLE_HEADER: &str = "| set | N | measured | median abs err | N (SNR>=20 dB) | median abs err (SNR>=20 dB) | flipped | mean p_flip | cover 68% | cover 90% | cover 95% | median abs err/sigma | median sigma |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|";

impl Scores {
    /// One markdown row named `name`.
    pub fn row(&self, name: &str) -> String {
        format!(
            "| {name} | {} | {} | {:.1}° | {} | {:.1}° | {:.0}% | {:.0}% | {:.2} | {:.2} | {:.2} | {:.2} | {:.1}° |",
            self.n,
            self.n_in,
            self.median_abs_error_deg,
            self.n_snr20,
            self.median_abs_error_snr20_deg,
            100.0 * self.flipped,
            100.0 * self.mean_p_flip,
            self.coverage[0],
            self.coverage[1],
            self.coverage[2],
            self.median_abs_z,
            self.median_sigma_deg
        )
    }
}
