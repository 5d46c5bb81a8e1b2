"""Type stubs of the extension module eqnemix._eqnemix (PyO3).

Units: km for positions (x east, y north, z depth positive down), s for
times, km/s for velocities, s/km for travel-time gradients.
"""

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union, overload

import numpy as np
import numpy.typing as npt

ArrayLike = npt.ArrayLike
FloatArray = npt.NDArray[np.float64]

__version__: str

class LocateError(RuntimeError):
    """An event could not be located; the message says why."""

class TravelTimeModel:
    """A travel-time model; build it with :meth:`homogeneous` or :meth:`layered`."""

    @staticmethod
    def homogeneous(vp_km_s: float, vs_km_s: float) -> "TravelTimeModel":
        """Homogeneous whole space, velocities in km/s (finite, > 0, Vp > Vs); ValueError otherwise."""
    @staticmethod
    def layered(layers: Sequence[Tuple[float, float, float]]) -> "TravelTimeModel":
        """Layered 1D model from rows (top_km, vp_km_s, vs_km_s), tops increasing; ValueError otherwise."""
    @staticmethod
    def eikonal(
        vp_km_s: ArrayLike,
        origin_km: Sequence[float],
        spacing_km: Sequence[float],
        vs_km_s: Optional[ArrayLike] = None,
        vp_vs: Optional[float] = None,
    ) -> "TravelTimeModel":
        """Eikonal model on a grid: vp_km_s (nx, ny, nz) km/s along east, north, depth; node (i, j, k) at origin_km + (i, j, k) * spacing_km."""
    @staticmethod
    def from_config(
        config: Optional[str] = None, config_text: Optional[str] = None, settings_json: Optional[str] = None
    ) -> "TravelTimeModel":
        """The [travel_time] model of a locate configuration (any kind: homogeneous, layered, eikonal, nll_grids)."""
    def field(self, station_km: Sequence[float], phase: str = "P") -> "TravelTimeField":
        """The field of a station at station_km = (east, north, depth) km for phase "P" or "S"."""
    @overload
    def time(self, points: Sequence[float], station_km: Sequence[float] = ..., phase: str = ...) -> float: ...
    @overload
    def time(self, points: ArrayLike, station_km: Sequence[float] = ..., phase: str = ...) -> FloatArray:
        """Travel times (s), shape (N,), from points (N, 3) km (a (3,) point gives a float).

        ValueError for another shape or a point outside the model's domain."""
    def time_and_gradient(
        self, points: ArrayLike, station_km: Sequence[float] = ..., phase: str = ...
    ) -> Tuple[Union[float, FloatArray], FloatArray]:
        """Travel times (s), shape (N,), and gradients (s/km), shape (N, 3), at points (N, 3) km."""

class TravelTimeField:
    """The travel-time field of one station and one phase."""

    def time(self, points: ArrayLike) -> Union[float, FloatArray]:
        """Travel times (s) at points (N, 3) or (3,) km."""
    def time_and_gradient(self, points: ArrayLike) -> Tuple[Union[float, FloatArray], FloatArray]:
        """Travel times (s) and gradients (s/km) at points (N, 3) or (3,) km."""
    def bounds(self) -> Optional[Tuple[List[float], List[float]]]:
        """(min_km, max_km) of the field's domain; None when unbounded."""

class Posterior:
    """The posterior of one event; build it with :func:`eqnemix.posterior`."""

    def __init__(
        self,
        event_json: str,
        config: Optional[str] = ...,
        config_text: Optional[str] = ...,
        settings_json: Optional[str] = ...,
        clusters_path: Optional[str] = ...,
        clusters_json: Optional[str] = ...,
        weights: Optional[Sequence[float]] = ...,
        origin_lon_lat: Optional[Tuple[float, float]] = ...,
        model: Optional[TravelTimeModel] = ...,
    ) -> None: ...
    @property
    def dim(self) -> int:
        """3 (east, north, depth km), or 4 with the origin time (s after reference_time)."""
    @property
    def event_id(self) -> str: ...
    @property
    def reference_time(self) -> str:
        """UTC (RFC 3339) instant pick times and the origin time count from."""
    def bounds(self) -> Tuple[List[float], List[float]]:
        """(lower, upper) of the support: the region box (km) [and origin-time window (s)]."""
    def log_density(self, x: ArrayLike) -> Union[float, FloatArray]:
        """Unnormalised log density at x, shape (dim,) -> float or (N, dim) -> (N,); -inf outside the support."""
    def log_density_and_gradient(self, x: ArrayLike) -> Tuple[Union[float, FloatArray], FloatArray]:
        """(log density, gradient with the shape of x); the gradient is NaN where the density is -inf."""

