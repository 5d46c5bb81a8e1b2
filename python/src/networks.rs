//! EQTransformer picking and ConvNetQuake classification on waveforms held
//! in memory (`eqnemix.pick`, `eqnemix.classify`).
//!
//! The waveforms are a [`Waveforms`]: three components of one station as
//! the library's [`ThreeComponent`], built from NumPy arrays, from the
//! traces of a stream (the Python side reads an ObsPy `Stream` by duck
//! typing) through the library's own component selection
//! ([`Stream::select_station_3c`]), or from miniSEED files through the
//! reader of `eqnemix pick` / `eqnemix classify`
//! ([`eqnemix::cli::pick::read_station_3c`]). Every input is validated
//! first (`ValueError`).
//!
//! Picking and classification call the library steps the command line
//! calls, in its order: for `pick` the whole-record path of `eqnemix pick`
//! (EQTransformer's pre-processing [`PreprocessOptions::eqtransformer`],
//! [`ThreeComponent::to_enz_f32`], [`EqTransformer::predict_continuous`],
//! the detections of the prediction, [`PredictionRow::from_detection`]);
//! for `classify` ConvNetQuake's pre-processing
//! ([`eqnemix::cli::cnq::continuous_from`]), its window starts, the network
//! and [`ClassifiedWindow::from_probabilities`]. Errors carry the command
//! line's messages (its context chain, `loading <model>: ...`).
//!
//! ONNX Runtime is loaded at run time (`ort`'s `load-dynamic`): when it is
//! missing (or the module was built without the cargo feature `networks`)
//! the call raises `ImportError` naming the `onnxruntime` package. The
//! work runs with the GIL released, and a Rust panic is caught and raised
//! as `RuntimeError`.

use std::path::PathBuf;

use chrono::{DateTime, SecondsFormat, Utc};
use eqnemix::models::convnetquake::{ClassifiedWindow, CnqError, ConvNetQuake};
use eqnemix::models::eqtransformer::{ContinuousConfig, EqTransformer, EqtError, Merge, PickerConfig, PredictionRow, PREDICTION_COLUMNS};
use eqnemix::models::waveform::stream::seconds_between;
use eqnemix::models::waveform::{PreprocessOptions, Stream, ThreeComponent, Trace, TraceId, DEFAULT_MAX_GAP_S};
use eqnemix::models::RuntimeError;
use numpy::{AllowTypeChange, PyArrayLike1};
use pyo3::exceptions::{PyImportError, PyMemoryError, PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::arrays::vec1;

/// True when the extension was built with the cargo feature `networks`.
#[pyfunction]
pub fn networks_built() -> bool {
    cfg!(feature = "networks")
}

/// The columns of `eqnemix pick`'s `X_prediction_results.csv`, in order.
#[pyfunction]
pub fn prediction_columns() -> Vec<&'static str> {
    PREDICTION_COLUMNS.to_vec()
}

/// Three components of one station (Z, N, E), as the networks read them.
#[pyclass(module = "eqnemix", frozen)]
pub struct Waveforms {
    three: ThreeComponent,
    /// What the rows' `file_name` column says (the files read, `;`-joined).
    source: String,
}

fn samples(name: &str, a: &PyArrayLike1<'_, f64, AllowTypeChange>) -> PyResult<Vec<f64>> {
    let v: Vec<f64> = a.as_array().iter().copied().collect();
    if let Some(i) = v.iter().position(|x| !x.is_finite()) {
        return Err(PyValueError::new_err(format!("{name}: sample {i} is {} (samples must be finite)", v[i])));
    }
    Ok(v)
}

fn check_rate(what: &str, rate: f64) -> PyResult<()> {
    if rate.is_finite() && rate > 0.0 {
        Ok(())
    } else {
        Err(PyValueError::new_err(format!("{what}: sampling_rate {rate} Hz must be positive and finite")))
    }
}

