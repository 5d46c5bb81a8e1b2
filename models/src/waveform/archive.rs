//! Long miniSEED archives in bounded memory.
//!
//! [`Archive::open`] walks the files once and keeps an index of their
//! records (file, byte offset, channel, start, sampling rate, sample count,
//! first and last sample): a few dozen bytes per record, not the samples.
//! [`Archive::station_segments`] cuts a station's three components into
//! [`Segment`]s of continuous data: inside a channel, records are taken in
//! order of start time, overlapping samples of a later record are dropped
//! (the earlier ones kept), a gap of at most [`ReadLimits::max_gap_s`] is
//! filled by linear interpolation between the samples either side (as
//! [`super::GapPolicy::Interpolate`]) and a longer gap ends the segment; a
//! segment is a stretch that all three components cover, on the sample
//! grid of the latest-starting one (as
//! [`super::Stream::select_station_3c`]). [`Archive::read`] decodes only the
//! records that overlap the samples asked for, so a caller that walks a
//! segment in chunks holds one chunk at a time.
//!
//! [`SegmentPreprocessor`] runs the EQTransformer preprocessing chain
//! ([`PreprocessOptions::eqtransformer`]: demean, zero-phase band-pass,
//! taper, linear interpolation) on one chunk of a segment so that the
//! result matches the whole-segment chain: the mean is the whole segment's
//! ([`Archive::segment_means`], summed in the same order), the taper only
//! touches the segment's own ends, and each chunk is band-passed with a
//! margin of 30 periods of the low corner (30 s at 1 Hz) of real data on
//! each side that is then discarded. What remains different is the filter's
//! start-up transient from the margin's edge, damped by `exp(-2 pi 0.71 x
//! 30)` (about 1e-58) for the order-2 Butterworth high-pass, i.e. rounding:
//! chunked samples equal the whole-segment ones to a few units in the last
//! place of an `f64`.
//!
//! Record times are checked when the archive is opened (see
//! [`ReadLimits`]): a record dated before 1900 or after 2199, or lying more
//! than [`ReadLimits::max_isolation_s`] (7 days) from every other record of
//! its channel, is a [`WaveformError::RecordTime`] naming its file, index
//! and byte offset; so no gap, however mis-dated, is ever allocated.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::PathBuf;

use chrono::{DateTime, Utc};

use super::components::ThreeComponent;
use super::mseed::{check_record_times, decode_record, walk_records, ReadLimits, RecordPlace};
use super::preprocess::{bandpass_zero_phase, check_rate, check_ratio, Bandpass, Detrend, PreprocessOptions, Resampling};
use super::stream::{add_seconds, seconds_between, TraceId};
use super::WaveformError;

/// One record of the index.
#[derive(Debug, Clone)]
struct RecordRef {
    file: usize,
    record: usize,
    offset: usize,
    len: usize,
    channel: usize,
    start: DateTime<Utc>,
    rate: f64,
    n: usize,
    first: f64,
    last: f64,
}

/// The records of a set of miniSEED files, indexed but not held in memory.
#[derive(Debug, Clone)]
pub struct Archive {
    files: Vec<PathBuf>,
    ids: Vec<TraceId>,
    records: Vec<RecordRef>,
}

/// A run of one channel: records joined across gaps of at most the limit.
#[derive(Debug, Clone)]
struct Run {
    start: DateTime<Utc>,
    len: usize,
    /// Records in order: `record` (index into the archive) provides
    /// samples `skip..` at run samples `dest..`; the samples between two
    /// pieces are interpolated.
    pieces: Vec<Piece>,
}

#[derive(Debug, Clone, Copy)]
struct Piece {
    record: usize,
    dest: usize,
    skip: usize,
}

impl Run {
    fn end(&self, rate: f64) -> DateTime<Utc> {
        add_seconds(self.start, self.len.saturating_sub(1) as f64 / rate)
    }
}

