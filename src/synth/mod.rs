//! The synthetic data generator: a region with one (or more) three-component
//! stations and K clusters of sources, a layered velocity model, and
//! continuous 100 Hz records with local earthquakes in them: P and S
//! arrivals at the travel times of the travel-time crate, P polarised along
//! the ray (back-azimuth and incidence from the travel-time gradient), S on
//! the transverse (SH) and SV directions, Brune pulses with corner
//! frequencies from magnitude, 1/R amplitudes, exponential codas, and
//! coloured background noise plus microseism. Output: one miniSEED file
//! per component, the true catalog (same columns as
//! `examples/data/catalog`, plus the true picks and back-azimuths), and a
//! picks file for every station. Deterministic from the seed.
//!
//! Coordinates: local km about the first station (x east, y north, z depth
//! positive down); times UTC; back-azimuth in degrees clockwise from north
//! (from the station towards the source).

pub mod config;
pub mod output;
pub mod source;

pub use config::{ClusterSpec, StationSpec, SynthConfig};
pub use output::write_outputs;

use chrono::{DateTime, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::geo::LocalProjection;
use crate::models::waveform::preprocess::butterworth_sections;
use crate::models::waveform::stream::add_seconds;
use crate::models::waveform::{Stream, Trace, TraceId};
use crate::traveltime::{Layered1D, Phase, Station, TravelTimeField, TravelTimeModel};
use source::{
    brune_corner_hz, coda_duration_s, seismic_moment_nm, BrunePulse, RADIATION_P, RADIATION_S,
};

/// Errors of the generator.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("invalid synthetic configuration: {0}")]
    Config(String),
    #[error(transparent)]
    TravelTime(#[from] crate::traveltime::TravelTimeError),
    #[error("event {event} at station {station}: {message}")]
    Arrival {
        event: String,
        station: String,
        message: String,
    },
    #[error(transparent)]
    Geo(#[from] crate::geo::GeoError),
    #[error(transparent)]
    Waveform(#[from] crate::models::waveform::WaveformError),
    #[error("{path}: {message}")]
    Output {
        path: std::path::PathBuf,
        message: String,
    },
}

/// True arrivals of one event at one station.
#[derive(Debug, Clone, PartialEq)]
pub struct Arrival {
    pub station: String,
    pub p_time: DateTime<Utc>,
    pub s_time: DateTime<Utc>,
    /// From the station towards the source (degrees clockwise from north).
    pub back_azimuth_deg: f64,
    /// Angle of the arriving ray from the vertical at the station (degrees).
    pub p_incidence_deg: f64,
    pub s_incidence_deg: f64,
    pub epicentral_km: f64,
    pub hypocentral_km: f64,
    /// Peak ground velocity of the P and S pulses (counts).
    pub p_peak_counts: f64,
    pub s_peak_counts: f64,
}

/// One synthetic earthquake (the truth).
#[derive(Debug, Clone, PartialEq)]
pub struct SynthEvent {
    pub id: String,
    pub origin_time: DateTime<Utc>,
    pub longitude: f64,
    pub latitude: f64,
    /// `[east, north, depth]` (km) about the first station.
    pub position_km: [f64; 3],
    pub magnitude: f64,
    /// Index into the configuration's clusters.
    pub cluster: usize,
    pub cluster_name: String,
    /// Arrivals at each station, in the configuration's order.
    pub arrivals: Vec<Arrival>,
}

/// Generated records and their truth.
#[derive(Debug, Clone)]
pub struct SynthData {
    pub config: SynthConfig,
    /// Three traces (Z, N, E) per station, in station order.
    pub stream: Stream,
    pub events: Vec<SynthEvent>,
}

/// Load the configured (or built-in) layered model.
pub fn velocity_model(cfg: &SynthConfig) -> Result<Layered1D, SynthError> {
    Ok(match &cfg.velocity_model {
        Some(p) => Layered1D::from_toml_file(p)?,
        None => {
            Layered1D::from_toml_str(config::DEFAULT_VELOCITY_TOML, "built-in ridgecrest_1d.toml")?
        }
    })
}

fn sub_seed(seed: u64, a: u64, b: u64, c: u64) -> u64 {
    // splitmix64 of a combination: independent, reproducible streams
    let mut z = seed
        ^ a.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ b.wrapping_mul(0xC2B2_AE3D_27D4_EB4F)
        ^ c.wrapping_mul(0x1656_67B1_9E37_79F9);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Direction cosines `[Z up, N, E]` of P, SV and SH particle motion for a
/// ray arriving from back-azimuth `back_azimuth` with incidence `inc` (radians).
pub fn polarisation_vectors(back_azimuth: f64, inc: f64) -> ([f64; 3], [f64; 3], [f64; 3]) {
    let (sb, cb) = back_azimuth.sin_cos();
    let (si, ci) = inc.sin_cos();
    // compression: up and away from the source
    let p = [ci, -si * cb, -si * sb];
    let sv = [si, ci * cb, ci * sb];
    let sh = [0.0, -sb, cb];
    (p, sv, sh)
}

fn gaussian_noise(rng: &mut ChaCha8Rng, n: usize) -> Vec<f64> {
    (0..n).map(|_| StandardNormal.sample(rng)).collect()
}

fn rms(x: &[f64]) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    (x.iter().map(|v| v * v).sum::<f64>() / x.len() as f64).sqrt()
}

/// Coloured noise: white noise through a 0.5 Hz high-pass and a 20 Hz
/// low-pass (order 2), scaled to `site_rms`, plus white noise band-passed to
/// 0.1-0.35 Hz scaled to `micro_rms` (the ocean microseism).
fn background_noise(
    rng: &mut ChaCha8Rng,
    n: usize,
    fs: f64,
    site_rms: f64,
    micro_rms: f64,
) -> Vec<f64> {
    let mut site = gaussian_noise(rng, n);
    for s in butterworth_sections(1, 0.5, fs, true)
        .iter()
        .chain(butterworth_sections(2, 20.0_f64.min(0.4 * fs), fs, false).iter())
    {
        s.run(&mut site);
    }
    let mut micro = gaussian_noise(rng, n);
    for s in butterworth_sections(2, 0.1, fs, true)
        .iter()
        .chain(butterworth_sections(2, 0.35, fs, false).iter())
    {
        s.run(&mut micro);
    }
    let (a, b) = (
        site_rms / rms(&site).max(1e-300),
        micro_rms / rms(&micro).max(1e-300),
    );
    site.iter()
        .zip(&micro)
        .map(|(s, m)| a * s + b * m)
        .collect()
}

/// Band-limited unit-RMS random signal for codas.
fn coda_noise(rng: &mut ChaCha8Rng, n: usize, fs: f64, high_hz: f64) -> Vec<f64> {
    let mut x = gaussian_noise(rng, n);
    for s in butterworth_sections(2, 1.0, fs, true)
        .iter()
        .chain(butterworth_sections(2, high_hz.clamp(2.0, 0.4 * fs), fs, false).iter())
    {
        s.run(&mut x);
    }
    let r = rms(&x).max(1e-300);
    x.iter_mut().for_each(|v| *v /= r);
    x
}

/// Draw the events and build the records (in memory).
pub fn synthesize(cfg: &SynthConfig) -> Result<SynthData, SynthError> {
    cfg.validate().map_err(SynthError::Config)?;
    let fs = cfg.sampling_rate_hz;
    let n_samples = (cfg.duration_hours * 3600.0 * fs).round() as usize;
    let proj = LocalProjection::new(cfg.stations[0].longitude, cfg.stations[0].latitude)?;
    let model = velocity_model(cfg)?;
    let layers = model.layers().to_vec();
    let v_at = |z: f64, phase: Phase| layers[model.layer_index(z)].velocity(phase);

    let stations: Vec<Station> = cfg
        .stations
        .iter()
        .map(|s| {
            let (e, n) = proj.to_local_km(s.longitude, s.latitude);
            Station {
                code: s.code.clone(),
                position_km: [e, n, -s.elevation_m / 1000.0],
            }
        })
        .collect();
    let mut fields: Vec<(
        std::sync::Arc<dyn TravelTimeField>,
        std::sync::Arc<dyn TravelTimeField>,
    )> = Vec::new();
    for st in &stations {
        fields.push((model.field(st, Phase::P)?, model.field(st, Phase::S)?));
    }

    // --- the events (one RNG stream, fixed order of draws) ---
    let mut rng = ChaCha8Rng::seed_from_u64(sub_seed(cfg.seed, 1, 0, 0));
    let total_s = cfg.duration_hours * 3600.0;
    let (t_lo, t_hi) = (30.0, total_s - 150.0);
    // Origin times: one per equal slot of the usable span, jittered inside
    // its slot so that consecutive events are at least min_separation_s apart.
    let slot = (t_hi - t_lo) / cfg.n_events.max(1) as f64;
    let jitter = (slot - cfg.min_separation_s).max(0.0);
    let mut times: Vec<f64> = (0..cfg.n_events)
        .map(|i| t_lo + i as f64 * slot + rng.gen_range(0.0..=jitter))
        .collect();
    times.sort_by(|a, b| a.total_cmp(b));
    let wsum: f64 = cfg.clusters.iter().map(|c| c.weight).sum();
    let centres: Vec<[f64; 3]> = cfg
        .clusters
        .iter()
        .map(|c| {
            let (e, n) = proj.to_local_km(c.longitude, c.latitude);
            [e, n, c.depth_km]
        })
        .collect();
    let mut traces: Vec<[Vec<f64>; 3]> = Vec::with_capacity(stations.len());
    for (si, _) in stations.iter().enumerate() {
        let comp = |c: u64| {
            let mut r = ChaCha8Rng::seed_from_u64(sub_seed(cfg.seed, 2, si as u64, c));
            background_noise(
                &mut r,
                n_samples,
                fs,
                cfg.noise_rms_counts,
                cfg.microseism_rms_counts,
            )
        };
        traces.push([comp(0), comp(1), comp(2)]);
    }

    let mut events = Vec::with_capacity(cfg.n_events);
    for (ei, &t_origin) in times.iter().enumerate() {
        // cluster, position, magnitude, polarities, S polarisation angle
        let mut u = rng.gen_range(0.0..wsum);
        let mut k = 0;
        while k + 1 < cfg.clusters.len() && u >= cfg.clusters[k].weight {
            u -= cfg.clusters[k].weight;
            k += 1;
        }
        let sig = cfg.clusters[k].sigma_km;
        let mut x = [0.0; 3];
        for d in 0..3 {
            let g: f64 = StandardNormal.sample(&mut rng);
            x[d] = centres[k][d] + sig[d] * g;
        }
        x[2] = x[2].max(0.5);
        let um: f64 = rng.gen_range(0.0..1.0);
        let span = 1.0 - 10f64.powf(-cfg.b_value * (cfg.magnitude_max - cfg.magnitude_min));
        let mag = cfg.magnitude_min - (1.0 - um * span).log10() / cfg.b_value;
        let pol_p: f64 = if rng.gen_bool(0.5) { 1.0 } else { -1.0 };
        let pol_s: f64 = if rng.gen_bool(0.5) { 1.0 } else { -1.0 };
        let phi: f64 = rng.gen_range(0.0..std::f64::consts::TAU);
        let id = format!("ev{ei:04}");
        let origin_time = add_seconds(cfg.start_time, t_origin);
        let (lon, lat) = proj.to_lonlat(x[0], x[1]);

        let m0 = seismic_moment_nm(mag);
        let fc_s = brune_corner_hz(m0, cfg.stress_drop_mpa, v_at(x[2], Phase::S));
        let fc_p = 1.5 * fc_s;
        let coda_tau = (coda_duration_s(mag) / 5.0).min(30.0);
        let mut arrivals = Vec::with_capacity(stations.len());
        for (si, st) in stations.iter().enumerate() {
            let err = |message: String| SynthError::Arrival {
                event: id.clone(),
                station: st.code.clone(),
                message,
            };
            let (tp, gp) = fields[si]
                .0
                .time_and_gradient(x)
                .map_err(|e| err(e.to_string()))?;
            let (ts, gs) = fields[si]
                .1
                .time_and_gradient(x)
                .map_err(|e| err(e.to_string()))?;
            let de = x[0] - st.position_km[0];
            let dn = x[1] - st.position_km[1];
            let epi = (de * de + dn * dn).sqrt();
            let hyp = (epi * epi + (x[2] - st.position_km[2]).powi(2)).sqrt();
            let back_azimuth = de.atan2(dn);
            let zst = st.position_km[2];
            let inc = |g: [f64; 3], v: f64| {
                ((g[0] * g[0] + g[1] * g[1]).sqrt() * v)
                    .clamp(0.0, 1.0)
                    .asin()
            };
            let inc_p = inc(gp, v_at(zst, Phase::P));
            let inc_s = inc(gs, v_at(zst, Phase::S));
            let pulse_p = BrunePulse::far_field(
                m0,
                RADIATION_P,
                v_at(x[2], Phase::P),
                hyp,
                fc_p,
                tp / cfg.q_p,
            );
            let pulse_s = BrunePulse::far_field(
                m0,
                RADIATION_S,
                v_at(x[2], Phase::S),
                hyp,
                fc_s,
                ts / cfg.q_s,
            );
            let gain = cfg.gain_counts_per_m_s;
            let (dir_p, _, _) = polarisation_vectors(back_azimuth, inc_p);
            let (_, sv, sh) = polarisation_vectors(back_azimuth, inc_s);
            let (c, s) = (phi.cos(), phi.sin());
            let dir_s = [
                c * sh[0] + s * sv[0],
                c * sh[1] + s * sv[1],
                c * sh[2] + s * sv[2],
            ];
            let tp_abs = t_origin + tp;
            let ts_abs = t_origin + ts;
            let p_peak = pulse_p.peak_m_s() * gain;
            let s_peak = pulse_s.peak_m_s() * gain;

            // one coda RNG per event and station
            let mut crng = ChaCha8Rng::seed_from_u64(sub_seed(cfg.seed, 3, ei as u64, si as u64));
            let k0 = (tp_abs * fs).ceil().max(0.0) as usize;
            let coda_end = ts_abs + 7.0 * coda_tau;
            let k1 = ((coda_end * fs).ceil() as usize).min(n_samples);
            let arrival = Arrival {
                station: st.code.clone(),
                p_time: add_seconds(cfg.start_time, tp_abs),
                s_time: add_seconds(cfg.start_time, ts_abs),
                back_azimuth_deg: back_azimuth.to_degrees().rem_euclid(360.0),
                p_incidence_deg: inc_p.to_degrees(),
                s_incidence_deg: inc_s.to_degrees(),
                epicentral_km: epi,
                hypocentral_km: hyp,
                p_peak_counts: p_peak,
                s_peak_counts: s_peak,
            };
            if k0 >= k1 {
                arrivals.push(arrival);
                continue;
            }
            let len = k1 - k0;
            let coda: Vec<Vec<f64>> = (0..3)
                .map(|_| coda_noise(&mut crng, len, fs, 1.5 * pulse_s.corner_hz))
                .collect();
            let coda_p: Vec<Vec<f64>> = (0..3)
                .map(|_| coda_noise(&mut crng, len, fs, 1.5 * pulse_p.corner_hz))
                .collect();
            let tr = &mut traces[si];
            for (j, kk) in (k0..k1).enumerate() {
                let t = kk as f64 / fs;
                let taup = t - tp_abs;
                let taus = t - ts_abs;
                let vp = pol_p * pulse_p.velocity(taup) * gain;
                let vs = if taus > 0.0 {
                    pol_s * pulse_s.velocity(taus) * gain
                } else {
                    0.0
                };
                // Codas build up over `CODA_RISE_S` after each onset, so the
                // first motion is the direct pulse. P coda: scattered P at
                // 8 % of the P peak, mostly vertical; S coda: 15 % of the S
                // peak on all components (RMS levels; peaks about 3x); both
                // decay exponentially.
                const CODA_RISE_S: f64 = 1.5;
                let ramp = |tau: f64| {
                    if tau <= 0.0 {
                        0.0
                    } else {
                        (tau / CODA_RISE_S).min(1.0).powi(2)
                    }
                };
                let env_p = 0.08 * p_peak * ramp(taup) * (-taup / coda_tau).exp();
                let env_s = 0.15 * s_peak * ramp(taus) * (-taus.max(0.0) / coda_tau).exp();
                let wp = [1.0, 0.5, 0.5];
                let ws = [0.7, 1.0, 1.0];
                for c3 in 0..3 {
                    tr[c3][kk] += vp * dir_p[c3]
                        + vs * dir_s[c3]
                        + env_p * wp[c3] * coda_p[c3][j]
                        + env_s * ws[c3] * coda[c3][j];
                }
            }
            arrivals.push(arrival);
        }
        events.push(SynthEvent {
            id,
            origin_time,
            longitude: lon,
            latitude: lat,
            position_km: x,
            magnitude: mag,
            cluster: k,
            cluster_name: cfg.clusters[k].name.clone(),
            arrivals,
        });
    }

    let letters = ['Z', 'N', 'E'];
    let mut out = Vec::new();
    for (si, tr) in traces.into_iter().enumerate() {
        for (c, data) in tr.into_iter().enumerate() {
            let ch = format!("{}{}", cfg.channel_prefix, letters[c]);
            let data = data
                .into_iter()
                .map(|v| v.round().clamp(-2.0e8, 2.0e8))
                .collect();
            out.push(Trace::new(
                TraceId::new(&cfg.network, &stations[si].code, &cfg.location, &ch),
                cfg.start_time,
                fs,
                data,
            ));
        }
    }
    Ok(SynthData {
        config: cfg.clone(),
        stream: Stream::new(out),
        events,
    })
}