/// RFC 3339 text as UTC.
pub fn parse_time(what: &str, text: &str) -> PyResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| PyValueError::new_err(format!("{what} {text:?}: not an RFC 3339 time ({e}), e.g. 2019-07-06T03:19:53.04Z")))
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// `NET.STA[.LOC]` split.
fn split_station(s: &str) -> PyResult<(String, String, Option<String>)> {
    let parts: Vec<&str> = s.split('.').collect();
    match parts.as_slice() {
        [n, st] => Ok((n.to_string(), st.to_string(), None)),
        [n, st, loc] => Ok((n.to_string(), st.to_string(), Some(loc.to_string()))),
        _ => Err(PyValueError::new_err(format!("station {s:?}: expected NET.STA or NET.STA.LOC"))),
    }
}

fn component_of(channel: &str) -> Option<char> {
    channel.chars().last().map(|c| c.to_ascii_uppercase()).filter(|c| "ZNE12".contains(*c))
}

#[pymethods]
impl Waveforms {
    /// From NumPy arrays: vertical `z`, north `n`, east `e` (any unit; the
    /// networks normalise each window), equal lengths, finite samples,
    /// `sampling_rate` in Hz, `starttime` (RFC 3339, UTC) of the first
    /// sample. `station` is `NET.STA[.LOC]` (only named in the output);
    /// `channels` the channel codes of Z, N, E.
    #[staticmethod]
    #[pyo3(signature = (z, n, e, sampling_rate, starttime, station="", channels=None))]
    fn from_arrays(
        z: PyArrayLike1<'_, f64, AllowTypeChange>,
        n: PyArrayLike1<'_, f64, AllowTypeChange>,
        e: PyArrayLike1<'_, f64, AllowTypeChange>,
        sampling_rate: f64,
        starttime: &str,
        station: &str,
        channels: Option<(String, String, String)>,
    ) -> PyResult<Self> {
        check_rate("waveforms", sampling_rate)?;
        let (z, n, e) = (samples("z", &z)?, samples("n", &n)?, samples("e", &e)?);
        if z.len() != n.len() || z.len() != e.len() {
            return Err(PyValueError::new_err(format!(
                "z, n and e must have the same length; got {}, {} and {} samples",
                z.len(),
                n.len(),
                e.len()
            )));
        }
        if z.is_empty() {
            return Err(PyValueError::new_err("z, n and e hold no samples"));
        }
        let start = parse_time("starttime", starttime)?;
        let (c_z, c_n, c_e) = channels.unwrap_or_else(|| ("Z".into(), "N".into(), "E".into()));
        for (c, want) in [(&c_z, "Z"), (&c_n, "N or 1"), (&c_e, "E or 2")] {
            let ok = match component_of(c) {
                Some('Z') => want == "Z",
                Some('N' | '1') => want == "N or 1",
                Some('E' | '2') => want == "E or 2",
                _ => false,
            };
            if !ok {
                return Err(PyValueError::new_err(format!(
                    "channel {c:?}: unknown component for {} (its last letter must be {want})",
                    want.chars().next().unwrap_or('?')
                )));
            }
        }
        Ok(Waveforms {
            three: ThreeComponent { station: station.to_string(), channels: [c_z, c_n, c_e], start, sampling_rate, z, n, e },
            source: String::new(),
        })
    }

