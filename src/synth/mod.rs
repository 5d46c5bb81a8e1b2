//! The synthetic data generator: a region with one (or more) three-component
//! stations and K clusters of sources, a layered velocity model, and
//! continuous 100 Hz records with local earthquakes in them: P and S
//! arrivals at the travel times of the travel-time crate; Brune
//! omega-square pulses with magnitude-dependent corner frequencies and a
//! causal t* attenuation filter ([`source`]); P, SV and SH amplitudes from a
//! random double couple at the ray's take-off angle ([`radiation`]); surface
//! motion from the free-surface coefficients at the ray's incidence
//! ([`free_surface`]: P up and away, SV radial and vertical, SH doubled);
//! scattered P and S codas with the spectrum of their direct waves,
//! decaying with lapse time ([`coda`]); coloured background noise plus
//! microseism. Output: one miniSEED file per component, the true catalog
//! (same columns as `examples/data/catalog`, plus the true picks and
//! back-azimuths), and a picks file for every station. Deterministic from
//! the seed.
//!
//! Coordinates: local km about the first station (x east, y north, z depth
//! positive down); times UTC; back-azimuth in degrees clockwise from north
//! (from the station towards the source).

pub mod coda;
pub mod config;
pub mod free_surface;
pub mod output;
pub mod radiation;
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
use radiation::DoubleCouple;
use source::{brune_corner_hz, omega0_m_s, seismic_moment_nm, Pulse};

/// RMS of the scattered P coda just after its rise, relative to the direct P peak.
pub const P_CODA_LEVEL: f64 = 0.12;
/// RMS of the scattered S coda just after its rise, relative to the direct S peak.
pub const S_CODA_LEVEL: f64 = 0.15;
/// Longest coda (s after the S arrival) the generator writes.
pub const CODA_MAX_S: f64 = 300.0;

/// A sampled pulse (first sample = onset) at fractional sample `x` after the
/// onset, linearly interpolated; 0 before the onset and after the end.
fn pulse_at(samples: &[f64], x: f64) -> f64 {
    if x < 0.0 {
        return 0.0;
    }
    let i = x.floor() as usize;
    let f = x - i as f64;
    let a = samples.get(i).copied().unwrap_or(0.0);
    let b = samples.get(i + 1).copied().unwrap_or(0.0);
    a + f * (b - a)
}

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

/// `n` independent standard normal samples.
pub(crate) fn gaussian_noise<R: rand::Rng>(rng: &mut R, n: usize) -> Vec<f64> {
    (0..n).map(|_| StandardNormal.sample(rng)).collect()
}

fn rms(x: &[f64]) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    (x.iter().map(|v| v * v).sum::<f64>() / x.len() as f64).sqrt()
}

/// Corner (Hz) of the one-pole low-pass that shapes the site noise: above
/// it the velocity PSD falls as f^-2, i.e. a flat acceleration PSD, the
/// shape of Peterson's (1993) NLNM and NHNM between 1 and 10 Hz.
pub const SITE_NOISE_CORNER_HZ: f64 = 1.0;

