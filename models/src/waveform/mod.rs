//! Continuous seismic waveforms: miniSEED input/output, traces and streams
//! (gaps, overlaps, merging), the three components of a station, and the
//! preprocessing the networks expect (detrend, taper, zero-phase Butterworth
//! band-pass, resampling to 100 Hz). [`archive`] reads long records in
//! bounded memory: a record index, segments split at long gaps, chunk
//! reads and chunked preprocessing.
//!
//! Times are UTC ([`chrono::DateTime<Utc>`]), sampling rates in Hz, samples
//! in the file's units (counts) as `f64`.
//!
//! ```no_run
//! use eqnemix_models::waveform::{read_mseed, PreprocessOptions};
//! let stream = read_mseed("day.mseed")?;
//! let three = stream.select_station_3c("XX", "SYN", None)?;
//! let ready = three.preprocess(&PreprocessOptions::default())?; // 100 Hz, 1-45 Hz
//! assert_eq!(ready.sampling_rate, 100.0);
//! # Ok::<(), eqnemix_models::waveform::WaveformError>(())
//! ```

pub mod archive;
pub mod components;
pub mod mseed;
pub mod preprocess;
pub mod stream;

pub use components::ThreeComponent;
pub use archive::{Archive, Segment, SegmentPreprocessor};
pub use mseed::{
    read_mseed, read_mseed_bytes, read_mseed_bytes_with, read_mseed_with, write_mseed, write_mseed_with, MseedEncoding, ReadLimits, WriteOptions,
    DEFAULT_MAX_GAP_S, DEFAULT_MAX_ISOLATION_S,
};
pub use preprocess::{
    bandpass_zero_phase, cosine_taper, demean, detrend_linear, interpolate_linear, resample, PreprocessOptions, Resampling,
};
pub use stream::{GapPolicy, Stream, Trace, TraceId};

use std::path::PathBuf;

/// Everything that can go wrong reading, selecting or processing waveforms.
#[derive(Debug, thiserror::Error)]
pub enum WaveformError {
    /// The file could not be opened, read or written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A record is not valid miniSEED.
    #[error("{path}: corrupt miniSEED record {record} at byte offset {offset}: {message}")]
    Corrupt {
        path: PathBuf,
        record: usize,
        offset: usize,
        message: String,
    },
    /// The file ends inside a record.
    #[error("{path}: truncated miniSEED: record {record} at byte offset {offset} needs {needed} bytes but only {available} remain")]
    Truncated {
        path: PathBuf,
        record: usize,
        offset: usize,
        needed: usize,
        available: usize,
    },
    /// The file holds no record at all.
    #[error("{path}: no miniSEED records")]
    Empty { path: PathBuf },
    /// A station lacks one of its three components.
    #[error("station {station}: missing component {component} (channels present: {present})")]
    MissingComponent {
        station: String,
        component: String,
        present: String,
    },
    /// No channel of the station is in the stream.
    #[error("station {station}: not in the stream (stations present: {present})")]
    MissingStation { station: String, present: String },
    /// The three components do not share a sampling rate.
    #[error("station {station}: inconsistent sampling rates {rates}")]
    InconsistentRates { station: String, rates: String },
    /// The three components have no time in common.
    #[error("station {station}: the three components do not overlap in time")]
    NoCommonWindow { station: String },
    /// A sampling rate that is zero, negative, not finite, or a ratio the resampler refuses.
    #[error("{what}: invalid sampling rate {rate} Hz: {reason}")]
    InvalidRate {
        what: String,
        rate: f64,
        reason: String,
    },
    /// Filter corners outside (0, Nyquist) or inverted.
    #[error("band-pass {low}-{high} Hz at sampling rate {rate} Hz: {reason}")]
    InvalidFilter {
        low: f64,
        high: f64,
        rate: f64,
        reason: String,
    },
    /// A record dated outside 1900-2199, or far from every other record of
    /// its channel ([`ReadLimits::max_isolation_s`]).
    #[error("{path}: miniSEED record {record} at byte offset {offset} ({channel}) starts at {start}: {reason}")]
    RecordTime {
        path: PathBuf,
        record: usize,
        offset: usize,
        channel: String,
        start: String,
        reason: String,
    },
    /// A channel whose records change sampling rate.
    #[error("{path}: miniSEED record {record} at byte offset {offset} ({channel}): sampling rate {rate} Hz, but the channel's earlier records have {expected} Hz")]
    MixedRates {
        path: PathBuf,
        record: usize,
        offset: usize,
        channel: String,
        rate: f64,
        expected: f64,
    },
    /// A record whose samples changed since the archive was indexed.
    #[error("{path}: miniSEED record {record} at byte offset {offset} changed while being read: {message}")]
    Changed {
        path: PathBuf,
        record: usize,
        offset: usize,
        message: String,
    },
    /// A limit of [`ReadLimits`] that is not a non-negative number.
    #[error("invalid read limit {field} = {value}: must be a finite number >= 0")]
    InvalidLimit { field: &'static str, value: f64 },
    /// A station's records split into several segments where one
    /// continuous record is needed.
    #[error("station {station}: {count} separate segments (gaps longer than {max_gap_s} s: {gaps}); this command needs one continuous record (eqnemix pick processes segments separately)")]
    Segmented {
        station: String,
        count: usize,
        max_gap_s: f64,
        gaps: String,
    },
    /// Options the chunked preprocessing cannot reproduce.
    #[error("chunked preprocessing: {0}")]
    Unsupported(String),
    /// Data that cannot be written (e.g. non-finite samples, an id too long).
    #[error("{path}: cannot write miniSEED: {message}")]
    Write { path: PathBuf, message: String },
}