def locate_json(
    event_json: str,
    config: Optional[str] = ...,
    config_text: Optional[str] = ...,
    settings_json: Optional[str] = ...,
    clusters_path: Optional[str] = ...,
    clusters_json: Optional[str] = ...,
    weights: Optional[Sequence[float]] = ...,
    origin_lon_lat: Optional[Tuple[float, float]] = ...,
    model: Optional[TravelTimeModel] = ...,
) -> Tuple[str, List[Tuple[FloatArray, FloatArray]]]:
    """The <id>.json text of the located event and per chain (draws (n, dim), weights (n,))."""

def sample_posterior(
    posterior: Posterior,
    kind: str,
    settings_json: Optional[str] = ...,
    n_chains: int = ...,
    seed: int = ...,
    inits: Optional[ArrayLike] = ...,
) -> Dict[str, Any]: ...
def sample_callable(
    f: Callable[[FloatArray], Any],
    dim: int,
    kind: str,
    inits: ArrayLike,
    settings_json: Optional[str] = ...,
    seed: int = ...,
    gradient: bool = ...,
) -> Dict[str, Any]: ...
def sampler_kinds() -> List[Tuple[str, str]]: ...
def convergence(draws: npt.NDArray[np.float64]) -> Dict[str, FloatArray]:
    """Per coordinate of draws (chain, draw, dim): rank-normalised split R-hat, bulk and tail ESS (draws)."""
    ...

class SyntheticRegion:
    """The standard synthetic region of the Rust studies: station SYN at the
    origin, five cluster Gaussians, a four-layer crust (Vp 4.8/5.6/6.3/6.8
    km/s, tops 0/2/6/18 km, Vp/Vs 1.75), box 120 x 120 x 30 km (depth 0-30),
    pick sigma 0.05 s, back-azimuth sigma 8 deg."""

    def __init__(self) -> None: ...
    def layers(self) -> List[Tuple[float, float, float]]:
        """Rows (top_km, vp_km_s, vs_km_s)."""
        ...
    def clusters(self) -> List[Tuple[List[float], List[List[float]]]]:
        """(mean_km (3,), cov_km2 (3, 3)) per cluster, in id order."""
        ...
    @property
    def station(self) -> Tuple[str, List[float]]:
        """(code, (east_km, north_km, depth_km))."""
        ...
    @property
    def bounds(self) -> Tuple[List[float], List[float]]:
        """The region box (min, max), km."""
        ...
    def event(self, index: int, seed: int, pick_sigma_s: Optional[float] = None) -> Dict[str, Any]:
        """Event index of stream seed: id, true_km, cluster, probabilities,
        reference_time (RFC 3339), picks (records; P/S time in s after
        reference_time, sigma_s in s; BAZ back_azimuth_deg and
        sigma_back_azimuth_deg in degrees)."""
        ...
    def posterior(
        self,
        index: int,
        seed: int,
        pick_sigma_s: Optional[float] = None,
        model: Optional[TravelTimeModel] = None,
        temperature: float = 1.0,
    ) -> Tuple[Posterior, Dict[str, Any]]:
        """(posterior, event): S-P + back-azimuth likelihood, the clusters
        weighted by the event's probabilities at prior temperature, located
        with model (default the region's crust)."""
        ...

def local_km(lon_deg: Sequence[float], lat_deg: Sequence[float], origin_lon_lat: Tuple[float, float]) -> List[Tuple[float, float]]:
    """(east_km, north_km) of each (lon_deg, lat_deg) (degrees) about origin_lon_lat (degrees); ValueError for bad input."""
    ...