/// Background noise: white noise through a one-pole low-pass at
/// [`SITE_NOISE_CORNER_HZ`] and a 0.5 Hz high-pass (order 2), scaled to
/// `site_rms`, plus white noise band-passed to 0.1-0.35 Hz scaled to
/// `micro_rms` (the secondary ocean microseism). With the defaults (6 and
/// 30 counts at 3·10⁸ counts per m/s) the acceleration PSD is about -140 dB
/// (re 1 (m/s²)²/Hz) at 1-10 Hz and -130 dB at the microseism peak: between
/// the NLNM and NHNM, near their mid-level.
fn background_noise(
    rng: &mut ChaCha8Rng,
    n: usize,
    fs: f64,
    site_rms: f64,
    micro_rms: f64,
) -> Vec<f64> {
    let mut site = gaussian_noise(rng, n);
    let a = (-2.0 * std::f64::consts::PI * SITE_NOISE_CORNER_HZ / fs).exp();
    let mut y = 0.0;
    for v in site.iter_mut() {
        y = a * y + (1.0 - a) * *v;
        *v = y;
    }
    for s in butterworth_sections(2, 0.5, fs, true).iter() {
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
        let mechanism = DoubleCouple::random(&mut rng);
        let id = format!("ev{ei:04}");
        let origin_time = add_seconds(cfg.start_time, t_origin);
        let (lon, lat) = proj.to_lonlat(x[0], x[1]);

        let m0 = seismic_moment_nm(mag);
        let (vp_src, vs_src) = (v_at(x[2], Phase::P), v_at(x[2], Phase::S));
        let fc_s = brune_corner_hz(m0, cfg.stress_drop_mpa, vs_src);
        let fc_p = 1.5 * fc_s;
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
            let (alpha, beta) = (v_at(zst, Phase::P), v_at(zst, Phase::S));
            let (site_a, site_b) = (free_surface::SITE_VP_KM_S, free_surface::SITE_VS_KM_S);
            // ray parameter (s/km): horizontal travel-time gradient
            let slowness_h = |g: [f64; 3]| (g[0] * g[0] + g[1] * g[1]).sqrt();
            let inc = |g: [f64; 3], v: f64| (slowness_h(g) * v).clamp(0.0, 1.0).asin();
            let inc_p = inc(gp, alpha);
            let inc_s = inc(gs, beta);
            // take-off from the downward vertical: the ray leaves along -grad T
            let takeoff = |g: [f64; 3], v: f64| (-g[2] * v).clamp(-1.0, 1.0).acos();
            let azimuth = back_azimuth + std::f64::consts::PI; // source towards station
            let (rad_p, _, _) = mechanism.smoothed(takeoff(gp, vp_src), azimuth);
            let (_, rad_sv, rad_sh) = mechanism.smoothed(takeoff(gs, vs_src), azimuth);
            let pulse_p = Pulse::synthesise(omega0_m_s(m0, 1.0, vp_src, hyp), fc_p, tp / cfg.q_p, fs);
            let pulse_s = Pulse::synthesise(omega0_m_s(m0, 1.0, vs_src, hyp), fc_s, ts / cfg.q_s, fs);
            let gain = cfg.gain_counts_per_m_s;
            // surface motion (Z up, N, E) per unit pulse, radiation included
            let (sb, cb) = back_azimuth.sin_cos();
            let mp = free_surface::p_incident(slowness_h(gp), site_a, site_b);
            let dir_p = [rad_p * mp.vertical, -rad_p * mp.radial * cb, -rad_p * mp.radial * sb];
            let ms = free_surface::sv_incident(slowness_h(gs), site_a, site_b);
            let (_, _, sh) = polarisation_vectors(back_azimuth, inc_s);
            let dir_s = [
                rad_sv * ms.vertical,
                rad_sv * ms.radial * cb + rad_sh * free_surface::SH_FACTOR * sh[1],
                rad_sv * ms.radial * sb + rad_sh * free_surface::SH_FACTOR * sh[2],
            ];
            let norm3 = |v: [f64; 3]| (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
            let tp_abs = t_origin + tp;
            let ts_abs = t_origin + ts;
            let p_peak = pulse_p.peak_m_s() * gain * norm3(dir_p);
            let s_peak = pulse_s.peak_m_s() * gain * norm3(dir_s);

            // one coda RNG per event and station
            let mut crng = ChaCha8Rng::seed_from_u64(sub_seed(cfg.seed, 3, ei as u64, si as u64));
            let k0 = (tp_abs * fs).ceil().max(0.0) as usize;
            // codas decay with lapse time; they end where they sink to a
            // tenth of the background noise (at most CODA_MAX_S after S),
            // and never before the direct pulses have ended
            let env_p = coda::CodaEnvelope::after(tp);
            let env_s = coda::CodaEnvelope::after(ts);
            let (level_p, level_s) = (cfg.coda_scale * P_CODA_LEVEL * p_peak, cfg.coda_scale * S_CODA_LEVEL * s_peak);
            let floor = 0.1 * cfg.noise_rms_counts.max(1.0);
            let s_p = ts - tp;
            let coda_end = ts_abs
                + env_s
                    .duration_s(level_s, floor, CODA_MAX_S)
                    .max(env_p.duration_s(level_p, floor, CODA_MAX_S + s_p) - s_p)
                    .max(pulse_s.samples.len() as f64 / fs)
                    .max(pulse_p.samples.len() as f64 / fs - s_p);
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
            let ks = ((ts_abs * fs).ceil().max(0.0) as usize).clamp(k0, k1);
            // Codas (RMS levels relative to the direct peaks; peaks about 3x):
            // scattered P, mostly vertical; scattered S on all components.
            let coda_p: Vec<Vec<f64>> = (0..3)
                .map(|_| coda::scattered(&mut crng, &pulse_p, len, fs, level_p, &env_p))
                .collect();
            let coda_s: Vec<Vec<f64>> = (0..3)
                .map(|_| coda::scattered(&mut crng, &pulse_s, k1 - ks, fs, level_s, &env_s))
                .collect();
            let wp = [1.0, 0.6, 0.6];
            let ws = [0.6, 1.0, 1.0];
            let tr = &mut traces[si];
            for (j, kk) in (k0..k1).enumerate() {
                let t = kk as f64 / fs;
                let vp = pulse_at(&pulse_p.samples, (t - tp_abs) * fs) * gain;
                let vs = pulse_at(&pulse_s.samples, (t - ts_abs) * fs) * gain;
                for c3 in 0..3 {
                    let mut v = vp * dir_p[c3] + vs * dir_s[c3] + wp[c3] * coda_p[c3][j];
                    if kk >= ks {
                        v += ws[c3] * coda_s[c3][kk - ks];
                    }
                    tr[c3][kk] += v;
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