    /// From traces `(network, station, location, channel, starttime,
    /// sampling_rate, data)` (an ObsPy `Stream`'s, any number per channel,
    /// gaps filled by linear interpolation): the three components of one
    /// station as `eqnemix pick` selects them (channel ending in Z, N or 1,
    /// E or 2; the band with the highest rate), cut to the time they share.
    /// `station` (`NET.STA[.LOC]`) is needed when the traces hold several.
    #[staticmethod]
    #[pyo3(signature = (traces, station=None))]
    fn from_traces(
        traces: Vec<(String, String, String, String, String, f64, PyArrayLike1<'_, f64, AllowTypeChange>)>,
        station: Option<&str>,
    ) -> PyResult<Self> {
        if traces.is_empty() {
            return Err(PyValueError::new_err("the stream holds no traces"));
        }
        let mut out = Vec::with_capacity(traces.len());
        for (net, sta, loc, cha, start, rate, data) in &traces {
            let id = format!("{net}.{sta}.{loc}.{cha}");
            if component_of(cha).is_none() {
                return Err(PyValueError::new_err(format!(
                    "trace {id}: unknown component {:?} (the channel code must end in Z, N or 1, E or 2)",
                    cha.chars().last().map(String::from).unwrap_or_default()
                )));
            }
            check_rate(&format!("trace {id}"), *rate)?;
            let start = parse_time(&format!("trace {id}: starttime"), start)?;
            let data = samples(&format!("trace {id}"), data)?;
            if data.is_empty() {
                return Err(PyValueError::new_err(format!("trace {id} holds no samples")));
            }
            out.push(Trace::new(TraceId::new(net, sta, loc, cha), start, *rate, data));
        }
        // Gaps are filled by linear interpolation: a long one (a mis-dated
        // trace, days of missing data) would fill memory. `eqnemix pick`
        // splits the records there; here the caller picks the pieces.
        let mut order: Vec<&Trace> = out.iter().collect();
        order.sort_by(|a, b| (&a.id, a.start).cmp(&(&b.id, b.start)));
        for w in order.windows(2) {
            if w[0].id == w[1].id {
                let gap = seconds_between(w[0].end(), w[1].start);
                if gap > DEFAULT_MAX_GAP_S {
                    return Err(PyValueError::new_err(format!(
                        "trace {}.{}.{}.{}: a gap of {gap:.1} s from {} to {} (longer than {DEFAULT_MAX_GAP_S} s, which eqnemix pick would split at): pick the two pieces separately",
                        w[1].id.network,
                        w[1].id.station,
                        w[1].id.location,
                        w[1].id.channel,
                        rfc3339(w[0].end()),
                        rfc3339(w[1].start)
                    )));
                }
            }
        }
        let stream = Stream::new(out);
        let (net, sta, loc) = match station {
            Some(s) => split_station(s)?,
            None => {
                let mut ids: Vec<(String, String)> = stream.ids().iter().map(|t| (t.network.clone(), t.station.clone())).collect();
                ids.dedup();
                match ids.as_slice() {
                    [(n, s)] => (n.clone(), s.clone(), None),
                    _ => {
                        let names: Vec<String> = ids.iter().map(|(n, s)| format!("{n}.{s}")).collect();
                        return Err(PyValueError::new_err(format!(
                            "the stream holds {} stations ({}): choose one with station=\"NET.STA\"",
                            ids.len(),
                            names.join(", ")
                        )));
                    }
                }
            }
        };
        let three = stream.select_station_3c(&net, &sta, loc.as_deref()).map_err(|e| PyValueError::new_err(e.to_string()))?;
        if three.is_empty() {
            return Err(PyValueError::new_err(format!("{}: the three components never overlap in time", three.station)));
        }
        Ok(Waveforms { three, source: String::new() })
    }

    /// miniSEED files read as `eqnemix pick` and `eqnemix classify` read
    /// them (one station, `station` as `NET.STA[.LOC]` when the files hold
    /// several; gaps of at most 60 s filled by linear interpolation).
    #[staticmethod]
    #[pyo3(signature = (paths, station=None))]
    fn read_mseed(py: Python<'_>, paths: Vec<PathBuf>, station: Option<String>) -> PyResult<Self> {
        let source = paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(";");
        let three = guarded(py, || eqnemix::cli::pick::read_station_3c(&paths, station.as_deref()).map_err(|e| format!("{e:#}")))?
            .map_err(PyValueError::new_err)?;
        Ok(Waveforms { three, source })
    }

    /// Vertical component (a copy, float64).
    #[getter]
    fn z(&self, py: Python<'_>) -> Py<PyAny> {
        vec1(py, self.three.z.clone())
    }
    /// North component (a copy, float64).
    #[getter]
    fn n(&self, py: Python<'_>) -> Py<PyAny> {
        vec1(py, self.three.n.clone())
    }
    /// East component (a copy, float64).
    #[getter]
    fn e(&self, py: Python<'_>) -> Py<PyAny> {
        vec1(py, self.three.e.clone())
    }
    /// Samples per second (Hz).
    #[getter]
    fn sampling_rate(&self) -> f64 {
        self.three.sampling_rate
    }
    /// Time of the first sample, RFC 3339 (UTC, microseconds).
    #[getter]
    fn starttime(&self) -> String {
        rfc3339(self.three.start)
    }
    /// `NET.STA.LOC` (as given for arrays).
    #[getter]
    fn station(&self) -> String {
        self.three.station.clone()
    }
    /// Channel codes of Z, N, E.
    #[getter]
    fn channels(&self) -> (String, String, String) {
        let [z, n, e] = &self.three.channels;
        (z.clone(), n.clone(), e.clone())
    }
    /// The files read (`;`-joined), empty for arrays and streams.
    #[getter]
    fn source(&self) -> String {
        self.source.clone()
    }
    fn __len__(&self) -> usize {
        self.three.len()
    }
    fn __repr__(&self) -> String {
        format!(
            "Waveforms(station={:?}, channels={:?}, starttime={}, sampling_rate={} Hz, {} samples)",
            self.three.station,
            self.three.channels,
            rfc3339(self.three.start),
            self.three.sampling_rate,
            self.three.len()
        )
    }
}

/// What went wrong in a network call, sorted into a Python exception type.
enum NetError {
    /// ONNX Runtime missing or the networks not built: `ImportError`.
    Runtime(String),
    /// The model file is missing or unreadable: `OSError`.
    ModelFile(String),
    /// Bad settings, waveforms or model: `ValueError`.
    Input(String),
    /// Inference failed: `RuntimeError`.
    Failed(String),
}

const ONNXRUNTIME_HINT: &str = "eqnemix.pick and eqnemix.classify need ONNX Runtime: install the `onnxruntime` package \
(pip install onnxruntime, or pip install './python[networks]' from the repository), or set ORT_DYLIB_PATH to a libonnxruntime (>= 1.17)";

fn runtime_error(context: String, e: &RuntimeError) -> NetError {
    match e {
        RuntimeError::Library { .. } | RuntimeError::Environment(_) => {
            let hint = if cfg!(feature = "networks") {
                ONNXRUNTIME_HINT.to_string()
            } else {
                "this eqnemix Python package was built without the cargo feature `networks`; reinstall it with the default features".to_string()
            };
            NetError::Runtime(format!("{context}: {e} ({hint})"))
        }
        RuntimeError::ModelFile { .. } => NetError::ModelFile(format!("{context}: {e}")),
        RuntimeError::Session { .. } => NetError::Input(format!("{context}: {e}")),
    }
}

fn eqt_error(context: String, e: EqtError, loading: bool) -> NetError {
    match &e {
        EqtError::Runtime(r) => runtime_error(context, r),
        _ if loading => NetError::Input(format!("{context}: {e}")),
        _ => NetError::Failed(format!("{context}: {e}")),
    }
}

fn cnq_error(context: String, e: CnqError, loading: bool) -> NetError {
    match &e {
        CnqError::Runtime(r) => runtime_error(context, r),
        _ if loading => NetError::Input(format!("{context}: {e}")),
        _ => NetError::Failed(format!("{context}: {e}")),
    }
}

impl From<NetError> for PyErr {
    fn from(e: NetError) -> PyErr {
        match e {
            NetError::Runtime(m) => PyImportError::new_err(m),
            NetError::ModelFile(m) => PyOSError::new_err(m),
            NetError::Input(m) => PyValueError::new_err(m),
            NetError::Failed(m) => PyRuntimeError::new_err(m),
        }
    }
}

/// Runs `work` with the GIL released; a panic becomes `RuntimeError`.
fn guarded<T: Send>(py: Python<'_>, work: impl FnOnce() -> T + Send) -> PyResult<T> {
    py.detach(|| std::panic::catch_unwind(std::panic::AssertUnwindSafe(work))).map_err(|panic| {
        let what = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "unknown panic".into());
        PyRuntimeError::new_err(format!("internal error in eqnemix (please report it): {what}"))
    })
}