/// A stretch of continuous data of a station's three components (see the
/// module documentation), read in pieces with [`Archive::read`].
#[derive(Debug, Clone)]
pub struct Segment {
    /// `NET.STA.LOC` of the station.
    pub station: String,
    /// Channel codes used for Z, N, E.
    pub channels: [String; 3],
    /// Time of the first sample.
    pub start: DateTime<Utc>,
    /// Samples per second.
    pub sampling_rate: f64,
    /// Samples per component.
    pub len: usize,
    /// Per component: the run and the run sample of the segment's first sample.
    parts: [(Run, usize); 3],
}

impl Segment {
    /// Time of sample `i`.
    pub fn time_of(&self, i: usize) -> DateTime<Utc> {
        add_seconds(self.start, i as f64 / self.sampling_rate)
    }
    /// Duration in seconds (samples / rate).
    pub fn duration_s(&self) -> f64 {
        self.len as f64 / self.sampling_rate
    }
}

impl Archive {
    /// Indexes every record of `files` (decoding each once to check it and
    /// count its samples) and checks record times and sampling rates
    /// against `limits`. Holds one file's bytes at a time.
    pub fn open(files: &[PathBuf], limits: &ReadLimits) -> Result<Archive, WaveformError> {
        limits.validate()?;
        let mut ids: Vec<TraceId> = Vec::new();
        let mut by_id: HashMap<TraceId, usize> = HashMap::new();
        let mut records = Vec::new();
        for (file, path) in files.iter().enumerate() {
            let bytes = std::fs::read(path).map_err(|source| WaveformError::Io { path: path.clone(), source })?;
            walk_records(&bytes, path, |record, offset, len, trace| {
                let channel = *by_id.entry(trace.id.clone()).or_insert_with(|| {
                    ids.push(trace.id.clone());
                    ids.len() - 1
                });
                records.push(RecordRef {
                    file,
                    record,
                    offset,
                    len,
                    channel,
                    start: trace.start,
                    rate: trace.sampling_rate,
                    n: trace.len(),
                    first: trace.data[0],
                    last: trace.data[trace.len() - 1],
                });
                Ok(())
            })?;
        }
        let archive = Archive {
            files: files.to_vec(),
            ids,
            records,
        };
        let places: Vec<RecordPlace> = archive
            .records
            .iter()
            .map(|r| RecordPlace {
                file: r.file,
                record: r.record,
                offset: r.offset,
                id: archive.ids[r.channel].clone(),
                start: r.start,
                end: add_seconds(r.start, r.n as f64 / r.rate),
            })
            .collect();
        check_record_times(&places, &archive.files, limits)?;
        // One sampling rate per channel (the rate of its earliest record).
        for ch in 0..archive.ids.len() {
            let order = archive.channel_records(ch);
            let Some(&first) = order.first() else { continue };
            let expected = archive.records[first].rate;
            if let Some(&bad) = order.iter().find(|&&i| (archive.records[i].rate - expected).abs() > 1e-6 * expected) {
                let r = &archive.records[bad];
                return Err(WaveformError::MixedRates {
                    path: archive.files[r.file].clone(),
                    record: r.record,
                    offset: r.offset,
                    channel: archive.ids[ch].to_string(),
                    rate: r.rate,
                    expected,
                });
            }
        }
        Ok(archive)
    }

    /// The channels of the archive, in order of first appearance.
    pub fn ids(&self) -> &[TraceId] {
        &self.ids
    }

    /// Number of records with samples.
    pub fn n_records(&self) -> usize {
        self.records.len()
    }

