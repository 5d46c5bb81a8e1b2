"""eqnemix: probabilistic earthquake location, from Python.

The Rust library of the same name, through PyO3: travel-time models, the
location posterior of one event (picks, cluster Gaussians and their
weights, or a uniform prior), the samplers by name, and ``locate``, which
returns the summary ``eqnemix locate`` writes into ``<id>.json``.

Units everywhere: km for positions (x east, y north, z depth positive
down; a station 1.2 km above the datum has depth -1.2), s for times, km/s
for velocities, s/km for travel-time gradients.

Errors: bad input raises ``ValueError`` with the library's message (the
same text the command line prints); an event that cannot be located raises
``eqnemix.LocateError`` (a ``RuntimeError``); a failing sampler raises
``RuntimeError``. No Rust panic crosses into Python on bad input: every
input is checked first.

Ctrl-C: ``sample``, ``locate`` and ``study_locate`` run with the GIL released and look at
Python's signals every 20 ms; SIGINT stops the run (NUTS, HMC and
Metropolis at their next iteration, ``locate`` inside its sampler or
between its stages, population samplers at the end of their run) and raises
``KeyboardInterrupt`` (with ``eqnemix_interrupted = True``); nothing is
returned.

Copies: NumPy inputs that are C-contiguous float64 arrays (the points
of ``time``, ``time_and_gradient``, ``log_density`` and
``log_density_and_gradient``) are read in place; other dtypes, lists and
strided or Fortran-ordered arrays are converted once. Copied on purpose:
initial points (small), each coordinate of ``convergence``'s draws
(strided in the array), eikonal velocity grids (the model keeps its own
grid), picks and settings (records, through the library's own readers).
Results: the draws of ``locate`` move into NumPy without a copy; those of
``sample`` are copied once, chain by chain, into one ``(chain, draw,
dim)`` array.

Waveforms: ``pick`` (EQTransformer detections and P/S picks, the rows of
``eqnemix pick``) and ``classify`` (ConvNetQuake cluster probabilities per
10 s window, the rows of ``eqnemix classify``) take an ObsPy ``Stream``,
NumPy arrays with ``sampling_rate`` (Hz) and ``starttime``, or what
``read_mseed`` reads, and return records (a pandas ``DataFrame`` when
pandas is installed). They need ONNX Runtime at call time: the
``onnxruntime`` package from PyPI (``ImportError`` naming it otherwise).

Archives: ``eqnemix.archive`` picks (the ``eqnemix pick`` binary) and
locates over many stations and days on Dask, restartably (install the
``archive`` extra: dask[distributed], tqdm).

>>> import eqnemix
>>> m = eqnemix.homogeneous(vp_km_s=6.0, vs_km_s=3.5)
>>> float(m.time([[30.0, 40.0, 0.0]], station_km=(0, 0, 0), phase="P")[0])
8.333333333333334
"""

from __future__ import annotations

import datetime as _dt
import json as _json
import os as _os
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as _np

from . import _eqnemix
from ._eqnemix import LocateError, Posterior, SyntheticRegion, TravelTimeField, TravelTimeModel, Waveforms, __version__, study_locate
from ._networks import CLASSIFY_COLUMNS, PREDICTION_COLUMNS, classify, pick, read_mseed, waveforms

__all__ = [
    "LocateError",
    "Posterior",
    "SyntheticRegion",
    "study_locate",
    "TravelTimeField",
    "TravelTimeModel",
    "homogeneous",
    "layered",
    "travel_time_model",
    "eikonal",
    "posterior",
    "locate",
    "sample",
    "sampler_kinds",
    "to_inference_data",
    "convergence",
    "local_km",
    "pick",
    "classify",
    "read_mseed",
    "waveforms",
    "Waveforms",
    "PREDICTION_COLUMNS",
    "CLASSIFY_COLUMNS",
    "__version__",
]


def homogeneous(vp_km_s: float, vs_km_s: float) -> TravelTimeModel:
    """A homogeneous whole space with P velocity ``vp_km_s`` and S velocity
    ``vs_km_s`` (km/s): straight rays, ``t = |x - station| / v`` (s).

    Raises ValueError unless both are finite and positive with Vp > Vs.
    """
    return TravelTimeModel.homogeneous(float(vp_km_s), float(vs_km_s))


