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
pub fn read_mseed(path: impl AsRef<Path>) -> Result<Stream, WaveformError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|source| WaveformError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    read_mseed_bytes(&bytes, path)
}

/// As [`read_mseed`] from bytes already in memory; `name` is used in errors.
pub fn read_mseed_bytes(bytes: &[u8], name: impl AsRef<Path>) -> Result<Stream, WaveformError> {
    let path = name.as_ref().to_path_buf();
    let mut traces = Vec::new();
    let mut offset = 0usize;
    let mut record = 0usize;
    while offset < bytes.len() {
        let rest = &bytes[offset..];
        let corrupt = |message: String| WaveformError::Corrupt {
            path: path.clone(),
            record,
            offset,
            message,
        };
        // Trailing zero padding (some writers pad files to a block size) ends the file.
        if rest.iter().all(|&b| b == 0) {
            break;
        }
        let len = record_length(rest).map_err(corrupt)?;
        if len > rest.len() {
            return Err(WaveformError::Truncated {
                path,
                record,
                offset,
                needed: len,
                available: rest.len(),
            });
        }
        let slice = &rest[..len];
        let decoded = std::panic::catch_unwind(|| miniseed_rs::decode(slice));
        let rec = match decoded {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => return Err(corrupt(e.to_string())),
            Err(_) => return Err(corrupt("the decoder failed on this record".into())),
        };
        if let Some(mut t) = record_to_trace(&rec).map_err(corrupt)? {
            // v2 time correction (0.0001 s units), unless flagged as already applied
            if rec.format_version == miniseed_rs::FormatVersion::V2
                && rec.activity_flags & 0x02 == 0
            {
                let corr = i32::from_be_bytes([slice[40], slice[41], slice[42], slice[43]]);
                if corr != 0 {
                    t.start = add_seconds(t.start, corr as f64 * 1e-4);
                }
            }
            traces.push(t);
        }
        offset += len;
        record += 1;
    }
    if record == 0 {
        return Err(WaveformError::Empty { path });
    }
    Ok(Stream::new(traces).merge(GapPolicy::Split))
}

/// Length in bytes of the record at the start of `data`, from its framing
/// (v3: header lengths; v2: Blockette 1000), with sanity checks.
fn record_length(data: &[u8]) -> Result<usize, String> {
    if data.len() >= 3 && &data[..2] == b"MS" && data[2] == 3 {
        if data.len() < 40 {
            return Err(format!("v3 header needs 40 bytes, {} remain", data.len()));
        }
        let sid = data[33] as usize;
        let extra = u16::from_le_bytes([data[34], data[35]]) as usize;
        let payload = u32::from_le_bytes([data[36], data[37], data[38], data[39]]) as usize;
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
    let mut blk = u16::from_be_bytes([data[46], data[47]]) as usize;
    for _ in 0..32 {
        if blk < 48 || blk + 8 > data.len() {
            break;
        }
        let kind = u16::from_be_bytes([data[blk], data[blk + 1]]);
        let next = u16::from_be_bytes([data[blk + 2], data[blk + 3]]) as usize;
        if kind == 1000 {
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
            return Ok(len);
        }
        if next <= blk {
            break;
        }
        blk = next;
    }
    Err("no Blockette 1000 (record length and encoding unknown)".into())
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
