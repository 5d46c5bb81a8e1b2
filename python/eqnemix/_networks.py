"""EQTransformer picks and ConvNetQuake probabilities from Python.

:func:`pick` and :func:`classify` run the networks of ``eqnemix pick`` and
``eqnemix classify`` on waveforms in memory: an ObsPy ``Stream`` (read by
duck typing, so ObsPy is not a dependency), NumPy arrays with a sampling
rate and a start time, or miniSEED files through :func:`read_mseed`.

ONNX Runtime is loaded at the first call from the ``onnxruntime`` package
of PyPI (``pip install onnxruntime``, or the ``networks`` extra:
``pip install './python[networks]'``); ``ORT_DYLIB_PATH``, when set, names
the library instead. Without it the call raises ``ImportError`` naming the
``onnxruntime`` package. The networks themselves (EQTransformer, ConvNetQuake)
are compiled into the extension module and written once into a cache
folder (``$EQNEMIX_CACHE_DIR``, else ``~/.cache/eqnemix``); ``model=``
names another ONNX file.
"""

from __future__ import annotations

import datetime as _dt
import glob as _glob
import importlib.util as _importlib_util
import os as _os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as _np

from . import _eqnemix
from ._eqnemix import Waveforms

PathLike = Union[str, "_os.PathLike[str]"]

#: The columns of the records of :func:`pick`: those of ``eqnemix pick``'s
#: ``X_prediction_results.csv``, in order.
PREDICTION_COLUMNS: List[str] = list(_eqnemix.prediction_columns())

#: The columns of the records of :func:`classify` (``eqnemix classify``'s CSV).
CLASSIFY_COLUMNS: List[str] = ["start_time", "end_time", "clusters_prob", "noise_prob"]


def onnxruntime_library() -> Optional[str]:
    """The ONNX Runtime shared library of the installed ``onnxruntime``
    package (its ``capi`` folder), without importing the package; ``None``
    when the package is not installed."""
    try:
        spec = _importlib_util.find_spec("onnxruntime")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        capi = _os.path.join(folder, "capi")
        found = sorted(
            p
            for pattern in ("libonnxruntime.so*", "libonnxruntime*.dylib", "onnxruntime.dll")
            for p in _glob.glob(_os.path.join(capi, pattern))
            if "providers" not in _os.path.basename(p)
        )
        if found:
            return found[-1]
    return None


def _use_onnxruntime_package() -> None:
    # The library is opened once per process, from ORT_DYLIB_PATH when set
    # (the user's choice wins); else from the onnxruntime package.
    if _os.environ.get("ORT_DYLIB_PATH"):
        return
    lib = onnxruntime_library()
    if lib is not None:
        _os.environ["ORT_DYLIB_PATH"] = lib


def _rfc3339(t: Any, what: str = "starttime") -> str:
    """RFC 3339 text of a str, a datetime (naive: UTC) or an ObsPy UTCDateTime."""
    if isinstance(t, str):
        return t
    if not isinstance(t, _dt.datetime) and hasattr(t, "datetime"):  # obspy.UTCDateTime
        t = t.datetime
    if isinstance(t, _np.datetime64):
        return _np.datetime_as_string(t.astype("datetime64[us]"), unit="us") + "Z"
    if isinstance(t, _dt.datetime):
        if t.tzinfo is not None:
            t = t.astimezone(_dt.timezone.utc).replace(tzinfo=None)
        return t.isoformat(timespec="microseconds") + "Z"
    raise ValueError(f"{what} must be an RFC 3339 string, a datetime or an ObsPy UTCDateTime; got {type(t).__name__}")


def _is_stream(obj: Any) -> bool:
    traces = getattr(obj, "traces", None)
    if traces is None:
        try:
            traces = list(obj) if not isinstance(obj, (str, bytes, _np.ndarray, Mapping)) else None
        except TypeError:
            return False
    return bool(traces) and all(hasattr(tr, "stats") and hasattr(tr, "data") for tr in traces)