def layered(layers: Iterable[Sequence[float]]) -> TravelTimeModel:
    """A layered 1D model from rows ``(top_km, vp_km_s, vs_km_s)``, tops
    (km, depth positive down) increasing, the first at or above the
    shallowest station; the last layer extends to infinite depth. Times are
    exact first arrivals (direct and head waves), tabulated.
    """
    return TravelTimeModel.layered([(float(a), float(b), float(c)) for a, b, c in layers])


def eikonal(
    vp_km_s: Any,
    origin_km: Sequence[float],
    spacing_km: Sequence[float],
    *,
    vs_km_s: Any = None,
    vp_vs: Optional[float] = None,
) -> TravelTimeModel:
    """A 3D eikonal model on a regular grid. ``vp_km_s``: P velocities
    (km/s), a 3-D array ``(nx, ny, nz)`` along east, north, depth; node
    ``(i, j, k)`` lies at ``origin_km + (i, j, k) * spacing_km`` (km). S
    velocities from ``vs_km_s`` (same shape) or the constant ratio
    ``vp_vs``. Each station's field is solved when first asked for (by
    ``field()`` or ``time()``) and kept; outside the grid ``time`` raises
    ValueError.
    """
    return TravelTimeModel.eikonal(
        _np.asarray(vp_km_s, dtype=float),
        tuple(float(v) for v in origin_km),
        tuple(float(v) for v in spacing_km),
        None if vs_km_s is None else _np.asarray(vs_km_s, dtype=float),
        None if vp_vs is None else float(vp_vs),
    )


def travel_time_model(
    config: Union[str, "_os.PathLike[str]", None] = None,
    *,
    config_text: Optional[str] = None,
    settings: Optional[Mapping[str, Any]] = None,
) -> TravelTimeModel:
    """The ``[travel_time]`` model of a ``locate`` configuration (a TOML
    file, its text, or the defaults, with ``settings`` overriding keys), of
    any kind the command line takes: ``homogeneous``, ``layered`` (a model
    file), ``eikonal`` (3D grids solved per station, from a layered model
    file or NonLinLoc velocity grids) or ``nll_grids`` (NonLinLoc TIME
    grids). Grid fields are solved or read by ``field()`` (and ``time()``),
    once per station and phase.

    >>> m = travel_time_model(settings={"travel_time": {"kind": "homogeneous", "vp_km_s": 6.0, "vs_km_s": 3.5}})
    """
    return TravelTimeModel.from_config(
        None if config is None else _os.fspath(config), config_text, None if settings is None else _dumps(settings)
    )


def sampler_kinds() -> List[Tuple[str, str]]:
    """The sampler names accepted by ``sample`` and ``locate`` with one line
    on each (``importance`` is the default of ``locate``)."""
    return _eqnemix.sampler_kinds()


def _jsonable(o: Any) -> Any:
    if hasattr(o, "tolist"):
        return o.tolist()
    if isinstance(o, (_os.PathLike,)):
        return _os.fspath(o)
    raise TypeError(f"{type(o).__name__} is not a setting value")


def _dumps(o: Any) -> str:
    try:
        return _json.dumps(o, default=_jsonable, allow_nan=True)
    except TypeError as e:
        raise ValueError(str(e)) from None


def _time(t: Any) -> Any:
    if t is None:
        return None
    if isinstance(t, (bool,)):
        raise ValueError(f"pick time {t!r} is not a time")
    if isinstance(t, (int, float, _np.integer, _np.floating)):
        return float(t)
    if isinstance(t, _dt.datetime):
        if t.tzinfo is None:
            t = t.replace(tzinfo=_dt.timezone.utc)
        return t.isoformat()
    if isinstance(t, _np.datetime64):
        return _np.datetime_as_string(t.astype("datetime64[ns]"), unit="ns") + "Z"
    # str, or anything whose str() is RFC 3339 (ObsPy's UTCDateTime).
    return str(t)


