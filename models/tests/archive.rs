//! Long archives in bounded memory (issue 12 item 5, issue 16): record-time
//! checks, segments split at long gaps, short gaps interpolated as before,
//! and chunked EQTransformer picking equal to the whole-record path.

use std::path::{Path, PathBuf};

use chrono::{Duration, TimeZone, Utc};
use eqnemix_models::eqtransformer::{ContinuousConfig, Detection, EqTransformer, PickerConfig};
use eqnemix_models::waveform::{
    read_mseed, write_mseed, Archive, PreprocessOptions, ReadLimits, Stream, Trace, TraceId, WaveformError,
};

/// Deterministic pseudo-random integers (a 64-bit LCG, AR(1) smoothed).
fn noise(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let mut acc = 0.0;
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let u = ((s >> 11) as f64) / ((1u64 << 53) as f64) - 0.5;
            acc = 0.95 * acc + u * 2000.0;
            acc.round()
        })
        .collect()
}

fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2019, 7, 6, 3, 0, 0).unwrap()
}

fn trace(ch: &str, start: chrono::DateTime<Utc>, n: usize, seed: u64) -> Trace {
    Trace::new(TraceId::new("XX", "SYN", "00", ch), start, 100.0, noise(n, seed))
}

/// Three components of `n` samples from `start`.
fn three(start: chrono::DateTime<Utc>, n: usize, seed: u64) -> Vec<Trace> {
    ["HHZ", "HHN", "HHE"].iter().enumerate().map(|(k, c)| trace(c, start, n, seed + k as u64)).collect()
}

#[test]
fn a_record_dated_a_year_late_is_an_error_naming_file_and_record() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("late.mseed");
    let mut traces = three(t0(), 30_000, 1);
    traces.push(trace("HHZ", t0() + Duration::days(365), 500, 9));
    write_mseed(&path, &Stream::new(traces)).unwrap();
    let files = vec![path.clone()];
    for err in [Archive::open(&files, &ReadLimits::default()).unwrap_err(), read_mseed(&path).unwrap_err()] {
        let msg = err.to_string();
        assert!(matches!(err, WaveformError::RecordTime { .. }), "{err:?}");
        assert!(msg.contains("late.mseed") && msg.contains("record") && msg.contains("byte offset"), "{msg}");
        assert!(msg.contains("XX.SYN.00.HHZ") && msg.contains("2020-07-05"), "{msg}");
        assert!(msg.contains("365.0 days"), "{msg}");
    }
    // With the isolation limit raised, the late record is a segment of its
    // own (of Z only: no three-component segment), never an interpolated
    // year: one segment, the 300 s the three components share.
    let limits = ReadLimits { max_isolation_s: 400.0 * 86_400.0, ..ReadLimits::default() };
    let archive = Archive::open(&files, &limits).unwrap();
    let segments = archive.station_segments("XX", "SYN", None, &limits).unwrap();
    assert_eq!(segments.len(), 1);
    assert_eq!(segments[0].len, 30_000);
}

#[test]
fn a_record_before_1900_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.mseed");
    write_mseed(&path, &Stream::new(vec![trace("HHZ", Utc.with_ymd_and_hms(1899, 12, 31, 0, 0, 0).unwrap(), 100, 1)])).unwrap();
    let err = Archive::open(&[path], &ReadLimits::default()).unwrap_err();
    assert!(err.to_string().contains("outside the years 1900-2199"), "{err}");
}