def _stream_traces(stream: Any) -> List[Tuple[str, str, str, str, str, float, Any]]:
    out = []
    for i, tr in enumerate(getattr(stream, "traces", None) or list(stream)):
        st = tr.stats
        try:
            rate = float(st.sampling_rate)
            start = _rfc3339(st.starttime, f"trace {i}: starttime")
            ids = [str(getattr(st, k, "") or "") for k in ("network", "station", "location", "channel")]
        except AttributeError as e:
            raise ValueError(f"trace {i}: not an ObsPy-like trace ({e}): stats needs channel, sampling_rate and starttime") from None
        data = tr.data
        if _np.ma.isMaskedArray(data):
            if _np.ma.is_masked(data):
                raise ValueError(f"trace {i} ({'.'.join(ids)}): masked samples (a merged stream with gaps); split it or fill the gaps first")
            data = _np.ma.getdata(data)
        out.append((*ids, start, rate, data))
    return out


def waveforms(
    data: Any = None,
    *,
    z: Any = None,
    n: Any = None,
    e: Any = None,
    sampling_rate: Optional[float] = None,
    starttime: Any = None,
    station: Optional[str] = None,
) -> Waveforms:
    """Three components of one station, from any accepted input.

    ``data`` is one of:

    - an ObsPy ``Stream`` (or a list of traces with ``.stats.network``,
      ``.station``, ``.location``, ``.channel``, ``.sampling_rate`` (Hz),
      ``.starttime`` and ``.data``): its traces are merged per channel (gaps
      filled by linear interpolation) and the components chosen as
      ``eqnemix pick`` chooses them (channel code ending in Z, N or 1, E or 2;
      ``station="NET.STA[.LOC]"`` when the stream holds several stations);
    - a NumPy array of shape ``(3, N)`` whose rows are **Z, N, E** (vertical,
      north, east), with ``sampling_rate`` and ``starttime``;
    - a mapping of component to array (keys ``"Z"``, ``"N"`` or ``"1"``,
      ``"E"`` or ``"2"``), with ``sampling_rate`` and ``starttime``;
    - a :class:`Waveforms` (returned as is);

    or give the components as ``z=``, ``n=``, ``e=`` (1-D arrays of equal
    length) with ``sampling_rate`` and ``starttime``. ``sampling_rate`` is in
    Hz; ``starttime`` (the time of the first sample) an RFC 3339 string, a
    ``datetime`` (naive means UTC) or an ObsPy ``UTCDateTime``. Samples may
    be in any unit (each network window is normalised) and must be finite.
    Bad input raises ``ValueError``.
    """
    if isinstance(data, Waveforms):
        return data
    if data is not None and any(v is not None for v in (z, n, e)):
        raise ValueError("give the waveforms as data or as z=, n=, e=, not both")
    if data is not None and _is_stream(data):
        return Waveforms.from_traces(_stream_traces(data), station)
    if data is not None:
        if isinstance(data, Mapping):
            comps: Dict[str, Any] = {}
            for key, value in data.items():
                k = str(key).upper()
                k = {"1": "N", "2": "E"}.get(k, k)
                if k not in ("Z", "N", "E"):
                    raise ValueError(f"unknown component {key!r}: the keys must be Z, N (or 1), E (or 2)")
                if k in comps:
                    raise ValueError(f"component {k} given twice")
                comps[k] = value
            missing = [k for k in ("Z", "N", "E") if k not in comps]
            if missing:
                raise ValueError(f"missing component(s) {', '.join(missing)}: the keys must be Z, N (or 1), E (or 2)")
            z, n, e = comps["Z"], comps["N"], comps["E"]
        else:
            a = _np.asarray(data, dtype=float)
            if a.ndim != 2 or a.shape[0] != 3:
                raise ValueError(f"data must be a (3, N) array of Z, N, E rows (or an ObsPy Stream); got shape {a.shape}")
            z, n, e = a[0], a[1], a[2]
    if z is None or n is None or e is None:
        raise ValueError("no waveforms: give an ObsPy Stream, a (3, N) array of Z, N, E rows, or z=, n=, e=")
    arrays = []
    for name, v in (("z", z), ("n", n), ("e", e)):
        a = _np.asarray(v, dtype=float)
        if a.ndim != 1:
            raise ValueError(f"{name} must be a 1-D array; got shape {a.shape}")
        arrays.append(a)
    if sampling_rate is None:
        raise ValueError("sampling_rate (Hz) is required with arrays")
    if starttime is None:
        raise ValueError("starttime (RFC 3339 time of the first sample) is required with arrays")
    return Waveforms.from_arrays(*arrays, float(sampling_rate), _rfc3339(starttime), station or "")