/// The memory check of `eqnemix pick` / `eqnemix classify` on a record read
/// whole ([`eqnemix::cli::pick::whole_record_bytes`] against the limit of
/// `EQNEMIX_MEMORY_LIMIT_GB` or the machine's memory), before anything is
/// allocated: `MemoryError` with the command's message instead of an abort.
fn check_memory(three: &ThreeComponent, doing: &str) -> PyResult<()> {
    let budget = eqnemix::cli::memory_budget(None).map_err(|e| PyValueError::new_err(format!("{e:#}")))?;
    let duration_s = three.len() as f64 / three.sampling_rate;
    budget
        .check(
            format!("{doing} {} whole ({:.1} h at {} Hz)", if three.station.is_empty() { "the waveforms" } else { &three.station }, duration_s / 3600.0, three.sampling_rate),
            eqnemix::cli::pick::whole_record_bytes(duration_s, three.sampling_rate),
        )
        .map_err(|e| PyMemoryError::new_err(e.to_string()))
}

fn opt_f32(py: Python<'_>, v: Option<f32>) -> Py<PyAny> {
    v.map(|x| x as f64).into_pyobject(py).expect("float").unbind()
}

fn opt_f64(py: Python<'_>, v: Option<f64>) -> Py<PyAny> {
    v.into_pyobject(py).expect("float").unbind()
}