    /// Indices of the records of channel `ch` in order of start time (file
    /// order among equal starts).
    fn channel_records(&self, ch: usize) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.records.len()).filter(|&i| self.records[i].channel == ch).collect();
        order.sort_by_key(|&i| self.records[i].start);
        order
    }

    /// The runs of channel `ch`: records merged as
    /// [`super::Stream::merge`] does, a gap longer than `max_gap_s` starting
    /// a new run.
    fn runs(&self, ch: usize, max_gap_s: f64) -> Vec<Run> {
        let mut runs: Vec<Run> = Vec::new();
        for i in self.channel_records(ch) {
            let r = &self.records[i];
            let fresh = || Run {
                start: r.start,
                len: r.n,
                pieces: vec![Piece { record: i, dest: 0, skip: 0 }],
            };
            let Some(cur) = runs.last_mut() else {
                runs.push(fresh());
                continue;
            };
            // index of the record's first sample on the run's grid
            let k = (seconds_between(cur.start, r.start) * r.rate).round();
            let n = cur.len as f64;
            if k <= n {
                let skip = (n - k) as usize;
                if skip < r.n {
                    cur.pieces.push(Piece { record: i, dest: cur.len, skip });
                    cur.len += r.n - skip;
                }
            } else if (k - n) / r.rate > max_gap_s {
                runs.push(fresh());
            } else {
                let dest = k as usize;
                cur.pieces.push(Piece { record: i, dest, skip: 0 });
                cur.len = dest + r.n;
            }
        }
        runs
    }

    /// The continuous segments of a station's three components, in time
    /// order. Channels are chosen as [`super::Stream::select_station_3c`]
    /// chooses them (last letter Z, N/1, E/2, same band and instrument
    /// code, highest sampling rate; `location = None`: any location).
    pub fn station_segments(&self, network: &str, station: &str, location: Option<&str>, limits: &ReadLimits) -> Result<Vec<Segment>, WaveformError> {
        limits.validate()?;
        let name = format!("{network}.{station}.{}", location.unwrap_or("*"));
        let mut chans: Vec<usize> = (0..self.ids.len())
            .filter(|&c| {
                let id = &self.ids[c];
                id.network == network && id.station == station && location.is_none_or(|l| l == id.location)
            })
            .collect();
        if chans.is_empty() {
            let mut present: Vec<String> = self.ids.iter().map(|t| format!("{}.{}", t.network, t.station)).collect();
            present.sort();
            present.dedup();
            return Err(WaveformError::MissingStation {
                station: name,
                present: present.join(", "),
            });
        }
        chans.sort_by(|&a, &b| self.ids[a].cmp(&self.ids[b]));
        let prefix = |c: usize| self.ids[c].channel.chars().take(2).collect::<String>();
        let last = |c: usize| self.ids[c].channel.chars().last().map(|l| l.to_ascii_uppercase());
        let rate = |c: usize| self.channel_records(c).first().map(|&i| self.records[i].rate).unwrap_or(0.0);
        let mut groups: Vec<(String, String)> = chans.iter().map(|&c| (self.ids[c].location.clone(), prefix(c))).collect();
        groups.sort();
        groups.dedup();
        let present = || chans.iter().map(|&c| self.ids[c].channel.clone()).collect::<Vec<_>>().join(", ");
        let mut best: Option<([usize; 3], String)> = None;
        let mut missing: Option<String> = None;
        for (loc, pre) in &groups {
            let find = |letters: &[char]| {
                chans
                    .iter()
                    .copied()
                    .find(|&c| &self.ids[c].location == loc && &prefix(c) == pre && last(c).is_some_and(|l| letters.contains(&l)))
            };
            let (Some(z), Some(n), Some(e)) = (find(&['Z']), find(&['N', '1']), find(&['E', '2'])) else {
                let comp = if find(&['Z']).is_none() {
                    "Z"
                } else if find(&['N', '1']).is_none() {
                    "N/1"
                } else {
                    "E/2"
                };
                missing.get_or_insert(format!("{pre}{comp}"));
                continue;
            };
            if best.as_ref().is_none_or(|(b, _)| rate(z) > rate(b[0])) {
                best = Some(([z, n, e], loc.clone()));
            }
        }
        let Some((tr, loc)) = best else {
            return Err(WaveformError::MissingComponent {
                station: name,
                component: missing.unwrap_or_default(),
                present: present(),
            });
        };
        let station_id = format!("{network}.{station}.{loc}");
        let rates = tr.map(rate);
        if rates.iter().any(|&r| (r - rates[0]).abs() > 1e-6 * rates[0]) {
            return Err(WaveformError::InconsistentRates {
                station: station_id,
                rates: tr.iter().zip(rates).map(|(&c, r)| format!("{}={} Hz", self.ids[c].channel, r)).collect::<Vec<_>>().join(", "),
            });
        }
        let fs = rates[0];
        check_rate(&station_id, fs)?;
        let runs = tr.map(|c| self.runs(c, limits.max_gap_s));
        let channels = tr.map(|c| self.ids[c].channel.clone());
        // Sweep the three lists of runs (each sorted, non-overlapping).
        let mut segments = Vec::new();
        let mut at = [0usize; 3];
        while (0..3).all(|c| at[c] < runs[c].len()) {
            let cur: [&Run; 3] = std::array::from_fn(|c| &runs[c][at[c]]);
            let start = cur.iter().map(|r| r.start).max().expect("three runs");
            let ends = cur.map(|r| r.end(fs));
            let end = *ends.iter().min().expect("three runs");
            if end >= start {
                let n_common = (seconds_between(start, end) * fs + 1e-6).floor() as usize + 1;
                let offsets = cur.map(|r| (seconds_between(r.start, start) * fs).round().max(0.0) as usize);
                let len = (0..3).map(|c| n_common.min(cur[c].len.saturating_sub(offsets[c]))).min().unwrap_or(0);
                if len > 0 {
                    segments.push(Segment {
                        station: station_id.clone(),
                        channels: channels.clone(),
                        start,
                        sampling_rate: fs,
                        len,
                        parts: std::array::from_fn(|c| (cur[c].clone(), offsets[c])),
                    });
                }
            }
            // advance the run that ends first
            let c = (0..3).min_by_key(|&c| ends[c]).expect("three runs");
            at[c] += 1;
        }
        Ok(segments)
    }

    /// Raw samples `range` of `segment` (indices into the segment), as a
    /// [`ThreeComponent`] starting at the time of `range.start`. Decodes
    /// only the records that overlap the range.
    pub fn read(&self, segment: &Segment, range: Range<usize>) -> Result<ThreeComponent, WaveformError> {
        if range.start > range.end || range.end > segment.len {
            return Err(WaveformError::Unsupported(format!(
                "samples {}..{} asked of segment {} of {} samples",
                range.start, range.end, segment.station, segment.len
            )));
        }
        let mut open: HashMap<usize, File> = HashMap::new();
        let mut comp = |c: usize| {
            let (run, offset) = &segment.parts[c];
            self.fill(run, offset + range.start, offset + range.end, &mut open)
        };
        let z = comp(0)?;
        let n = comp(1)?;
        let e = comp(2)?;
        Ok(ThreeComponent {
            station: segment.station.clone(),
            channels: segment.channels.clone(),
            start: segment.time_of(range.start),
            sampling_rate: segment.sampling_rate,
            z,
            n,
            e,
        })
    }

    /// The per-component means of a whole segment (Z, N, E), summed in
    /// sample order as [`super::preprocess::demean`] sums them, reading
    /// `chunk` samples at a time.
    pub fn segment_means(&self, segment: &Segment, chunk: usize) -> Result<[f64; 3], WaveformError> {
        let mut sums = [0.0_f64; 3];
        let mut a = 0;
        while a < segment.len {
            let b = (a + chunk.max(1)).min(segment.len);
            let part = self.read(segment, a..b)?;
            for (s, x) in sums.iter_mut().zip([&part.z, &part.n, &part.e]) {
                for &v in x.iter() {
                    *s += v;
                }
            }
            a = b;
        }
        let n = segment.len.max(1) as f64;
        Ok(sums.map(|s| s / n))
    }

    /// Run samples `lo..hi`.
    fn fill(&self, run: &Run, lo: usize, hi: usize, open: &mut HashMap<usize, File>) -> Result<Vec<f64>, WaveformError> {
        let count = |p: &Piece| self.records[p.record].n - p.skip;
        let mut out = Vec::with_capacity(hi - lo);
        let mut idx = run.pieces.partition_point(|p| p.dest + count(p) <= lo);
        let mut pos = lo;
        while pos < hi {
            let Some(p) = run.pieces.get(idx) else {
                return Err(WaveformError::Unsupported(format!("run sample {pos} is past the run's {} samples", run.len)));
            };
            let r = &self.records[p.record];
            if pos < p.dest {
                // A gap (the first piece starts at 0, so there is a previous one).
                let prev = run.pieces[idx - 1];
                let prev_end = prev.dest + count(&prev);
                let (a, b) = (self.records[prev.record].last, r.first);
                let missing = p.dest - prev_end;
                let stop = p.dest.min(hi);
                for q in pos..stop {
                    let i = q - prev_end + 1;
                    out.push(a + (b - a) * i as f64 / (missing + 1) as f64);
                }
                pos = stop;
                continue;
            }
            let samples = self.decode(p.record, open)?;
            let from = p.skip + (pos - p.dest);
            let stop = (p.dest + count(p)).min(hi);
            out.extend_from_slice(&samples[from..from + (stop - pos)]);
            pos = stop;
            idx += 1;
        }
        Ok(out)
    }

    /// The samples of record `i`, read again from its file.
    fn decode(&self, i: usize, open: &mut HashMap<usize, File>) -> Result<Vec<f64>, WaveformError> {
        let r = &self.records[i];
        let path = &self.files[r.file];
        let io = |source| WaveformError::Io { path: path.clone(), source };
        let file = match open.entry(r.file) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => v.insert(File::open(path).map_err(io)?),
        };
        let mut bytes = vec![0u8; r.len];
        file.seek(SeekFrom::Start(r.offset as u64)).map_err(io)?;
        file.read_exact(&mut bytes).map_err(io)?;
        let changed = |message: String| WaveformError::Changed {
            path: path.clone(),
            record: r.record,
            offset: r.offset,
            message,
        };
        let trace = decode_record(&bytes, path, r.record, r.offset)?.ok_or_else(|| changed("no samples any more".into()))?;
        if trace.len() != r.n || trace.start != r.start {
            return Err(changed(format!("{} samples from {}, indexed {} from {}", trace.len(), trace.start, r.n, r.start)));
        }
        Ok(trace.data)
    }
}