def _event_json(picks: Any, stations: Mapping[str, Sequence[float]], event_id: str, reference_time: Any) -> str:
    if isinstance(picks, Mapping):
        raise ValueError("picks must be a list of records (dicts with station, phase, time, sigma_s)")
    rows = []
    for i, p in enumerate(picks):
        if not isinstance(p, Mapping):
            raise ValueError(f"pick {i}: must be a dict with station, phase, time and sigma_s")
        row = dict(p)
        if "time" in row:
            row["time"] = _time(row["time"])
        for k in ("sigma_s", "back_azimuth_deg", "sigma_back_azimuth_deg", "p_flip_back_azimuth"):
            if row.get(k) is not None:
                row[k] = float(row[k])
        rows.append(row)
    st = {}
    for code, pos in dict(stations).items():
        a = _np.asarray(pos, dtype=float)
        if a.shape != (3,):
            raise ValueError(f"stations[{code!r}] must be (east_km, north_km, depth_km); got shape {a.shape}")
        st[str(code)] = a.tolist()
    ref = None if reference_time is None else _time(reference_time)
    if isinstance(ref, float):
        raise ValueError("reference_time must be a UTC time (RFC 3339 string or datetime)")
    return _dumps({"event_id": event_id, "reference_time": ref, "picks": rows, "stations": st})


def _clusters_args(clusters: Any) -> Tuple[Optional[str], Optional[str]]:
    """(clusters_path, clusters_json)."""
    if clusters is None:
        return None, None
    if isinstance(clusters, (str, _os.PathLike)):
        return _os.fspath(clusters), None
    if isinstance(clusters, tuple) and len(clusters) == 2 and not isinstance(clusters[0], Mapping):
        means = _np.asarray(clusters[0], dtype=float)
        covs = _np.asarray(clusters[1], dtype=float)
        if means.ndim != 2 or means.shape[1] != 3:
            raise ValueError(f"cluster means must have shape (K, 3) (km); got shape {means.shape}")
        if covs.shape != (means.shape[0], 3, 3):
            raise ValueError(f"cluster covariances must have shape ({means.shape[0]}, 3, 3) (km^2); got shape {covs.shape}")
        items = [{"mean_km": m.tolist(), "cov_km2": c.tolist()} for m, c in zip(means, covs)]
        return None, _dumps(items)
    items = []
    for i, c in enumerate(clusters):
        if isinstance(c, Mapping):
            d = {k: c[k] for k in ("mean_km", "cov_km2", "n_events") if k in c}
        else:
            d = {"mean_km": getattr(c, "mean_km"), "cov_km2": getattr(c, "cov_km2")}
        items.append(d)
    return None, _dumps(items)


def _settings(settings: Optional[Mapping[str, Any]], seed: Optional[int], sampler: Optional[str], sampler_settings: Optional[Mapping[str, Any]]) -> Optional[str]:
    s: Dict[str, Any] = dict(settings or {})
    if seed is not None:
        s["seed"] = int(seed)
    if sampler is not None:
        s["sampler"] = {"kind": sampler, **dict(sampler_settings or {})}
    elif sampler_settings:
        raise ValueError("sampler_settings need sampler (its kind)")
    return _dumps(s) if s else None


def _common(picks, stations, clusters, weights, config, config_text, settings, model, event_id, reference_time, origin_lon_lat):
    clusters_path, clusters_json = _clusters_args(clusters)
    w = None
    if weights is not None:
        wa = _np.asarray(weights, dtype=float)
        if wa.ndim != 1:
            raise ValueError(f"weights must be one number per cluster; got shape {wa.shape}")
        w = wa.tolist()
    return dict(
        event_json=_event_json(picks, stations, str(event_id), reference_time),
        config=None if config is None else _os.fspath(config),
        config_text=config_text,
        settings_json=settings,
        clusters_path=clusters_path,
        clusters_json=clusters_json,
        weights=w,
        origin_lon_lat=None if origin_lon_lat is None else (float(origin_lon_lat[0]), float(origin_lon_lat[1])),
        model=model,
    )


