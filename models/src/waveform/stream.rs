//! Traces (one contiguous segment of one channel) and streams (any number of
//! traces), with merging of records into segments: gaps split a channel into
//! segments or are filled, overlaps keep the samples that came first.

use chrono::{DateTime, Duration, Utc};

/// SEED channel identifier `NET.STA.LOC.CHA`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TraceId {
    pub network: String,
    pub station: String,
    pub location: String,
    pub channel: String,
}

impl TraceId {
    pub fn new(network: &str, station: &str, location: &str, channel: &str) -> Self {
        TraceId {
            network: network.trim().to_string(),
            station: station.trim().to_string(),
            location: location.trim().to_string(),
            channel: channel.trim().to_string(),
        }
    }
}

impl std::fmt::Display for TraceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}.{}.{}.{}",
            self.network, self.station, self.location, self.channel
        )
    }
}

/// One evenly sampled segment of one channel.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    pub id: TraceId,
    /// Time of the first sample (UTC).
    pub start: DateTime<Utc>,
    /// Samples per second (Hz).
    pub sampling_rate: f64,
    /// Samples (counts, or whatever unit the file holds).
    pub data: Vec<f64>,
}

/// Seconds from `a` to `b` (positive when `b` is later), nanosecond precision.
pub fn seconds_between(a: DateTime<Utc>, b: DateTime<Utc>) -> f64 {
    let d = b - a;
    match d.num_nanoseconds() {
        Some(ns) => ns as f64 * 1e-9,
        None => d.num_milliseconds() as f64 * 1e-3,
    }
}

/// `t` shifted by `seconds` (rounded to the nanosecond).
pub fn add_seconds(t: DateTime<Utc>, seconds: f64) -> DateTime<Utc> {
    t + Duration::nanoseconds((seconds * 1e9).round() as i64)
}

impl Trace {
    pub fn new(id: TraceId, start: DateTime<Utc>, sampling_rate: f64, data: Vec<f64>) -> Self {
        Trace {
            id,
            start,
            sampling_rate,
            data,
        }
    }
    /// Sample interval (s).
    pub fn delta(&self) -> f64 {
        1.0 / self.sampling_rate
    }
    /// Time of the last sample (equal to `start` for a one-sample trace).
    pub fn end(&self) -> DateTime<Utc> {
        add_seconds(
            self.start,
            self.data.len().saturating_sub(1) as f64 / self.sampling_rate,
        )
    }
    /// Time of sample `i` (i may be beyond the end).
    pub fn time_of(&self, i: usize) -> DateTime<Utc> {
        add_seconds(self.start, i as f64 / self.sampling_rate)
    }
    pub fn len(&self) -> usize {
        self.data.len()
    }
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

/// What [`Stream::merge`] does with a gap between consecutive records of a channel.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum GapPolicy {
    /// Keep each side of a gap as its own trace (ObsPy's masked gaps, unmasked).
    #[default]
    Split,
    /// Fill the missing samples with a constant.
    Fill(f64),
    /// Fill the missing samples by linear interpolation between the samples either side.
    Interpolate,
}

/// A collection of traces of any channels, in any order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stream {
    pub traces: Vec<Trace>,
}

impl Stream {
    pub fn new(traces: Vec<Trace>) -> Self {
        Stream { traces }
    }
    pub fn len(&self) -> usize {
        self.traces.len()
    }
    pub fn is_empty(&self) -> bool {
        self.traces.is_empty()
    }
    /// Distinct channel ids, sorted.
    pub fn ids(&self) -> Vec<TraceId> {
        let mut v: Vec<TraceId> = self.traces.iter().map(|t| t.id.clone()).collect();
        v.sort();
        v.dedup();
        v
    }
    /// Traces whose fields match (`None` matches anything).
    pub fn select(
        &self,
        network: Option<&str>,
        station: Option<&str>,
        location: Option<&str>,
        channel: Option<&str>,
    ) -> Stream {
        let m = |want: Option<&str>, have: &str| want.is_none_or(|w| w == have);
        Stream::new(
            self.traces
                .iter()
                .filter(|t| {
                    m(network, &t.id.network)
                        && m(station, &t.id.station)
                        && m(location, &t.id.location)
                        && m(channel, &t.id.channel)
                })
                .cloned()
                .collect(),
        )
    }

    /// Merge the traces of each channel into as few contiguous traces as the
    /// data allow. Traces of one channel are taken in order of start time; a
    /// trace starting within half a sample of where the previous one ends is
    /// appended; where traces overlap the earlier samples are kept (the later
    /// trace's overlapping samples are dropped); a gap is handled by `gaps`.
    /// Traces of one channel with different sampling rates (relative
    /// difference > 1e-6) are never joined. Output is sorted by id, then time.
    pub fn merge(&self, gaps: GapPolicy) -> Stream {
        let mut sorted: Vec<&Trace> = self.traces.iter().filter(|t| !t.data.is_empty()).collect();
        sorted.sort_by(|a, b| a.id.cmp(&b.id).then(a.start.cmp(&b.start)));
        let mut out: Vec<Trace> = Vec::new();
        let mut cur: Option<Trace> = None;
        for t in sorted {
            let Some(c) = cur.as_mut() else {
                cur = Some(t.clone());
                continue;
            };
            let same_rate = (c.sampling_rate - t.sampling_rate).abs() <= 1e-6 * c.sampling_rate;
            if c.id != t.id || !same_rate {
                out.push(cur.take().expect("current trace"));
                cur = Some(t.clone());
                continue;
            }
            // index of t's first sample on c's sample grid
            let k = (seconds_between(c.start, t.start) * c.sampling_rate).round();
            let n = c.data.len() as f64;
            if k <= n {
                // contiguous or overlapping: keep what we have, append the rest
                let skip = (n - k) as usize;
                if skip < t.data.len() {
                    c.data.extend_from_slice(&t.data[skip..]);
                }
            } else {
                let missing = (k - n) as usize;
                match gaps {
                    GapPolicy::Split => {
                        out.push(cur.take().expect("current trace"));
                        cur = Some(t.clone());
                        continue;
                    }
                    GapPolicy::Fill(v) => c.data.extend(std::iter::repeat_n(v, missing)),
                    GapPolicy::Interpolate => {
                        let a = *c.data.last().expect("non-empty");
                        let b = t.data[0];
                        for i in 1..=missing {
                            c.data.push(a + (b - a) * i as f64 / (missing + 1) as f64);
                        }
                    }
                }
                c.data.extend_from_slice(&t.data);
            }
        }
        if let Some(c) = cur {
            out.push(c);
        }
        Stream::new(out)
    }
}
