//! miniSEED (v2, and v3 on reading) through the pure-Rust `miniseed-rs`
//! crate, which decodes and encodes single records (Steim1, Steim2, INT16,
//! INT32, FLOAT32, FLOAT64). This module walks a file record by record,
//! checks each record's framing before handing it to the decoder (so a
//! corrupt or truncated file is an error naming the file, record and byte
//! offset, never a panic), turns records into [`Trace`]s and merges them;
//! on writing it splits each trace into fixed-length v2 records.
//!
//! Limits: v2 records need big-endian headers (the data may be either byte
//! order); little-endian headers are reported as corrupt. Written record
//! start times have the v2 resolution of 0.1 ms.
//!
//! Pure Rust was chosen over the libmseed bindings (`mseed`) because those
//! need libclang (bindgen) at build time, which a fresh machine lacks.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use miniseed_rs::{ByteOrder, EncodingFormat, MseedRecord, NanoTime, Samples};

use super::stream::{add_seconds, GapPolicy, Stream, Trace, TraceId};
use super::WaveformError;

/// Read every record of a miniSEED file and merge them per channel
/// (contiguous and overlapping records joined, the first samples kept;
/// gaps split a channel into separate traces, see [`GapPolicy::Split`]).
/// Record times are checked with the default [`ReadLimits`]
/// ([`check_record_times`]): a record dated before 1900 or from 2200 on, or
/// one more than 7 days from every other record of its channel in the file,
/// is a [`WaveformError::RecordTime`] naming the file, record and byte offset.
pub fn read_mseed(path: impl AsRef<Path>) -> Result<Stream, WaveformError> {
    read_mseed_with(path, &ReadLimits::default())
}

/// [`read_mseed`] with explicit limits on record times.
pub fn read_mseed_with(path: impl AsRef<Path>, limits: &ReadLimits) -> Result<Stream, WaveformError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|source| WaveformError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    read_mseed_bytes_with(&bytes, path, limits)
}

/// As [`read_mseed`] from bytes already in memory; `name` is used in errors.
pub fn read_mseed_bytes(bytes: &[u8], name: impl AsRef<Path>) -> Result<Stream, WaveformError> {
    read_mseed_bytes_with(bytes, name, &ReadLimits::default())
}

/// [`read_mseed_bytes`] with explicit limits on record times.
pub fn read_mseed_bytes_with(bytes: &[u8], name: impl AsRef<Path>, limits: &ReadLimits) -> Result<Stream, WaveformError> {
    let path = name.as_ref().to_path_buf();
    let mut traces = Vec::new();
    let mut places = Vec::new();
    walk_records(bytes, &path, |record, offset, _len, trace| {
        places.push(RecordPlace {
            file: 0,
            record,
            offset,
            id: trace.id.clone(),
            start: trace.start,
            end: trace.time_of(trace.len()),
        });
        traces.push(trace);
        Ok(())
    })?;
    check_record_times(&places, std::slice::from_ref(&path), limits)?;
    drop(places);
    Ok(Stream::new(traces).merge(GapPolicy::Split))
}

/// Limits on the records read ([`read_mseed_with`],
/// [`super::Archive::open`]): how long a gap may be interpolated and how far a
/// record may lie from the rest of its channel.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ReadLimits {
    /// Gaps of at most this many seconds inside a channel are filled by
    /// linear interpolation; a longer gap splits the record into segments
    /// processed separately ([`super::Archive::station_segments`]).
    /// Default 60 s.
    pub max_gap_s: f64,
    /// A record whose samples lie more than this many seconds from every
    /// other record of its channel (the gap to its nearest neighbour, in
    /// time order) is an error: a mis-dated record, not data. Default 7 days.
    pub max_isolation_s: f64,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits {
            max_gap_s: DEFAULT_MAX_GAP_S,
            max_isolation_s: DEFAULT_MAX_ISOLATION_S,
        }
    }
}