def posterior(
    picks: Sequence[Mapping[str, Any]],
    stations: Mapping[str, Sequence[float]],
    *,
    clusters: Any = None,
    weights: Optional[Sequence[float]] = None,
    config: Union[str, "_os.PathLike[str]", None] = None,
    config_text: Optional[str] = None,
    settings: Optional[Mapping[str, Any]] = None,
    model: Optional[TravelTimeModel] = None,
    event_id: str = "event",
    reference_time: Any = None,
    origin_lon_lat: Optional[Tuple[float, float]] = None,
) -> Posterior:
    """The posterior of one event over (east_km, north_km, depth_km) (and
    the origin time in s where the configuration samples it), built as
    ``eqnemix locate`` builds it.

    picks: records ``{"station", "phase": "P"|"S", "time", "sigma_s"}``
        (the rows of the picks CSV); ``time`` is a UTC time (RFC 3339
        string, ``datetime``, ObsPy ``UTCDateTime``) or seconds after
        ``reference_time``; ``sigma_s`` (s, > 0) defaults to
        ``likelihood.default_pick_sigma_s``. Rows with ``phase "BAZ"`` carry
        ``back_azimuth_deg`` and ``sigma_back_azimuth_deg`` instead.
        P and S at one station give the S-P likelihood.
    stations: ``{code: (east_km, north_km, depth_km)}``.
    clusters: a ``clusters_gaussian.json`` path (written by ``eqnemix
        cluster``; its origin is the frame), a list of ``{"mean_km": (3,),
        "cov_km2": (3, 3)}``, or a tuple ``(means (K, 3) km, covs (K, 3, 3)
        km^2)``. Not needed with ``settings={"prior": {"kind": "uniform"}}``.
    weights: prior weight per cluster (>= 0, normalised to sum 1); default
        equal weights.
    config / config_text: a ``locate`` TOML file, or its text; default
        every setting's default. Relative paths in a file count from its
        folder.
    settings: configuration keys to override, as nested dicts, e.g.
        ``{"travel_time": {"kind": "homogeneous", "vp_km_s": 6.0}}``.
    model: a travel-time model to use instead of ``[travel_time]``.
    origin_lon_lat: the frame's origin (degrees) for clusters given as
        arrays (for longitudes/latitudes in the summary).
    """
    return Posterior(**_common(picks, stations, clusters, weights, config, config_text, settings and _dumps(settings), model, event_id, reference_time, origin_lon_lat))


def locate(
    picks: Sequence[Mapping[str, Any]],
    stations: Mapping[str, Sequence[float]],
    *,
    clusters: Any = None,
    weights: Optional[Sequence[float]] = None,
    config: Union[str, "_os.PathLike[str]", None] = None,
    config_text: Optional[str] = None,
    settings: Optional[Mapping[str, Any]] = None,
    seed: Optional[int] = None,
    sampler: Optional[str] = None,
    sampler_settings: Optional[Mapping[str, Any]] = None,
    model: Optional[TravelTimeModel] = None,
    event_id: str = "event",
    reference_time: Any = None,
    origin_lon_lat: Optional[Tuple[float, float]] = None,
) -> Dict[str, Any]:
    """Locate one event exactly as ``eqnemix locate`` does (same
    configuration, same seed: same numbers) and return its summary: the
    dict of ``<id>.json`` (``summary`` with the headline location
    ``summary["location_km"]``, the highest-density point of the heaviest mode, ``summary["modes"]``, cluster probabilities,
    HDIs and ellipsoids; ``diagnostics``; ``flags``), plus ``draws`` (one
    array ``(n, dim)`` per chain: east, north, depth km [, origin time s])
    and ``draw_weights`` (one ``(n,)`` array per chain).

    Arguments as for :func:`posterior`, and ``seed`` (the configuration's
    ``seed``; each event's seed mixes in its id), ``sampler`` (a name of
    :func:`sampler_kinds`) with ``sampler_settings`` (its keys, as in the
    ``[sampler]`` table).

    Raises ValueError for bad input and LocateError when the event cannot
    be located (the message says why).
    """
    s = _settings(settings, seed, sampler, sampler_settings)
    text, chains = _eqnemix.locate_json(**_common(picks, stations, clusters, weights, config, config_text, s, model, event_id, reference_time, origin_lon_lat))
    out = _json.loads(text)
    out["draws"] = [c[0] for c in chains]
    out["draw_weights"] = [c[1] for c in chains]
    return out


