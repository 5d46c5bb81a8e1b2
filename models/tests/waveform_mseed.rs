//! miniSEED reading and writing, merging, three-component selection, errors.

use chrono::{TimeZone, Utc};
use eqnemix_models::waveform::{
    read_mseed, read_mseed_bytes, write_mseed, write_mseed_with, GapPolicy, MseedEncoding, Stream,
    Trace, TraceId, WaveformError, WriteOptions,
};

/// Deterministic pseudo-random integers (a 64-bit LCG), so the test needs no RNG crate.
fn noise(n: usize, seed: u64, scale: f64) -> Vec<f64> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut acc = 0.0;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let u = ((s >> 11) as f64) / ((1u64 << 53) as f64) - 0.5;
            acc = 0.95 * acc + u * scale;
            acc.round()
        })
        .collect()
}

fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2019, 7, 6, 3, 19, 53).unwrap()
}

fn trace(ch: &str, start: chrono::DateTime<Utc>, n: usize, seed: u64) -> Trace {
    Trace::new(
        TraceId::new("XX", "SYN", "00", ch),
        start,
        100.0,
        noise(n, seed, 2000.0),
    )
}

#[test]
fn steim2_round_trip_with_several_records_per_channel() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rt.mseed");
    let st = Stream::new(vec![
        trace("HHZ", t0(), 30_000, 1),
        trace("HHN", t0(), 30_000, 2),
        trace("HHE", t0(), 29_000, 3),
    ]);
    write_mseed(&path, &st).unwrap();
    let size = std::fs::metadata(&path).unwrap().len();
    assert_eq!(size % 4096, 0);
    assert!(
        size >= 3 * 2 * 4096,
        "several 4096-byte records per channel, file has {size} bytes"
    );
    let back = read_mseed(&path).unwrap();
    assert_eq!(back.len(), 3, "records merged into one trace per channel");
    for orig in &st.traces {
        let got = back.traces.iter().find(|t| t.id == orig.id).unwrap();
        assert_eq!(got.start, orig.start);
        assert_eq!(got.sampling_rate, 100.0);
        assert_eq!(got.data, orig.data);
    }
}

#[test]
fn float_and_int_encodings_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    for enc in [
        MseedEncoding::Float32,
        MseedEncoding::Float64,
        MseedEncoding::Int32,
    ] {
        let path = dir.path().join(format!("{enc:?}.mseed"));
        let mut tr = trace("BHZ", t0(), 5000, 7);
        if enc != MseedEncoding::Int32 {
            tr.data
                .iter_mut()
                .for_each(|v| *v = (*v * 0.125) as f32 as f64 + 0.5);
        }
        let st = Stream::new(vec![tr.clone()]);
        write_mseed_with(
            &path,
            &st,
            &WriteOptions {
                encoding: enc,
                record_length: 512,
            },
        )
        .unwrap();
        let back = read_mseed(&path).unwrap();
        assert_eq!(back.traces.len(), 1);
        assert_eq!(back.traces[0].data, tr.data, "{enc:?}");
    }
}

#[test]
fn truncated_file_is_an_error_naming_file_and_offset() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trunc.mseed");
    write_mseed(&path, &Stream::new(vec![trace("HHZ", t0(), 20_000, 4)])).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let cut = bytes.len() - 1000;
    std::fs::write(&path, &bytes[..cut]).unwrap();
    let err = read_mseed(&path).unwrap_err();
    match &err {
        WaveformError::Truncated {
            offset,
            needed,
            available,
            ..
        } => {
            assert_eq!(*offset, bytes.len() - 4096);
            assert_eq!(*needed, 4096);
            assert_eq!(*available, 4096 - 1000);
        }
        other => panic!("expected Truncated, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains("trunc.mseed") && msg.contains("byte offset"),
        "{msg}"
    );
}