fn opt_time(py: Python<'_>, v: Option<DateTime<Utc>>) -> Py<PyAny> {
    v.map(rfc3339).into_pyobject(py).expect("str").unbind()
}

/// One row as a dict of [`PREDICTION_COLUMNS`]: times RFC 3339 (UTC,
/// microseconds; the CSV's times with `T` and `Z`), probabilities in
/// [0, 1], SNRs in dB, time uncertainties in s, missing values `None`.
fn row_dict<'py>(py: Python<'py>, r: &PredictionRow) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let st = &r.station;
    let values: [Py<PyAny>; 21] = [
        st.file_name.clone().into_pyobject(py)?.into_any().unbind(),
        st.network.clone().into_pyobject(py)?.into_any().unbind(),
        st.station.clone().into_pyobject(py)?.into_any().unbind(),
        st.instrument_type.clone().into_pyobject(py)?.into_any().unbind(),
        opt_f64(py, st.latitude),
        opt_f64(py, st.longitude),
        opt_f64(py, st.elevation_m),
        rfc3339(r.event_start_time).into_pyobject(py)?.into_any().unbind(),
        rfc3339(r.event_end_time).into_pyobject(py)?.into_any().unbind(),
        (r.detection_probability as f64).into_pyobject(py)?.into_any().unbind(),
        opt_f32(py, r.detection_uncertainty),
        opt_time(py, r.p_arrival_time),
        opt_f32(py, r.p_probability),
        opt_f32(py, r.p_uncertainty),
        opt_f64(py, r.p_snr),
        opt_time(py, r.s_arrival_time),
        opt_f32(py, r.s_probability),
        opt_f32(py, r.s_uncertainty),
        opt_f64(py, r.s_snr),
        opt_f64(py, r.p_time_uncertainty_s),
        opt_f64(py, r.s_time_uncertainty_s),
    ];
    for (k, v) in PREDICTION_COLUMNS.iter().zip(values) {
        d.set_item(*k, v)?;
    }
    Ok(d)
}