/// Short gaps are interpolated exactly as `select_station_3c` does; a gap
/// longer than `max_gap_s` splits the record into segments.
#[test]
fn short_gaps_interpolate_as_before_and_long_gaps_split() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gaps.mseed");
    let mut traces = three(t0(), 20_000, 1);
    // a 5 s gap (interpolated), then a 10 min gap (split)
    traces.extend(three(t0() + Duration::seconds(205), 20_000, 11));
    traces.extend(three(t0() + Duration::seconds(205 + 200 + 600), 15_000, 21));
    // an overlapping record on N (earlier samples kept)
    traces.push(trace("HHN", t0() + Duration::seconds(150), 3_000, 31));
    write_mseed(&path, &Stream::new(traces)).unwrap();
    let files = vec![path.clone()];
    let limits = ReadLimits::default();
    let archive = Archive::open(&files, &limits).unwrap();
    let segments = archive.station_segments("XX", "SYN", None, &limits).unwrap();
    assert_eq!(segments.len(), 2, "{segments:?}");
    assert_eq!(segments[0].len, 40_500);
    assert_eq!(segments[1].len, 15_000);
    assert_eq!(segments[1].start, t0() + Duration::seconds(1005));
    // The first segment equals the stream path (everything interpolated)
    // over the same samples, read whole or in pieces.
    let stream = read_mseed(&path).unwrap();
    let first = Stream::new(stream.traces.iter().filter(|t| t.start < t0() + Duration::seconds(900)).cloned().collect());
    let old = first.select_station_3c("XX", "SYN", None).unwrap();
    let whole = archive.read(&segments[0], 0..segments[0].len).unwrap();
    assert_eq!(whole, old);
    let piece = archive.read(&segments[0], 19_990..20_700).unwrap();
    assert_eq!(piece.z, old.z[19_990..20_700]);
    assert_eq!(piece.n, old.n[19_990..20_700]);
    assert_eq!(piece.start, old.time_of(19_990));
    // A larger limit joins the two segments by interpolating the 10 minutes.
    let wide = ReadLimits { max_gap_s: 700.0, ..limits };
    assert_eq!(archive.station_segments("XX", "SYN", None, &wide).unwrap().len(), 1);
}

fn sample_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("examples").join("data").join("sample");
    ["E", "N", "Z"].iter().map(|c| dir.join(format!("XX.SYN1.00.HH{c}.mseed"))).collect()
}

/// The chunked path on the shipped 4 h sample, 10 windows (7 min) a chunk
/// so that it runs 35 chunks, against the whole-record path: the same
/// detections, picks on the same samples, probabilities within 0.002
/// (the chunked band-pass differs from the whole-record one by rounding
/// only, which can move a probability in its last digits).
#[test]
fn chunked_picks_equal_the_whole_record_picks_on_the_sample() {
    let mut model = EqTransformer::load(EqTransformer::bundled_model_path()).unwrap().with_batch_size(16);
    let config = ContinuousConfig::default();
    let picker = PickerConfig::default();
    // whole record
    let mut traces = Vec::new();
    for f in sample_files() {
        traces.extend(read_mseed(f).unwrap().traces);
    }
    let three = Stream::new(traces).select_station_3c("XX", "SYN1", None).unwrap();
    let opts = PreprocessOptions::eqtransformer(three.len() as f64 / three.sampling_rate);
    let ready = three.preprocess(&opts).unwrap();
    let data: Vec<[f32; 3]> = ready.to_enz_f32();
    let whole = model.predict_continuous(&data, &config).unwrap().detections(&picker);
    // chunked
    let limits = ReadLimits::default();
    let archive = Archive::open(&sample_files(), &limits).unwrap();
    let segments = archive.station_segments("XX", "SYN1", None, &limits).unwrap();
    assert_eq!(segments.len(), 1);
    let mut chunked: Vec<Detection> = Vec::new();
    let mut max_diff = 0.0_f64;
    let run = model
        .pick_segment(&archive, &segments[0], &opts, &config, 10, None, |chunk, found| {
            // the chunk's preprocessed samples against the whole record's
            for (k, s) in chunk.data.iter().enumerate() {
                for c in 0..3 {
                    max_diff = max_diff.max((s[c] - data[chunk.data_start + k][c]).abs() as f64);
                }
            }
            chunked.extend(found.into_iter().map(|(d, _)| d));
        })
        .unwrap();
    chunked.sort_by_key(|d| d.start);
    assert_eq!(run.n_samples, data.len());
    assert!(run.n_chunks >= 30, "{run:?}");
    let scale = data.iter().flat_map(|s| s.iter()).fold(0.0_f32, |m, v| m.max(v.abs())) as f64;
    eprintln!("{run:?}; largest preprocessing difference {max_diff:e} of a peak {scale:e}; {} detections", whole.len());
    assert!(max_diff <= 1e-6 * scale, "preprocessing differs by {max_diff} (peak {scale})");
    assert_eq!(chunked.len(), whole.len(), "chunked {chunked:?}\nwhole {whole:?}");
    for (a, b) in chunked.iter().zip(&whole) {
        assert_eq!((a.start, a.end), (b.start, b.end), "{a:?} vs {b:?}");
        assert_eq!(a.p.map(|p| p.sample), b.p.map(|p| p.sample), "{a:?} vs {b:?}");
        assert_eq!(a.s.map(|s| s.sample), b.s.map(|s| s.sample), "{a:?} vs {b:?}");
        assert!((a.probability - b.probability).abs() <= 0.002, "{a:?} vs {b:?}");
    }
}