#[test]
fn corrupt_bytes_are_errors_not_panics() {
    let err = read_mseed_bytes(
        b"this is not miniSEED at all, just some text that is long enough to look like a header",
        "junk.txt",
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            WaveformError::Corrupt {
                record: 0,
                offset: 0,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(matches!(
        read_mseed_bytes(&[], "empty").unwrap_err(),
        WaveformError::Empty { .. }
    ));
    // Flip bytes of a valid file at many places: every outcome is Ok or a typed error.
    let st = Stream::new(vec![trace("HHZ", t0(), 3000, 5)]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ok.mseed");
    write_mseed_with(
        &path,
        &st,
        &WriteOptions {
            encoding: MseedEncoding::Steim2,
            record_length: 512,
        },
    )
    .unwrap();
    let good = std::fs::read(&path).unwrap();
    let mut s = 12345u64;
    let mut errors = 0;
    for _ in 0..3000 {
        let mut b = good.clone();
        for _ in 0..3 {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1);
            let i = (s >> 33) as usize % b.len();
            b[i] ^= (s >> 8) as u8 | 1;
        }
        if read_mseed_bytes(&b, "fuzz").is_err() {
            errors += 1;
        }
    }
    assert!(errors > 0, "some corruptions must be detected");
}

#[test]
fn gaps_split_or_fill_and_overlaps_keep_the_first_samples() {
    let a = trace("HHZ", t0(), 1000, 1);
    // starts 10.00 s after a ends: 1000 missing samples
    let b = trace("HHZ", t0() + chrono::Duration::milliseconds(20_000), 500, 2);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gap.mseed");
    write_mseed_with(
        &path,
        &Stream::new(vec![a.clone(), b.clone()]),
        &WriteOptions {
            encoding: MseedEncoding::Steim2,
            record_length: 512,
        },
    )
    .unwrap();
    let st = read_mseed(&path).unwrap();
    assert_eq!(st.len(), 2, "a gap splits the channel");
    assert_eq!(st.traces[0].data, a.data);
    assert_eq!(st.traces[1].data, b.data);
    assert_eq!(st.traces[1].start, b.start);

    let filled = st.merge(GapPolicy::Fill(0.0));
    assert_eq!(filled.len(), 1);
    let d = &filled.traces[0].data;
    assert_eq!(d.len(), 2500);
    assert!(d[1000..2000].iter().all(|&v| v == 0.0));
    assert_eq!(&d[2000..], &b.data[..]);
    let lin = st.merge(GapPolicy::Interpolate).traces[0].data.clone();
    let (l, r) = (a.data[999], b.data[0]);
    assert!((lin[1500] - (l + (r - l) * 501.0 / 1001.0)).abs() < 1e-9);

    // overlap: c starts 2 s before a ends; a's samples are kept
    let mut c = trace("HHZ", t0() + chrono::Duration::milliseconds(8_000), 600, 9);
    c.data[0] = 1e6;
    let m = Stream::new(vec![c.clone(), a.clone()]).merge(GapPolicy::Split);
    assert_eq!(m.len(), 1);
    assert_eq!(m.traces[0].data.len(), 800 + 600);
    assert_eq!(&m.traces[0].data[..1000], &a.data[..]);
    assert_eq!(&m.traces[0].data[1000..], &c.data[200..]);
}

#[test]
fn select_station_3c_aligns_components_and_reports_problems() {
    let late = t0() + chrono::Duration::milliseconds(1500);
    let st = Stream::new(vec![
        trace("HHZ", t0(), 3000, 1),
        trace("HH1", late, 3000, 2),
        trace("HH2", t0(), 2500, 3),
        trace("LHZ", t0(), 30, 4),
    ]);
    let three = st.select_station_3c("XX", "SYN", None).unwrap();
    assert_eq!(three.start, late);
    assert_eq!(
        three.channels,
        ["HHZ".to_string(), "HH1".into(), "HH2".into()]
    );
    assert_eq!(three.len(), 2350); // from t0 + 1.5 s to the end of HH2 at t0 + 24.99 s
    assert_eq!(three.z[0], st.traces[0].data[150]);
    assert_eq!(three.n[0], st.traces[1].data[0]);
    assert_eq!(three.e[2349], st.traces[2].data[2499]);

    let missing = Stream::new(vec![trace("HHZ", t0(), 100, 1), trace("HHN", t0(), 100, 2)]);
    let err = missing.select_station_3c("XX", "SYN", None).unwrap_err();
    assert!(
        matches!(&err, WaveformError::MissingComponent { component, .. } if component == "HHE/2"),
        "{err}"
    );
    assert!(matches!(
        st.select_station_3c("XX", "NOPE", None),
        Err(WaveformError::MissingStation { .. })
    ));

    let mut odd = trace("HHE", t0(), 100, 3);
    odd.sampling_rate = 50.0;
    let rates = Stream::new(vec![
        trace("HHZ", t0(), 100, 1),
        trace("HHN", t0(), 100, 2),
        odd,
    ]);
    assert!(matches!(
        rates.select_station_3c("XX", "SYN", None),
        Err(WaveformError::InconsistentRates { .. })
    ));
}

#[test]
fn unwritable_rates_and_values_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = trace("HHZ", t0(), 100, 1);
    t.sampling_rate = 0.0;
    assert!(write_mseed(dir.path().join("a.mseed"), &Stream::new(vec![t])).is_err());
    let mut t = trace("HHZ", t0(), 100, 1);
    t.data[5] = f64::NAN;
    assert!(matches!(
        write_mseed(dir.path().join("b.mseed"), &Stream::new(vec![t])),
        Err(WaveformError::Write { .. })
    ));
    assert!(!dir.path().join("b.mseed").exists());
}

/// Expected values printed by ObsPy 1.5.1 (`obspy.read`) for its own test files.
#[test]
fn reads_obspy_test_files_like_obspy() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/waveform");
    // (file, id, start (RFC 3339), rate, npts, first 3, last 2, sum) per segment
    type Seg = (
        &'static str,
        &'static str,
        f64,
        usize,
        [f64; 3],
        [f64; 2],
        f64,
    );
    let cases: [(&str, Vec<Seg>); 4] = [
        (
            "BW.BGLD.__.EHE.D.2008.001.first_10_records",
            vec![(
                "BW.BGLD..EHE",
                "2007-12-31T23:59:59.915Z",
                200.0,
                4120,
                [-363., -382., -388.],
                [-410., -386.],
                -1623886.,
            )],
        ),
        (
            "gaps.mseed",
            vec![
                (
                    "BW.BGLD..EHE",
                    "2007-12-31T23:59:59.915Z",
                    200.0,
                    412,
                    [-363., -382., -388.],
                    [-360., -389.],
                    -165813.,
                ),
                (
                    "BW.BGLD..EHE",
                    "2008-01-01T00:00:04.035Z",
                    200.0,
                    824,
                    [-427., -416., -393.],
                    [-393., -388.],
                    -323433.,
                ),
                (
                    "BW.BGLD..EHE",
                    "2008-01-01T00:00:10.215Z",
                    200.0,
                    824,
                    [-396., -399., -387.],
                    [-395., -390.],
                    -322497.,
                ),
                (
                    "BW.BGLD..EHE",
                    "2008-01-01T00:00:18.455Z",
                    200.0,
                    50668,
                    [-389., -428., -409.],
                    [-432., -405.],
                    -19969707.,
                ),
            ],
        ),
        (
            "two_channels.mseed",
            vec![
                (
                    "BW.UH3..EHE",
                    "2010-06-20T00:00:00.279999Z",
                    200.0,
                    386,
                    [-93., -156., 2.],
                    [-17., -61.],
                    -32624.,
                ),
                (
                    "BW.UH3..EHZ",
                    "2010-06-20T00:00:00.279999Z",
                    200.0,
                    386,
                    [-93., -156., 2.],
                    [-17., -61.],
                    -32624.,
                ),
            ],
        ),
        (
            "steim2.mseed",
            vec![(
                "NL.HGN.00.BHZ",
                "2003-05-29T02:13:22.043400Z",
                40.0,
                5980,
                [2787., 2776., 2774.],
                [2857., 2863.],
                16640837.,
            )],
        ),
    ];
    for (file, segs) in cases {
        let st = read_mseed(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(st.len(), segs.len(), "{file}: segments");
        for (tr, (id, start, rate, npts, first, last, sum)) in st.traces.iter().zip(segs) {
            assert_eq!(tr.id.to_string(), id, "{file}");
            let want = chrono::DateTime::parse_from_rfc3339(start)
                .unwrap()
                .with_timezone(&Utc);
            let dt = (tr.start - want).num_microseconds().unwrap().abs();
            assert!(
                dt <= 100,
                "{file} {id}: start {} vs ObsPy {start}",
                tr.start
            );
            assert_eq!(tr.sampling_rate, rate);
            assert_eq!(tr.data.len(), npts, "{file} {id}");
            assert_eq!(&tr.data[..3], &first);
            assert_eq!(&tr.data[npts - 2..], &last);
            assert_eq!(tr.data.iter().sum::<f64>(), sum);
        }
    }
}