def sample(
    density: Union[Posterior, Callable[[_np.ndarray], Any]],
    sampler: str = "nuts",
    *,
    n_chains: int = 4,
    seed: int = 0,
    inits: Optional[Any] = None,
    dim: Optional[int] = None,
    gradient: bool = True,
    **settings: Any,
) -> Dict[str, Any]:
    """Sample ``density`` with the sampler named ``sampler`` (see
    :func:`sampler_kinds`), its settings as keyword arguments (the keys of
    its ``[sampler]`` table, e.g. ``n_warmup=500, n_draws=1000`` for
    NUTS). Chain ``i`` is seeded from ``(seed, i)``: the same seed gives
    the same draws.

    density: a :class:`Posterior`, or a Python callable ``f(x)`` of a
        float64 array ``x`` of shape ``(dim,)`` returning ``(logp, grad)``
        (``gradient=True``, needed by nuts, hmc and advi) or ``logp``
        (``gradient=False``). An exception in the callable stops the run
        and is raised here.
    inits: ``(n_chains, dim)`` or ``(dim,)`` starting points; default for a
        posterior the points ``eqnemix locate`` draws, for a callable
        standard-normal points drawn from ``seed``.
    dim: the callable's dimension (default ``inits``' last axis).

    Population samplers (importance, smc, octree, advi) run once: one
    "chain". Returns ``{"sampler", "draws": (chain, draw, dim), "stats":
    {name: (chain, draw)}, "weights": (chain, draw) or None, "log_evidence":
    [per chain], "pareto_k": [per chain]}``; ``stats`` holds
    ``log_density``, ``accept_prob``, ``step_size``, ``tree_depth``,
    ``n_grad_evals``, ``energy`` (NaN where a sampler has none) and
    ``divergent`` (bool).
    """
    s = _dumps(settings) if settings else None
    if n_chains < 1:
        raise ValueError("n_chains must be >= 1")
    if isinstance(density, Posterior):
        if dim is not None and dim != density.dim:
            raise ValueError(f"dim = {dim} but the posterior has dim = {density.dim}")
        return _eqnemix.sample_posterior(density, sampler, s, int(n_chains), int(seed), None if inits is None else _np.asarray(inits, dtype=float))
    if not callable(density):
        raise ValueError("density must be an eqnemix.Posterior or a callable")
    if inits is None:
        if dim is None:
            raise ValueError("give dim (or inits) for a callable density")
        inits = _np.random.default_rng(seed).standard_normal((n_chains, int(dim)))
    inits = _np.asarray(inits, dtype=float)
    if inits.ndim == 1:
        inits = _np.tile(inits, (n_chains, 1))
    if inits.ndim != 2 or inits.shape[0] != n_chains:
        raise ValueError(f"inits must have shape ({n_chains}, dim) or (dim,); got shape {inits.shape}")
    if dim is None:
        dim = inits.shape[1]
    if inits.shape[1] != dim:
        raise ValueError(f"inits have {inits.shape[1]} coordinates for dim = {dim}")
    return _eqnemix.sample_callable(density, int(dim), sampler, inits, s, int(seed), bool(gradient))


def convergence(draws: Any) -> Dict[str, _np.ndarray]:
    """Convergence numbers of draws ``(chain, draw, dim)`` (or the result
    of :func:`sample`), one per coordinate: ``rhat`` (rank-normalised split
    R-hat, the larger of bulk and tail; dimensionless, > 1.01 signals
    trouble), ``ess_bulk`` and ``ess_tail`` (effective sample sizes, in
    draws), as Vehtari et al. (2021) define them and as ``eqnemix locate``
    reports them. ArviZ's ``az.rhat(method="rank")`` and ``az.ess(method=
    "bulk"/"tail")`` give the same numbers for the same draws. Every chain
    must have the same number of draws (no NaN padding). Each
    coordinate's chains are gathered once (strided in the array)."""
    if isinstance(draws, Mapping):
        draws = draws["draws"]
    a = _np.asarray(draws, dtype=float)
    if a.ndim != 3:
        raise ValueError(f"draws must have shape (chain, draw, dim); got shape {a.shape}")
    return _eqnemix.convergence(a)


