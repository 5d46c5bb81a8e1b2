"""The location posterior through Python: log density and gradient,
uniform prior, bad input as ValueError with the library's messages."""

import numpy as np
import pytest

import eqnemix
from conftest import COVS, HOMOGENEOUS, MEANS, ORIGIN, write_clusters


def make(picks, stations, **kw):
    args = dict(clusters=(MEANS, COVS), weights=[0.8, 0.1, 0.1], settings=HOMOGENEOUS)
    args.update(kw)
    return eqnemix.posterior(picks, stations, **args)


def test_log_density_gradient_matches_finite_differences(picks, stations):
    post = make(picks, stations)
    assert post.dim == 3
    lo, hi = post.bounds()
    assert len(lo) == 3 and all(a < b for a, b in zip(lo, hi))
    rng = np.random.default_rng(1)
    pts = rng.uniform([-25, -25, 2], [25, 25, 15], size=(30, 3))
    lp, g = post.log_density_and_gradient(pts)
    assert lp.shape == (30,) and g.shape == (30, 3)
    np.testing.assert_array_equal(lp, post.log_density(pts))
    h = 1e-5
    fd = np.empty_like(pts)
    for k in range(3):
        e = np.zeros(3)
        e[k] = h
        fd[:, k] = (post.log_density(pts + e) - post.log_density(pts - e)) / (2 * h)
    np.testing.assert_allclose(g, fd, rtol=1e-5, atol=1e-5 * np.abs(g).max())
    # One point: a float and a (3,) gradient.
    lp0, g0 = post.log_density_and_gradient(pts[0])
    assert isinstance(lp0, float) and g0.shape == (3,)
    # Outside the region box: -inf.
    assert post.log_density([0.0, 0.0, -5.0]) == -np.inf


def test_posterior_peaks_near_the_source_cluster(picks, stations):
    post = make(picks, stations)
    assert post.log_density([19.0, 11.0, 7.0]) > post.log_density([-15.0, 25.0, 6.0]) + 3


def test_clusters_from_file_and_from_arrays_agree(picks, stations, tmp_path):
    path = write_clusters(tmp_path / "clusters_gaussian.json")
    a = make(picks, stations, clusters=str(path))
    b = make(picks, stations, origin_lon_lat=ORIGIN)
    c = make(picks, stations, clusters=[{"mean_km": m, "cov_km2": c} for m, c in zip(MEANS, COVS)])
    x = np.array([[19.0, 11.0, 7.0], [0.0, 5.0, 3.0]])
    np.testing.assert_array_equal(a.log_density(x), b.log_density(x))
    np.testing.assert_array_equal(a.log_density(x), c.log_density(x))


def test_uniform_prior(picks, stations):
    post = eqnemix.posterior(
        picks,
        stations,
        settings={**HOMOGENEOUS, "prior": {"kind": "uniform"}, "region": {"east_km": [-30, 30], "north_km": [-30, 30], "depth_km": [0, 20]}},
    )
    # Only the S-P shell matters: equal density at equal distance.
    r = np.linalg.norm([19.0, 11.0, 7.0])
    d = r / np.sqrt(3.0)
    assert post.log_density([d, d, d]) == pytest.approx(post.log_density([-d, d, d]), abs=1e-9)


def test_bad_inputs_raise_value_error_with_the_library_messages(picks, stations, tmp_path):
    with pytest.raises(ValueError, match=r"x must have shape \(3,\) or \(N, 3\)"):
        make(picks, stations).log_density(np.zeros((2, 2)))
    bad = [dict(p) for p in picks]
    bad[1]["sigma_s"] = -0.1
    with pytest.raises(ValueError, match=r"field `sigma_s`: -0.1 must be > 0"):
        make(bad, stations)
    unknown = [dict(p, station="NOPE") for p in picks]
    with pytest.raises(ValueError, match="field `station`"):
        make(unknown, stations)
    bad_phase = [dict(picks[0], phase="Q")]
    with pytest.raises(ValueError, match="is not P, S or BAZ"):
        make(bad_phase, stations)
    with pytest.raises(ValueError, match="3 weights|weights given for the 3 clusters"):
        make(picks, stations, weights=[0.5, 0.5])
    with pytest.raises(ValueError, match="weights must be finite and >= 0"):
        make(picks, stations, weights=[0.5, -0.5, 1.0])
    with pytest.raises(ValueError, match=r"cluster means must have shape \(K, 3\)"):
        make(picks, stations, clusters=(MEANS[:, :2], COVS))
    not_pd = COVS.copy()
    not_pd[0] = -not_pd[0]
    with pytest.raises(ValueError):
        make(picks, stations, clusters=(MEANS, not_pd))
    with pytest.raises(ValueError, match="unknown key `travel_time.vp`"):
        make(picks, stations, settings={"travel_time": {"vp": 6.0}})
    with pytest.raises(ValueError, match="vs_km_s"):
        make(picks, stations, settings={"travel_time": {"kind": "homogeneous", "vp_km_s": 6.0, "vs_km_s": -3.5}})
    with pytest.raises(ValueError, match="clusters are needed"):
        eqnemix.posterior(picks, stations, settings=HOMOGENEOUS)
    with pytest.raises(ValueError, match="No such file|clusters_gaussian"):
        make(picks, stations, clusters=str(tmp_path / "clusters_gaussian.json"))
    bad_cfg = tmp_path / "bad.toml"
    bad_cfg.write_text("n_chains = 0\n")
    with pytest.raises(ValueError, match="n_chains"):
        make(picks, stations, config=bad_cfg, settings=None)
    with pytest.raises(ValueError, match="must be a UTC time"):
        make(picks, stations, reference_time=3.0)
    with pytest.raises(ValueError, match=r"stations\['STA'\] must be"):
        make(picks, {"STA": (0.0, 0.0)})


def test_locate_with_a_model_object_equals_the_configured_model(picks, stations):
    args = dict(clusters=(MEANS, COVS), weights=[0.8, 0.1, 0.1], seed=2)
    a = eqnemix.locate(picks, stations, settings=HOMOGENEOUS, **args)
    b = eqnemix.locate(picks, stations, model=eqnemix.homogeneous(6.0, 3.5), **args)
    for r in (a, b):
        r.pop("draw_weights")
        r["diagnostics"].pop("elapsed_s")
    np.testing.assert_array_equal(np.concatenate(a.pop("draws")), np.concatenate(b.pop("draws")))
    assert a == b
    assert a["flags"]["untrustworthy"] is False


def test_an_impossible_event_raises_locate_error(stations):
    picks = [
        {"station": "STA", "phase": "P", "time": 10.0, "sigma_s": 0.05},
        {"station": "STA", "phase": "S", "time": 9.0, "sigma_s": 0.05},
    ]
    with pytest.raises(eqnemix.LocateError, match="the S pick must come after the P pick"):
        eqnemix.locate(picks, stations, clusters=(MEANS, COVS), settings=HOMOGENEOUS)
    assert issubclass(eqnemix.LocateError, RuntimeError)