/// EQTransformer over `waveforms` as `eqnemix pick` with `--merge`
/// `merge` and the given thresholds, overlap, batch size and model (None:
/// the bundled one). Returns the rows as dicts of [`PREDICTION_COLUMNS`].
#[pyfunction]
#[pyo3(signature = (waveforms, detection_threshold=0.3, p_threshold=0.1, s_threshold=0.1, overlap=0.3, batch_size=32, model=None, merge="per-window"))]
#[allow(clippy::too_many_arguments)]
pub fn pick_waveforms<'py>(
    py: Python<'py>,
    waveforms: &Waveforms,
    detection_threshold: f32,
    p_threshold: f32,
    s_threshold: f32,
    overlap: f64,
    batch_size: usize,
    model: Option<PathBuf>,
    merge: &str,
) -> PyResult<Bound<'py, PyList>> {
    let config = ContinuousConfig {
        overlap,
        merge: merge.parse::<Merge>().map_err(PyValueError::new_err)?,
        picker: PickerConfig { detection_threshold, p_threshold, s_threshold },
    };
    config.validate().map_err(|e| PyValueError::new_err(e.to_string()))?;
    if batch_size == 0 {
        return Err(PyValueError::new_err("batch_size must be at least 1 (windows per network batch)"));
    }
    let three = &waveforms.three;
    check_memory(three, "picking")?;
    let station = eqnemix::cli::pick::station_info(waveforms.source.clone(), &three.station, &three.channels[0]);
    let rows = guarded(py, || -> Result<Vec<PredictionRow>, NetError> {
        let model_path = model.clone().unwrap_or_else(EqTransformer::bundled_model_path);
        let mut net = EqTransformer::load(&model_path)
            .map_err(|e| eqt_error(format!("loading {}", model_path.display()), e, true))?
            .with_batch_size(batch_size);
        // `eqnemix pick`'s whole-record path: EQTransformer's own
        // pre-processing (taper of 0.1 % of the record, at most 2 s), then
        // the network over overlapping 60 s windows.
        let duration_s = three.len() as f64 / three.sampling_rate;
        let ready = three
            .preprocess(&PreprocessOptions::eqtransformer(duration_s))
            .map_err(|e| NetError::Input(format!("pre-processing the waveforms: {e}")))?;
        let data = ready.to_enz_f32();
        let prediction = net
            .predict_continuous(&data, &config)
            .map_err(|e| eqt_error("running EQTransformer".into(), e, false))?;
        Ok(prediction
            .detections(&config.picker)
            .iter()
            .map(|d| PredictionRow::from_detection(&station, ready.start, &data, d))
            .collect())
    })??;
    let out = PyList::empty(py);
    for r in &rows {
        out.append(row_dict(py, r)?)?;
    }
    Ok(out)
}

/// ConvNetQuake over `waveforms` as `eqnemix classify`: windows of 10 s
/// every `window_step` s, rows with `noise_prob <= max_noise_prob`.
/// Returns dicts `start_time`, `end_time` (RFC 3339, UTC, microseconds),
/// `clusters_prob` (the K cluster probabilities renormalised without
/// noise), `noise_prob`.
#[pyfunction]
#[pyo3(signature = (waveforms, window_step=10.0, max_noise_prob=1.0, n_clusters=None, model=None))]
pub fn classify_waveforms<'py>(
    py: Python<'py>,
    waveforms: &Waveforms,
    window_step: f64,
    max_noise_prob: f64,
    n_clusters: Option<usize>,
    model: Option<PathBuf>,
) -> PyResult<Bound<'py, PyList>> {
    if !(window_step.is_finite() && window_step > 0.0) {
        return Err(PyValueError::new_err(format!("window_step {window_step}: must be positive (s)")));
    }
    if max_noise_prob.is_nan() {
        return Err(PyValueError::new_err("max_noise_prob is NaN (a probability; 1 keeps every window)"));
    }
    let three = &waveforms.three;
    check_memory(three, "classifying")?;
    let rows = guarded(py, || -> Result<Vec<ClassifiedWindow>, NetError> {
        let p = model.clone().unwrap_or_else(ConvNetQuake::bundled_model_path);
        let loaded = match n_clusters {
            Some(k) => ConvNetQuake::load_for_clusters(&p, k),
            None => ConvNetQuake::load(&p),
        };
        let mut net = loaded.map_err(|e| cnq_error(format!("loading {}", p.display()), e, true))?;
        let c = eqnemix::cli::cnq::continuous_from(three).map_err(|e| NetError::Input(format!("{e:#}")))?;
        let step = ((window_step * 100.0).round() as usize).max(1);
        let (_, rows) = eqnemix::cli::cnq::classify_continuous(&mut net, &c, step, max_noise_prob)
            .map_err(|e| cnq_error("running ConvNetQuake".into(), e, false))?;
        Ok(rows)
    })??;
    let out = PyList::empty(py);
    for r in &rows {
        let d = PyDict::new(py);
        d.set_item("start_time", rfc3339(r.start_time))?;
        d.set_item("end_time", rfc3339(r.end_time))?;
        d.set_item("clusters_prob", r.clusters_prob.clone())?;
        d.set_item("noise_prob", r.noise_prob)?;
        out.append(d)?;
    }
    Ok(out)
}