def to_inference_data(
    result: Mapping[str, Any],
    var_name: str = "x",
    coords: Optional[Sequence[str]] = None,
    *,
    weights: str = "resample",
    seed: int = 0,
):
    """The result of :func:`sample` as an ``arviz.InferenceData`` (needs
    arviz) in one call: ``posterior[var_name]`` with dims ``("chain",
    "draw", var_name + "_dim")`` (coordinate labels ``coords``, e.g.
    ``["east_km", "north_km", "depth_km"]``; default 0..dim-1) and the
    per-draw statistics in ``sample_stats`` under ArviZ's names: ``lp``
    (log density), ``acceptance_rate``, ``step_size``, ``tree_depth``,
    ``n_steps`` (gradient evaluations), ``diverging`` (bool), ``energy``;
    a statistic the sampler does not produce (all NaN) is left out.

    Weighted draws (``result["weights"]`` not None: the population
    samplers importance, smc, octree) are not equally likely, while ArviZ's
    summaries (``az.summary``, ``az.hdi``, plots) count every draw once. So
    by default (``weights="resample"``) each chain is resampled: as many
    draws as it has, picked by systematic resampling on its normalised
    weights and put in random order (seeded by ``seed``), each statistic
    following its draw. Means, quantiles and HDIs in ArviZ then estimate
    the weighted posterior; ArviZ's ESS counts the resampled draws, which
    repeat draws of large weight (the weights' own effective sample size,
    ``1 / sum(w**2)``, is the figure of merit; it is in
    ``posterior.attrs["weights_ess"]``, one per chain).
    ``weights="carry"`` keeps the draws as they are and carries the
    normalised weights as ``sample_stats["weight"]`` (ArviZ's summaries
    ignore them: weight them yourself). Unweighted results pass through
    unchanged either way. ValueError for another ``weights`` or weights
    that are negative, not finite or sum to zero.

    A :func:`locate` result is taken too: its weighted draws (all chains
    pooled, as their weights carry the modes' masses) become one chain,
    resampled or carried as above, with no ``sample_stats``."""
    import arviz as az  # noqa: PLC0415

    if weights not in ("resample", "carry"):
        raise ValueError(f"weights must be 'resample' or 'carry'; got {weights!r}")
    if "stats" not in result and "draw_weights" in result:
        result = _pooled_locate_draws(result)
    names = {"log_density": "lp", "accept_prob": "acceptance_rate", "step_size": "step_size", "tree_depth": "tree_depth", "n_grad_evals": "n_steps", "divergent": "diverging", "energy": "energy"}
    stats = {}
    for k, v in result["stats"].items():
        if k not in names:
            continue
        v = _np.asarray(v)
        if v.dtype.kind == "f" and _np.all(_np.isnan(v)):
            continue
        stats[names[k]] = v
    draws = _np.asarray(result["draws"])
    dim_name = f"{var_name}_dim"
    labels = list(coords) if coords is not None else list(range(draws.shape[-1]))
    if len(labels) != draws.shape[-1]:
        raise ValueError(f"coords has {len(labels)} labels for dim = {draws.shape[-1]}")
    attrs: Dict[str, Any] = {}
    w = result.get("weights")
    if w is not None:
        w = _normalised_weights(_np.asarray(w, dtype=float), draws.shape[:2])
        attrs["weights_ess"] = [float(1.0 / _np.sum(wc * wc)) for wc in w]
        if weights == "carry":
            stats["weight"] = w
            attrs["weights"] = "carried in sample_stats.weight (not applied by ArviZ's summaries)"
        else:
            idx = _resample_indices(w, seed)
            rows = _np.arange(draws.shape[0])[:, None]
            draws = draws[rows, idx]
            stats = {k: _np.asarray(v)[rows, idx] for k, v in stats.items()}
            attrs["weights"] = f"resampled (systematic, in random order, seed {int(seed)})"
    idata = az.from_dict(
        posterior={var_name: draws},
        sample_stats=stats,
        coords={dim_name: labels},
        dims={var_name: [dim_name]},
    )
    idata.posterior.attrs.update(attrs)
    return idata


