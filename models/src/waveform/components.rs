//! The three components of one station on one time base: vertical Z, north
//! N (or 1) and east E (or 2), as the pickers and classifiers expect them.

use chrono::{DateTime, Utc};

use super::preprocess::{process_trace, PreprocessOptions};
use super::stream::{add_seconds, seconds_between, GapPolicy, Stream, Trace};
use super::WaveformError;

/// Z, N, E samples of one station, same start time, same sampling rate, same length.
#[derive(Debug, Clone, PartialEq)]
pub struct ThreeComponent {
    /// `NET.STA.LOC` of the station.
    pub station: String,
    /// Channel codes used for Z, N, E (e.g. `HHZ`, `HH1`, `HH2`).
    pub channels: [String; 3],
    /// Time of the first sample (UTC).
    pub start: DateTime<Utc>,
    /// Samples per second (Hz).
    pub sampling_rate: f64,
    pub z: Vec<f64>,
    pub n: Vec<f64>,
    pub e: Vec<f64>,
}

impl ThreeComponent {
    pub fn len(&self) -> usize {
        self.z.len()
    }
    pub fn is_empty(&self) -> bool {
        self.z.is_empty()
    }
    /// The samples as the networks take them: `[E, N, Z]` per sample, f32
    /// (EQTransformer's and ConvNetQuake's channel order).
    pub fn to_enz_f32(&self) -> Vec<[f32; 3]> {
        (0..self.len()).map(|i| [self.e[i] as f32, self.n[i] as f32, self.z[i] as f32]).collect()
    }
    /// Time of sample `i`.
    pub fn time_of(&self, i: usize) -> DateTime<Utc> {
        add_seconds(self.start, i as f64 / self.sampling_rate)
    }
    /// Seconds from the first sample to `t`.
    pub fn seconds_from_start(&self, t: DateTime<Utc>) -> f64 {
        seconds_between(self.start, t)
    }
    /// Apply the same preprocessing to all three components
    /// (see [`PreprocessOptions`]): demean/detrend, taper, zero-phase
    /// band-pass, resample to the target rate.
    pub fn preprocess(&self, opts: &PreprocessOptions) -> Result<ThreeComponent, WaveformError> {
        let what = |c: &str| format!("{}.{}", self.station, c);
        let z = process_trace(&self.z, self.sampling_rate, opts, &what(&self.channels[0]))?;
        let n = process_trace(&self.n, self.sampling_rate, opts, &what(&self.channels[1]))?;
        let e = process_trace(&self.e, self.sampling_rate, opts, &what(&self.channels[2]))?;
        let rate = opts.target_rate.unwrap_or(self.sampling_rate);
        let len = z.len().min(n.len()).min(e.len());
        let cut = |mut v: Vec<f64>| {
            v.truncate(len);
            v
        };
        Ok(ThreeComponent {
            station: self.station.clone(),
            channels: self.channels.clone(),
            start: self.start,
            sampling_rate: rate,
            z: cut(z),
            n: cut(n),
            e: cut(e),
        })
    }
    /// As a [`Stream`] of three traces (for writing).
    pub fn to_stream(&self) -> Stream {
        let parts: Vec<&str> = self.station.split('.').collect();
        let get = |i: usize| parts.get(i).copied().unwrap_or("");
        let mk = |c: &str, d: &Vec<f64>| {
            Trace::new(
                super::TraceId::new(get(0), get(1), get(2), c),
                self.start,
                self.sampling_rate,
                d.clone(),
            )
        };
        Stream::new(vec![
            mk(&self.channels[0], &self.z),
            mk(&self.channels[1], &self.n),
            mk(&self.channels[2], &self.e),
        ])
    }
}