def read_mseed(paths: Union[PathLike, Sequence[PathLike]], station: Optional[str] = None) -> Waveforms:
    """Read miniSEED files as ``eqnemix pick`` and ``eqnemix classify`` read
    them: the three components of one station (``station`` as
    ``NET.STA[.LOC]`` when the files hold several), gaps of at most 60 s
    filled by linear interpolation. The result's ``z``, ``n``, ``e`` are
    NumPy arrays (counts), ``sampling_rate`` in Hz, ``starttime`` RFC 3339."""
    if isinstance(paths, (str, bytes, _os.PathLike)):
        paths = [paths]
    return Waveforms.read_mseed([_os.fspath(p) for p in paths], station)


def _output(records: List[Dict[str, Any]], columns: List[str], as_dataframe: Optional[bool]) -> Any:
    if as_dataframe is False:
        return records
    try:
        import pandas as pd
    except ImportError:
        if as_dataframe:
            raise ImportError("as_dataframe=True needs pandas (pip install pandas)") from None
        return records
    return pd.DataFrame.from_records(records, columns=columns)


def pick(
    stream: Any = None,
    *,
    z: Any = None,
    n: Any = None,
    e: Any = None,
    sampling_rate: Optional[float] = None,
    starttime: Any = None,
    station: Optional[str] = None,
    detection_threshold: float = 0.3,
    p_threshold: float = 0.1,
    s_threshold: float = 0.1,
    overlap: float = 0.3,
    batch_size: int = 32,
    model: Optional[PathLike] = None,
    merge: str = "per-window",
    as_dataframe: Optional[bool] = None,
) -> Any:
    """EQTransformer detections and P/S picks, as ``eqnemix pick``.

    The waveforms are given as in :func:`waveforms` (an ObsPy ``Stream``, a
    ``(3, N)`` array of Z, N, E rows, or ``z=``, ``n=``, ``e=``, with
    ``sampling_rate`` in Hz and ``starttime``), or as read by
    :func:`read_mseed`. They are pre-processed as the original predictor
    (demean, 1-45 Hz zero-phase band-pass, 0.1 % cosine taper of at most
    2 s, linear interpolation to 100 Hz) and run through the network over
    60 s windows overlapping by ``overlap`` (a fraction in [0, 0.95]),
    ``batch_size`` windows at a time; detections and picks follow the
    original's per-window rule (``merge="per-window"``; ``"mean"`` and
    ``"max"`` merge the windows' probabilities per sample first).

    Thresholds are probabilities: ``detection_threshold`` (default 0.3),
    ``p_threshold`` and ``s_threshold`` (default 0.1). ``model``: an
    EQTransformer ONNX file (default: the bundled one).

    Returns one record per detection with the columns of ``eqnemix pick``'s
    ``X_prediction_results.csv`` (:data:`PREDICTION_COLUMNS`): times
    (``event_start_time``, ``event_end_time``, ``p_arrival_time``,
    ``s_arrival_time``) as RFC 3339 strings in UTC with microseconds (the
    CSV's times, with ``T`` and ``Z``), probabilities in [0, 1] (the CSV
    rounds them to 2 decimals; these are not rounded), ``p_snr`` and
    ``s_snr`` in dB, ``p_time_uncertainty_s`` and ``s_time_uncertainty_s``
    in s, ``None`` where the CSV is empty. ``file_name`` holds the files of
    :func:`read_mseed` (``;``-joined), else ``""``. The records come as a
    pandas ``DataFrame`` when pandas is installed (``as_dataframe=None``),
    else as a list of dicts; ``as_dataframe=False`` always gives the list.

    Errors: ``ValueError`` for bad waveforms or settings (the command
    line's messages), ``OSError`` for a missing model file, ``ImportError``
    when ONNX Runtime cannot be loaded (install ``onnxruntime``),
    ``MemoryError`` (the command's message, before anything is allocated)
    when the record read whole would need more than the memory limit
    (``EQNEMIX_MEMORY_LIMIT_GB``, else the machine's memory), ``RuntimeError``
    if the network fails. The record is pre-processed and predicted whole;
    for days of data at once, use ``eqnemix pick`` (bounded memory) or
    pick pieces of the record.
    """
    w = waveforms(stream, z=z, n=n, e=e, sampling_rate=sampling_rate, starttime=starttime, station=station)
    _use_onnxruntime_package()
    records = _eqnemix.pick_waveforms(
        w,
        detection_threshold=float(detection_threshold),
        p_threshold=float(p_threshold),
        s_threshold=float(s_threshold),
        overlap=float(overlap),
        batch_size=_count(batch_size, "batch_size"),
        model=None if model is None else _os.fspath(model),
        merge=merge,
    )
    return _output(records, PREDICTION_COLUMNS, as_dataframe)