/// Periods of the band-pass's low corner of real data on each side of a
/// chunk ([`SegmentPreprocessor`]).
pub const MARGIN_PERIODS: f64 = 30.0;

/// The preprocessing chain of [`PreprocessOptions`] on chunks of a
/// [`Segment`], matching the chain on the whole segment (module docs).
/// Supports demean or no detrend and linear interpolation (or none) to the
/// target rate: the EQTransformer chain.
#[derive(Debug, Clone)]
pub struct SegmentPreprocessor {
    len: usize,
    fs: f64,
    target: f64,
    means: [f64; 3],
    taper: usize,
    taper_after_bandpass: bool,
    bandpass: Option<Bandpass>,
    margin: usize,
    out_len: usize,
}

impl SegmentPreprocessor {
    /// The chain `opts` on `segment`, whose per-component means (Z, N, E;
    /// [`Archive::segment_means`]) are `means`.
    pub fn new(segment: &Segment, opts: &PreprocessOptions, means: [f64; 3]) -> Result<Self, WaveformError> {
        let fs = segment.sampling_rate;
        check_rate(&segment.station, fs)?;
        let target = opts.target_rate.unwrap_or(fs);
        check_rate(&format!("{} (target)", segment.station), target)?;
        check_ratio(&segment.station, fs, target)?;
        let means = match opts.detrend {
            Detrend::Demean => means,
            Detrend::None => [0.0; 3],
            Detrend::Linear => return Err(WaveformError::Unsupported("a linear detrend (use demean, as EQTransformer)".into())),
        };
        let same_rate = (fs - target).abs() <= 1e-12 * fs || segment.len < 2;
        if !same_rate && opts.resampling == Resampling::Sinc {
            return Err(WaveformError::Unsupported("sinc resampling (use linear interpolation, as EQTransformer)".into()));
        }
        let len = segment.len;
        let taper = if opts.taper_fraction > 0.0 {
            ((len as f64) * opts.taper_fraction.min(0.5).clamp(0.0, 0.5)).floor() as usize
        } else {
            0
        };
        let margin = opts.bandpass.map(|b| (MARGIN_PERIODS * fs / b.low_hz).ceil() as usize).unwrap_or(0);
        let out_len = if same_rate { len } else { (((len - 1) as f64 / (fs / target) + 1e-9).floor() as usize) + 1 };
        Ok(SegmentPreprocessor {
            len,
            fs,
            target,
            means,
            taper,
            taper_after_bandpass: opts.taper_after_bandpass,
            bandpass: opts.bandpass,
            margin,
            out_len,
        })
    }