/// Default of [`ReadLimits::max_gap_s`].
pub const DEFAULT_MAX_GAP_S: f64 = 60.0;
/// Default of [`ReadLimits::max_isolation_s`] (7 days).
pub const DEFAULT_MAX_ISOLATION_S: f64 = 7.0 * 86_400.0;
/// Records must start in [`EARLIEST_RECORD_YEAR`], ..., [`LATEST_RECORD_YEAR`].
pub const EARLIEST_RECORD_YEAR: i32 = 1900;
/// Records must start before the end of this year.
pub const LATEST_RECORD_YEAR: i32 = 2199;

impl ReadLimits {
    /// Rejects limits that are not positive numbers.
    pub fn validate(&self) -> Result<(), WaveformError> {
        for (field, v) in [("max_gap_s", self.max_gap_s), ("max_isolation_s", self.max_isolation_s)] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(WaveformError::InvalidLimit {
                    field,
                    value: v,
                });
            }
        }
        Ok(())
    }
}

/// Where a record came from and when its samples lie (`end`: the time
/// just after its last sample).
#[derive(Debug, Clone)]
pub(crate) struct RecordPlace {
    pub file: usize,
    pub record: usize,
    pub offset: usize,
    pub id: TraceId,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// The record-time checks of [`ReadLimits`] on the records of `places`
/// (`files[place.file]` names a record's file): every record must start in
/// 1900..=2199 and, in a channel of several records, lie within
/// `max_isolation_s` of another record of the channel. The error names the
/// file, the record (index in its file) and its byte offset.
pub(crate) fn check_record_times(places: &[RecordPlace], files: &[PathBuf], limits: &ReadLimits) -> Result<(), WaveformError> {
    limits.validate()?;
    let err = |p: &RecordPlace, reason: String| WaveformError::RecordTime {
        path: files[p.file].clone(),
        record: p.record,
        offset: p.offset,
        channel: p.id.to_string(),
        start: p.start.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        reason,
    };
    for p in places {
        if !(EARLIEST_RECORD_YEAR..=LATEST_RECORD_YEAR).contains(&p.start.year()) {
            return Err(err(p, format!("outside the years {EARLIEST_RECORD_YEAR}-{LATEST_RECORD_YEAR}")));
        }
    }
    let mut order: Vec<usize> = (0..places.len()).collect();
    order.sort_by(|&a, &b| places[a].id.cmp(&places[b].id).then(places[a].start.cmp(&places[b].start)));
    let mut isolated: Option<(usize, f64)> = None;
    for channel in order.chunk_by(|&a, &b| places[a].id == places[b].id) {
        if channel.len() < 2 {
            continue;
        }
        // Seconds from the end of the samples before (the latest end so far)
        // to the start of each record.
        let mut gap_before = vec![f64::INFINITY; channel.len()];
        let mut latest_end = places[channel[0]].end;
        for (k, &i) in channel.iter().enumerate().skip(1) {
            gap_before[k] = super::stream::seconds_between(latest_end, places[i].start).max(0.0);
            latest_end = latest_end.max(places[i].end);
        }
        for (k, &i) in channel.iter().enumerate() {
            let after = gap_before.get(k + 1).copied().unwrap_or(f64::INFINITY);
            let nearest = gap_before[k].min(after);
            if nearest > limits.max_isolation_s && isolated.is_none_or(|(j, _)| (places[i].file, places[i].record) < (places[j].file, places[j].record)) {
                isolated = Some((i, nearest));
            }
        }
    }
    if let Some((i, nearest)) = isolated {
        return Err(err(
            &places[i],
            format!(
                "{:.1} days from the nearest other record of the channel (more than the {:.1} days allowed: a mis-dated record?)",
                nearest / 86_400.0,
                limits.max_isolation_s / 86_400.0
            ),
        ));
    }
    Ok(())
}

/// Walks the records of `bytes` (a miniSEED file named `path`), calling
/// `each(record index, byte offset, record length, trace)` on every record with samples
/// (time correction applied). Framing and decoding errors name the file,
/// record and offset.
pub(crate) fn walk_records(
    bytes: &[u8],
    path: &Path,
    mut each: impl FnMut(usize, usize, usize, Trace) -> Result<(), WaveformError>,
) -> Result<(), WaveformError> {
    let mut offset = 0usize;
    let mut record = 0usize;
    while offset < bytes.len() {
        let rest = &bytes[offset..];
        // Trailing zero padding (some writers pad files to a block size) ends the file.
        if rest.iter().all(|&b| b == 0) {
            break;
        }
        let len = record_length(rest).map_err(|message| WaveformError::Corrupt {
            path: path.to_path_buf(),
            record,
            offset,
            message,
        })?;
        if len > rest.len() {
            return Err(WaveformError::Truncated {
                path: path.to_path_buf(),
                record,
                offset,
                needed: len,
                available: rest.len(),
            });
        }
        if let Some(t) = decode_record(&rest[..len], path, record, offset)? {
            each(record, offset, len, t)?;
        }
        offset += len;
        record += 1;
    }
    if record == 0 {
        return Err(WaveformError::Empty { path: path.to_path_buf() });
    }
    Ok(())
}

/// Decodes one whole record (`slice`, record `record` at byte `offset` of
/// `path`) into a trace, time correction applied; `None` for a record
/// without samples.
pub(crate) fn decode_record(slice: &[u8], path: &Path, record: usize, offset: usize) -> Result<Option<Trace>, WaveformError> {
    let corrupt = |message: String| WaveformError::Corrupt {
        path: path.to_path_buf(),
        record,
        offset,
        message,
    };
    let decoded = std::panic::catch_unwind(|| miniseed_rs::decode(slice));
    let rec = match decoded {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => return Err(corrupt(e.to_string())),
        Err(_) => return Err(corrupt("the decoder failed on this record".into())),
    };
    let Some(mut t) = record_to_trace(&rec).map_err(corrupt)? else {
        return Ok(None);
    };
    // v2 time correction (0.0001 s units), unless flagged as already applied
    if rec.format_version == miniseed_rs::FormatVersion::V2 && rec.activity_flags & 0x02 == 0 && slice.len() >= 44 {
        let corr = i32::from_be_bytes([slice[40], slice[41], slice[42], slice[43]]);
        if corr != 0 {
            t.start = add_seconds(t.start, corr as f64 * 1e-4);
        }
    }
    Ok(Some(t))
}

/// Length in bytes of the record at the start of `data`, from its framing
/// (v3: header lengths; v2: Blockette 1000), with sanity checks.
pub(crate) fn record_length(data: &[u8]) -> Result<usize, String> {
    if data.len() >= 3 && &data[..2] == b"MS" && data[2] == 3 {
        if data.len() < 40 {
            return Err(format!("v3 header needs 40 bytes, {} remain", data.len()));
        }
        let sid = data[33] as usize;
        let extra = u16::from_le_bytes([data[34], data[35]]) as usize;
        let payload = u32::from_le_bytes([data[36], data[37], data[38], data[39]]) as usize;
        // The decoder reserves room for every sample the header announces; at
        // most 7 Steim-2 samples fit in 4 bytes, so more than 2 per byte is a
        // corrupt count (that would otherwise ask for up to 16 GB).
        let samples = u32::from_le_bytes([data[24], data[25], data[26], data[27]]) as usize;
        if samples > payload.saturating_mul(2) {
            return Err(format!("{samples} samples cannot fit in a data payload of {payload} bytes"));
        }
        return Ok(40 + sid + extra + payload);
    }
    if data.len() < 48 {
        return Err(format!(
            "fixed header needs 48 bytes, {} remain",
            data.len()
        ));
    }
    if !data[..6]
        .iter()
        .all(|b| b.is_ascii_digit() || *b == b' ' || *b == 0)
        || !matches!(data[6], b'D' | b'R' | b'Q' | b'M')
    {
        return Err("not a miniSEED data record (bad sequence number or quality indicator)".into());
    }
    // Station, location, channel and network codes are ASCII in SEED; the
    // decoder splits the channel code at byte positions, which panicked on a
    // multi-byte UTF-8 character there. Found by fuzz/ (target mseed).
    if let Some(i) = data[8..20].iter().position(|b| !b.is_ascii()) {
        return Err(format!(
            "station/location/channel/network codes (bytes 8-19) are not ASCII: byte {} is 0x{:02x}",
            8 + i,
            data[8 + i]
        ));
    }
    // Walk the blockette chain: to Blockette 1000 (at most 32 blockettes
    // before it) and on to the chain's end inside the record, which the
    // decoder also walks (looking for Blockette 1001) without a guard against
    // a chain that points back: that would be an endless loop.
    let mut blk = u16::from_be_bytes([data[46], data[47]]) as usize;
    let mut record_len: Option<usize> = None;
    let mut hops = 0;
    loop {
        // (a truncated last record is reported by the caller)
        let bound = record_len.map_or(data.len(), |len| len.min(data.len()));
        if blk < 48 || blk + 4 > bound {
            break;
        }
        let kind = u16::from_be_bytes([data[blk], data[blk + 1]]);
        let next = u16::from_be_bytes([data[blk + 2], data[blk + 3]]) as usize;
        if record_len.is_none() && kind == 1000 {
            if blk + 8 > data.len() {
                break;
            }
            let power = data[blk + 6];
            if !(7..=20).contains(&power) {
                return Err(format!("record length 2^{power} is outside 2^7..2^20"));
            }
            let len = 1usize << power;
            let data_offset = u16::from_be_bytes([data[44], data[45]]) as usize;
            if data_offset > len {
                return Err(format!(
                    "data offset {data_offset} beyond the record length {len}"
                ));
            }
            record_len = Some(len);
        }
        if next == 0 {
            break;
        }
        if next <= blk {
            if record_len.is_none() {
                break;
            }
            return Err(format!(
                "blockette chain loops: the blockette at byte {blk} points back to byte {next}"
            ));
        }
        hops += 1;
        if record_len.is_none() && hops >= 32 {
            break;
        }
        blk = next;
    }
    record_len.ok_or_else(|| "no Blockette 1000 (record length and encoding unknown)".into())
}

fn nanotime_to_utc(t: &NanoTime) -> Option<DateTime<Utc>> {
    let date = NaiveDate::from_yo_opt(t.year as i32, t.day as u32)?;
    let base = date
        .and_hms_opt(t.hour as u32, t.minute as u32, 0)?
        .and_utc();
    Some(
        base + chrono::Duration::seconds(t.second as i64)
            + chrono::Duration::nanoseconds(t.nanosecond as i64),
    )
}

fn utc_to_nanotime(t: DateTime<Utc>) -> NanoTime {
    NanoTime {
        year: t.year() as u16,
        day: t.ordinal() as u16,
        hour: t.hour() as u8,
        minute: t.minute() as u8,
        second: t.second() as u8,
        nanosecond: t.nanosecond().min(999_999_999),
    }
}

fn record_to_trace(rec: &MseedRecord) -> Result<Option<Trace>, String> {
    let data: Vec<f64> = match &rec.samples {
        Samples::Int(v) => v.iter().map(|&x| x as f64).collect(),
        Samples::Float(v) => v.iter().map(|&x| x as f64).collect(),
        Samples::Double(v) => v.clone(),
    };
    if data.is_empty() {
        return Ok(None); // log or empty records carry no samples
    }
    if !(rec.sample_rate.is_finite() && rec.sample_rate > 0.0) {
        return Err(format!(
            "sampling rate {} Hz of {}.{}.{}.{} is not a positive number",
            rec.sample_rate, rec.network, rec.station, rec.location, rec.channel
        ));
    }
    let start = nanotime_to_utc(&rec.start_time)
        .ok_or_else(|| format!("invalid start time {}", rec.start_time))?;
    Ok(Some(Trace::new(
        TraceId::new(&rec.network, &rec.station, &rec.location, &rec.channel),
        start,
        rec.sample_rate,
        data,
    )))
}

/// Sample encoding of written records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MseedEncoding {
    /// Steim-2 compressed integers (samples are rounded to integers; the
    /// difference between consecutive samples must fit in 30 bits).
    #[default]
    Steim2,
    /// Uncompressed 32-bit integers (rounded).
    Int32,
    /// Uncompressed IEEE single precision.
    Float32,
    /// Uncompressed IEEE double precision.
    Float64,
}