def study_locate(
    posterior: Posterior, sampler: str, n_chains: int, seed: int, truth_km: Optional[Sequence[float]] = None
) -> Dict[str, Any]:
    """The studies' locator with a preset sampler (smc, nuts, octree,
    importance): mean_km, area90_km2 (km^2) and, with truth_km,
    epicentral_error_km (km) and in_hpd90 (bool). Ctrl-C raises
    KeyboardInterrupt (with eqnemix_interrupted = True)."""
    ...

# --- EQTransformer / ConvNetQuake on waveforms (eqnemix.pick, eqnemix.classify) ---

class Waveforms:
    """Three components of one station (Z, N, E), as the networks read
    them; build it with eqnemix.waveforms or eqnemix.read_mseed."""

    @staticmethod
    def from_arrays(
        z: ArrayLike,
        n: ArrayLike,
        e: ArrayLike,
        sampling_rate: float,
        starttime: str,
        station: str = "",
        channels: Optional[Tuple[str, str, str]] = None,
    ) -> "Waveforms":
        """Vertical z, north n, east e (1-D, equal lengths, finite samples,
        any unit), sampling_rate in Hz (> 0), starttime RFC 3339 (UTC) of the
        first sample; ValueError otherwise."""
    @staticmethod
    def from_traces(
        traces: Sequence[Tuple[str, str, str, str, str, float, ArrayLike]],
        station: Optional[str] = None,
    ) -> "Waveforms":
        """Traces (network, station, location, channel, starttime RFC 3339,
        sampling_rate Hz, data): the station's Z, N/1, E/2 channels as
        `eqnemix pick` selects them, gaps filled by linear interpolation;
        station "NET.STA[.LOC]" when the traces hold several."""
    @staticmethod
    def read_mseed(paths: Sequence[str], station: Optional[str] = None) -> "Waveforms":
        """miniSEED files read as `eqnemix pick` reads them (one station)."""
    @property
    def z(self) -> FloatArray:
        """Vertical component (a copy)."""
    @property
    def n(self) -> FloatArray:
        """North component (a copy)."""
    @property
    def e(self) -> FloatArray:
        """East component (a copy)."""
    @property
    def sampling_rate(self) -> float:
        """Samples per second (Hz)."""
    @property
    def starttime(self) -> str:
        """Time of the first sample, RFC 3339 (UTC, microseconds)."""
    @property
    def station(self) -> str:
        """NET.STA.LOC."""
    @property
    def channels(self) -> Tuple[str, str, str]:
        """Channel codes of Z, N, E."""
    @property
    def source(self) -> str:
        """The files read (';'-joined); empty for arrays and streams."""
    def __len__(self) -> int: ...

def pick_waveforms(
    waveforms: Waveforms,
    detection_threshold: float = 0.3,
    p_threshold: float = 0.1,
    s_threshold: float = 0.1,
    overlap: float = 0.3,
    batch_size: int = 32,
    model: Optional[str] = None,
    merge: str = "per-window",
) -> List[Dict[str, Any]]:
    """EQTransformer as `eqnemix pick`: one dict per detection with the
    columns of X_prediction_results.csv (times RFC 3339 UTC, probabilities
    in [0, 1], SNR in dB, time uncertainties in s, None where empty).
    ImportError without ONNX Runtime."""
    ...

def classify_waveforms(
    waveforms: Waveforms,
    window_step: float = 10.0,
    max_noise_prob: float = 1.0,
    n_clusters: Optional[int] = None,
    model: Optional[str] = None,
) -> List[Dict[str, Any]]:
    """ConvNetQuake as `eqnemix classify`: per 10 s window every
    window_step s, start_time and end_time (RFC 3339 UTC), clusters_prob
    (K probabilities without noise, sum 1), noise_prob. ImportError without
    ONNX Runtime."""
    ...

def prediction_columns() -> List[str]:
    """The columns of `eqnemix pick`'s X_prediction_results.csv."""
    ...

def networks_built() -> bool:
    """True when the extension was built with the cargo feature `networks`."""
    ...