impl Stream {
    /// The three components of one station on a common time base.
    ///
    /// Channels are chosen by their last letter: `Z` for vertical, `N` or
    /// `1` for north, `E` or `2` for east, all with the same two-letter
    /// band/instrument prefix (when several prefixes are complete, the one
    /// with the highest sampling rate wins). `location = None` accepts any
    /// location code (the first complete one in sorted order). Gaps inside
    /// a channel are filled by linear interpolation, however long (for
    /// long or gappy records, [`super::Archive::station_segments`] splits at
    /// long gaps and reads a chunk at a time); the result covers the
    /// time all three channels share, cut to whole samples (starts must
    /// agree to within half a sample).
    pub fn select_station_3c(
        &self,
        network: &str,
        station: &str,
        location: Option<&str>,
    ) -> Result<ThreeComponent, WaveformError> {
        let name = format!("{network}.{station}.{}", location.unwrap_or("*"));
        let sel = self.select(Some(network), Some(station), location, None);
        if sel.is_empty() {
            let mut present: Vec<String> = self
                .traces
                .iter()
                .map(|t| format!("{}.{}", t.id.network, t.id.station))
                .collect();
            present.sort();
            present.dedup();
            return Err(WaveformError::MissingStation {
                station: name,
                present: present.join(", "),
            });
        }
        let merged = sel.merge(GapPolicy::Interpolate);
        // candidate (location, prefix) groups
        let mut groups: Vec<(String, String)> = merged
            .traces
            .iter()
            .map(|t| {
                (
                    t.id.location.clone(),
                    t.id.channel.chars().take(2).collect::<String>(),
                )
            })
            .collect();
        groups.sort();
        groups.dedup();
        let find = |loc: &str, prefix: &str, letters: &[char]| -> Vec<&Trace> {
            merged
                .traces
                .iter()
                .filter(|t| {
                    t.id.location == loc
                        && t.id.channel.chars().take(2).collect::<String>() == prefix
                })
                .filter(|t| {
                    t.id.channel
                        .chars()
                        .last()
                        .is_some_and(|c| letters.contains(&c.to_ascii_uppercase()))
                })
                .collect()
        };
        let mut best: Option<([&Trace; 3], String)> = None;
        let mut missing: Option<(String, String)> = None;
        for (loc, prefix) in &groups {
            let z = find(loc, prefix, &['Z']);
            let n = find(loc, prefix, &['N', '1']);
            let e = find(loc, prefix, &['E', '2']);
            let present = || {
                merged
                    .traces
                    .iter()
                    .map(|t| t.id.channel.clone())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let (Some(z), Some(n), Some(e)) = (z.first(), n.first(), e.first()) else {
                let comp = if z.is_empty() {
                    "Z"
                } else if n.is_empty() {
                    "N/1"
                } else {
                    "E/2"
                };
                missing.get_or_insert((format!("{prefix}{comp}"), present()));
                continue;
            };
            let better = match &best {
                None => true,
                Some((b, _)) => z.sampling_rate > b[0].sampling_rate,
            };
            if better {
                best = Some(([*z, *n, *e], loc.clone()));
            }
        }
        let Some((tr, loc)) = best else {
            let (component, present) = missing.unwrap_or_default();
            return Err(WaveformError::MissingComponent {
                station: name,
                component,
                present,
            });
        };
        let station_id = format!("{network}.{station}.{loc}");
        let rates: Vec<f64> = tr.iter().map(|t| t.sampling_rate).collect();
        if rates
            .iter()
            .any(|&r| (r - rates[0]).abs() > 1e-6 * rates[0])
        {
            return Err(WaveformError::InconsistentRates {
                station: station_id,
                rates: tr
                    .iter()
                    .map(|t| format!("{}={} Hz", t.id.channel, t.sampling_rate))
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        let fs = rates[0];
        if !(fs.is_finite() && fs > 0.0) {
            return Err(WaveformError::InvalidRate {
                what: station_id,
                rate: fs,
                reason: "must be positive and finite".into(),
            });
        }
        // Common window on the grid of the latest-starting component.
        let start = tr.iter().map(|t| t.start).max().expect("three traces");
        let end = tr.iter().map(|t| t.end()).min().expect("three traces");
        if end < start {
            return Err(WaveformError::NoCommonWindow {
                station: station_id,
            });
        }
        let n_common = (seconds_between(start, end) * fs + 1e-6).floor() as usize + 1;
        let mut out: Vec<Vec<f64>> = Vec::with_capacity(3);
        for t in tr {
            let off = seconds_between(t.start, start) * fs;
            let i0 = off.round() as usize;
            let take = n_common.min(t.data.len().saturating_sub(i0));
            out.push(t.data[i0..i0 + take].to_vec());
        }
        let len = out.iter().map(|v| v.len()).min().unwrap_or(0);
        if len == 0 {
            return Err(WaveformError::NoCommonWindow {
                station: station_id,
            });
        }
        for v in &mut out {
            v.truncate(len);
        }
        let e = out.pop().expect("e");
        let n = out.pop().expect("n");
        let z = out.pop().expect("z");
        Ok(ThreeComponent {
            station: station_id,
            channels: [
                tr[0].id.channel.clone(),
                tr[1].id.channel.clone(),
                tr[2].id.channel.clone(),
            ],
            start,
            sampling_rate: fs,
            z,
            n,
            e,
        })
    }
}