def classify(
    stream: Any = None,
    *,
    z: Any = None,
    n: Any = None,
    e: Any = None,
    sampling_rate: Optional[float] = None,
    starttime: Any = None,
    station: Optional[str] = None,
    window_step: float = 10.0,
    max_noise_prob: float = 1.0,
    n_clusters: Optional[int] = None,
    model: Optional[PathLike] = None,
    as_dataframe: Optional[bool] = None,
) -> Any:
    """ConvNetQuake cluster probabilities per 10 s window, as ``eqnemix classify``.

    The waveforms are given as for :func:`pick`. They are pre-processed as
    ``eqnemix classify`` does (linear detrend, taper, 1-45 Hz band-pass,
    100 Hz) and cut into 10 s windows every ``window_step`` seconds
    (default 10: back to back); windows whose noise probability is above
    ``max_noise_prob`` are left out (default 1: none). ``model``: a
    ConvNetQuake ONNX file (default: the bundled synthetic-region model);
    ``n_clusters``, when given, is the number of clusters it must have.

    Returns one record per window: ``start_time``, ``end_time`` (RFC 3339,
    UTC, microseconds), ``clusters_prob`` (list of the K cluster
    probabilities renormalised without noise; they sum to 1) and
    ``noise_prob`` (the network's noise probability), as a pandas
    ``DataFrame`` when pandas is installed (``as_dataframe=None``), else a
    list of dicts. Errors as for :func:`pick`.
    """
    w = waveforms(stream, z=z, n=n, e=e, sampling_rate=sampling_rate, starttime=starttime, station=station)
    _use_onnxruntime_package()
    records = _eqnemix.classify_waveforms(
        w,
        window_step=float(window_step),
        max_noise_prob=float(max_noise_prob),
        n_clusters=None if n_clusters is None else _count(n_clusters, "n_clusters"),
        model=None if model is None else _os.fspath(model),
    )
    return _output(records, CLASSIFY_COLUMNS, as_dataframe)


def _count(v: Any, what: str) -> int:
    try:
        i = int(v)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a positive integer; got {v!r}") from None
    if i != v or i < 1:
        raise ValueError(f"{what} must be a positive integer; got {v!r}")
    return i