/// How [`write_mseed_with`] writes records.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WriteOptions {
    pub encoding: MseedEncoding,
    /// Record length in bytes: a power of two from 256 to 65536.
    pub record_length: usize,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            encoding: MseedEncoding::Steim2,
            record_length: 4096,
        }
    }
}

/// Write a stream as miniSEED v2, Steim-2, 4096-byte records (see [`write_mseed_with`]).
pub fn write_mseed(path: impl AsRef<Path>, stream: &Stream) -> Result<(), WaveformError> {
    write_mseed_with(path, stream, &WriteOptions::default())
}

/// Write a stream as miniSEED v2 records (big-endian), trace after trace.
/// Record start times are stored to 0.1 ms (the v2 time resolution); the
/// sampling rate must be a whole number of Hz or a whole number of seconds
/// per sample. The file is written to a temporary name and renamed.
pub fn write_mseed_with(
    path: impl AsRef<Path>,
    stream: &Stream,
    opts: &WriteOptions,
) -> Result<(), WaveformError> {
    let path = path.as_ref();
    let bytes = encode_stream(stream, opts).map_err(|message| WaveformError::Write {
        path: path.to_path_buf(),
        message,
    })?;
    let tmp = temp_name(path);
    std::fs::write(&tmp, &bytes).map_err(|source| WaveformError::Io {
        path: tmp.clone(),
        source,
    })?;
    std::fs::rename(&tmp, path).map_err(|source| WaveformError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn temp_name(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(format!(".tmp{}", std::process::id()));
    path.with_file_name(name)
}

/// Encode a whole stream into miniSEED v2 bytes.
pub fn encode_stream(stream: &Stream, opts: &WriteOptions) -> Result<Vec<u8>, String> {
    if !opts.record_length.is_power_of_two() || !(256..=65536).contains(&opts.record_length) {
        return Err(format!(
            "record length {} is not a power of two in 256..65536",
            opts.record_length
        ));
    }
    let mut out = Vec::new();
    let mut seq = 1u32;
    for tr in &stream.traces {
        encode_trace(tr, opts, &mut seq, &mut out)?;
    }
    Ok(out)
}

fn check_rate(rate: f64) -> bool {
    if !(rate.is_finite() && rate > 0.0) {
        return false;
    }
    if rate >= 1.0 {
        (rate - rate.round()).abs() < 1e-9 && rate <= 32767.0
    } else {
        let p = 1.0 / rate;
        (p - p.round()).abs() < 1e-6 && p <= 32767.0
    }
}

fn encode_trace(
    tr: &Trace,
    opts: &WriteOptions,
    seq: &mut u32,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    if !check_rate(tr.sampling_rate) {
        return Err(format!("{}: sampling rate {} Hz is not representable in miniSEED v2 (whole Hz or whole seconds per sample)", tr.id, tr.sampling_rate));
    }
    let id = &tr.id;
    if id.network.len() > 2 || id.station.len() > 5 || id.location.len() > 2 || id.channel.len() > 3
    {
        return Err(format!(
            "{id}: codes too long for miniSEED v2 (NET<=2, STA<=5, LOC<=2, CHA<=3)"
        ));
    }
    if let Some(i) = tr.data.iter().position(|x| !x.is_finite()) {
        return Err(format!("{id}: sample {i} is not finite"));
    }
    let header_len = 64; // fixed header + Blockette 1000, data aligned to 64 bytes
    let capacity = opts.record_length - header_len;
    let base = || {
        MseedRecord::new()
            .with_nslc(&id.network, &id.station, &id.location, &id.channel)
            .with_sample_rate(tr.sampling_rate)
            .with_record_length(opts.record_length as u32)
    };
    let mut i = 0usize;
    let n = tr.data.len();
    let mut ints: Vec<i32> = Vec::new();
    if matches!(opts.encoding, MseedEncoding::Steim2 | MseedEncoding::Int32) {
        ints.reserve(n);
        for (k, &x) in tr.data.iter().enumerate() {
            if x.abs() > (i32::MAX as f64) {
                return Err(format!(
                    "{id}: sample {k} = {x} does not fit a 32-bit integer"
                ));
            }
            ints.push(x.round() as i32);
        }
        if opts.encoding == MseedEncoding::Steim2 {
            for k in 1..n {
                let d = ints[k] as i64 - ints[k - 1] as i64;
                if d.abs() >= (1 << 29) {
                    return Err(format!("{id}: difference between samples {} and {k} is too large for Steim-2 (|d| < 2^29)", k - 1));
                }
            }
        }
    }
    while i < n {
        let (count, samples, encoding) = match opts.encoding {
            MseedEncoding::Steim2 => {
                let c = steim2_fit(&ints[i..], capacity)?;
                (
                    c,
                    Samples::Int(ints[i..i + c].to_vec()),
                    EncodingFormat::Steim2,
                )
            }
            MseedEncoding::Int32 => {
                let c = (capacity / 4).min(n - i);
                (
                    c,
                    Samples::Int(ints[i..i + c].to_vec()),
                    EncodingFormat::Int32,
                )
            }
            MseedEncoding::Float32 => {
                let c = (capacity / 4).min(n - i);
                (
                    c,
                    Samples::Float(tr.data[i..i + c].iter().map(|&x| x as f32).collect()),
                    EncodingFormat::Float32,
                )
            }
            MseedEncoding::Float64 => {
                let c = (capacity / 8).min(n - i);
                (
                    c,
                    Samples::Double(tr.data[i..i + c].to_vec()),
                    EncodingFormat::Float64,
                )
            }
        };
        let mut rec = base().with_encoding(encoding).with_samples(samples);
        rec.byte_order = ByteOrder::Big;
        rec.start_time = utc_to_nanotime(add_seconds(tr.start, i as f64 / tr.sampling_rate));
        rec.sequence_number = format!("{:06}", *seq % 1_000_000);
        let bytes = miniseed_rs::encode(&rec).map_err(|e| format!("{id}: record {}: {e}", *seq))?;
        out.extend_from_slice(&bytes);
        *seq += 1;
        i += count;
    }
    Ok(())
}

/// Largest number of leading samples whose Steim-2 frames fit in `capacity` bytes.
fn steim2_fit(ints: &[i32], capacity: usize) -> Result<usize, String> {
    let size = |k: usize| -> Result<usize, String> {
        miniseed_rs::steim::encode_steim2(&ints[..k], ByteOrder::Big)
            .map(|b| b.len())
            .map_err(|e| e.to_string())
    };
    // at most 7 differences per 32-bit word
    let hi_bound = (capacity / 4 * 7).min(ints.len()).min(u16::MAX as usize);
    if size(hi_bound)? <= capacity {
        return Ok(hi_bound);
    }
    // one frame holds at least 13 samples (30-bit differences)
    let (mut lo, mut hi) = (1usize, hi_bound); // size(lo) fits, size(hi) does not
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if size(mid)? <= capacity {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(lo)
}