    /// Samples of the processed segment (at the target rate).
    pub fn output_len(&self) -> usize {
        self.out_len
    }

    /// Samples at the target rate per sample of the segment.
    fn same_rate(&self) -> bool {
        (self.fs - self.target).abs() <= 1e-12 * self.fs || self.len < 2
    }

    /// The raw segment samples [`SegmentPreprocessor::process`] needs for
    /// output samples `out`: those under `out` plus the margin each side.
    pub fn raw_range(&self, out: Range<usize>) -> Range<usize> {
        let (lo, hi) = if self.same_rate() {
            (out.start, out.end)
        } else {
            let step = self.fs / self.target;
            ((out.start as f64 * step).floor() as usize, (out.end.saturating_sub(1) as f64 * step).floor() as usize + 2)
        };
        lo.saturating_sub(self.margin)..(hi + self.margin).min(self.len)
    }

    /// Output samples `out` from `raw`, the raw samples
    /// `raw_start..raw_start + raw.len()` of the segment (at least
    /// [`SegmentPreprocessor::raw_range`]`(out)`).
    pub fn process(&self, raw: &ThreeComponent, raw_start: usize, out: Range<usize>) -> Result<ThreeComponent, WaveformError> {
        let need = self.raw_range(out.clone());
        if raw_start > need.start || raw_start + raw.len() < need.end || out.end > self.out_len {
            return Err(WaveformError::Unsupported(format!(
                "output samples {}..{} need raw samples {}..{}, given {}..{}",
                out.start,
                out.end,
                need.start,
                need.end,
                raw_start,
                raw_start + raw.len()
            )));
        }
        let taper = |y: &mut [f64]| {
            let m = self.taper;
            if m == 0 {
                return;
            }
            for (k, v) in y.iter_mut().enumerate() {
                let g = raw_start + k;
                if g < m {
                    *v *= 0.5 * (1.0 - (std::f64::consts::PI * g as f64 / m as f64).cos());
                }
                if g >= self.len - m {
                    let i = self.len - 1 - g;
                    *v *= 0.5 * (1.0 - (std::f64::consts::PI * i as f64 / m as f64).cos());
                }
            }
        };
        let one = |x: &[f64], mean: f64| -> Result<Vec<f64>, WaveformError> {
            let mut y: Vec<f64> = x.to_vec();
            y.iter_mut().for_each(|v| *v -= mean);
            if !self.taper_after_bandpass {
                taper(&mut y);
            }
            if let Some(bp) = self.bandpass {
                y = bandpass_zero_phase(&y, self.fs, bp.low_hz, bp.high_hz, bp.order)?;
            }
            if self.taper_after_bandpass {
                taper(&mut y);
            }
            if self.same_rate() {
                return Ok(y[out.start - raw_start..out.end - raw_start].to_vec());
            }
            let step = self.fs / self.target;
            Ok(out
                .clone()
                .map(|j| {
                    let t = j as f64 * step;
                    let i = (t.floor() as usize).min(self.len - 2);
                    let f = t - i as f64;
                    let (a, b) = (y[i - raw_start], y[i + 1 - raw_start]);
                    a + f * (b - a)
                })
                .collect())
        };
        let z = one(&raw.z, self.means[0])?;
        let n = one(&raw.n, self.means[1])?;
        let e = one(&raw.e, self.means[2])?;
        let start_s = raw.seconds_from_start(raw.start) + out.start as f64 / self.target - raw_start as f64 / self.fs;
        Ok(ThreeComponent {
            station: raw.station.clone(),
            channels: raw.channels.clone(),
            start: add_seconds(raw.start, start_s),
            sampling_rate: self.target,
            z,
            n,
            e,
        })
    }
}