def _pooled_locate_draws(result: Mapping[str, Any]) -> Dict[str, Any]:
    """The draws of a :func:`locate` result (weighted, their weights
    normalised over all its chains: the masses of the modes are in them) as
    one weighted chain in the layout of :func:`sample`, without
    statistics."""
    chains = [_np.asarray(c, dtype=float) for c in result["draws"]]
    ws = [_np.asarray(w, dtype=float) for w in result["draw_weights"]]
    if not chains or len(chains) != len(ws) or any(c.ndim != 2 or len(c) != len(w) for c, w in zip(chains, ws)):
        raise ValueError("a locate result needs draws (n, dim) and draw_weights (n,) per chain")
    return {"draws": _np.concatenate(chains)[None], "weights": _np.concatenate(ws)[None], "stats": {}}


def _normalised_weights(w: _np.ndarray, shape: Tuple[int, int]) -> _np.ndarray:
    """Weights ``(chain, draw)`` normalised per chain; NaN (padding of a
    shorter chain) counts as 0."""
    if w.shape != tuple(shape):
        raise ValueError(f"weights must have shape (chain, draw) = {tuple(shape)}; got shape {w.shape}")
    w = _np.where(_np.isnan(w), 0.0, w)
    if not _np.all(_np.isfinite(w)) or _np.any(w < 0):
        raise ValueError("weights must be finite and >= 0")
    total = w.sum(axis=1, keepdims=True)
    if _np.any(total <= 0):
        raise ValueError("the weights of a chain sum to zero")
    return w / total


def _resample_indices(w: _np.ndarray, seed: int) -> _np.ndarray:
    """Per chain, ``n`` indices drawn by systematic resampling on the
    weights ``w`` (normalised per chain), then shuffled: duplicates spread
    over the chain instead of sitting next to each other (which ArviZ's
    autocorrelation-based ESS would read as a sticky chain)."""
    rng = _np.random.default_rng(int(seed))
    c, n = w.shape
    out = _np.empty((c, n), dtype=_np.intp)
    for i in range(c):
        cdf = _np.cumsum(w[i])
        cdf[-1] = 1.0
        u = (rng.random() + _np.arange(n)) / n
        out[i] = rng.permutation(_np.searchsorted(cdf, u, side="right"))
    return out


def local_km(lon_deg: Any, lat_deg: Any, origin_lon_lat: Tuple[float, float]) -> _np.ndarray:
    """``(east_km, north_km)`` (km) of longitudes and latitudes (degrees,
    WGS84) in the local frame about ``origin_lon_lat`` (degrees): the
    azimuthal equidistant projection ``eqnemix locate`` uses for stations,
    clusters and the frame of ``clusters_gaussian.json``. Returns shape
    ``(N, 2)`` (``(2,)`` for scalars). ValueError for an invalid origin or
    a non-finite position."""
    lon = _np.asarray(lon_deg, dtype=float)
    lat = _np.asarray(lat_deg, dtype=float)
    if lon.shape != lat.shape or lon.ndim > 1:
        raise ValueError(f"lon_deg and lat_deg must be numbers or 1-D arrays of one shape; got {lon.shape} and {lat.shape}")
    if len(origin_lon_lat) != 2:
        raise ValueError("origin_lon_lat must be (lon_deg, lat_deg)")
    out = _np.asarray(_eqnemix.local_km(_np.atleast_1d(lon).tolist(), _np.atleast_1d(lat).tolist(), (float(origin_lon_lat[0]), float(origin_lon_lat[1]))), dtype=float)
    return out[0] if lon.ndim == 0 else out.reshape(-1, 2)
