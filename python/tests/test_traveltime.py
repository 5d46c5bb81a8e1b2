"""Travel-time models through Python: analytic homogeneous times, gradients
against finite differences, bad input as ValueError."""

import numpy as np
import pytest

import eqnemix

RNG = np.random.default_rng(14)


def test_homogeneous_time_is_distance_over_velocity():
    m = eqnemix.homogeneous(vp_km_s=6.0, vs_km_s=3.5)
    station = np.array([2.0, -3.0, -1.2])
    pts = RNG.uniform([-40, -40, 0], [40, 40, 25], size=(200, 3))
    r = np.linalg.norm(pts - station, axis=1)
    for phase, v in (("P", 6.0), ("S", 3.5)):
        t = m.time(pts, station_km=station, phase=phase)
        assert t.shape == (200,)
        np.testing.assert_allclose(t, r / v, rtol=1e-14, atol=0)
        t2, g = m.time_and_gradient(pts, station_km=station, phase=phase)
        np.testing.assert_allclose(t2, r / v, rtol=1e-14)
        np.testing.assert_allclose(g, (pts - station) / (r[:, None] * v), rtol=1e-13, atol=1e-16)
    # One point (3,) gives a float; a field gives the same as the model.
    f = m.field(station, "S")
    assert isinstance(f.time(pts[0]), float)
    assert f.time(pts[0]) == pytest.approx(r[0] / 3.5, rel=1e-14)
    assert f.bounds() is None


def _fd_check(field, pts, h=1e-5, rtol=1e-6, atol=1e-8):
    _, g = field.time_and_gradient(pts)
    fd = np.empty_like(pts)
    for k in range(3):
        e = np.zeros(3)
        e[k] = h
        fd[:, k] = (field.time(pts + e) - field.time(pts - e)) / (2 * h)
    np.testing.assert_allclose(g, fd, rtol=rtol, atol=atol)


def test_homogeneous_gradient_matches_finite_differences():
    f = eqnemix.homogeneous(5.8, 3.3).field((1.0, 1.0, 0.0), "P")
    _fd_check(f, RNG.uniform([-30, -30, 1], [30, 30, 20], size=(50, 3)))


def test_layered_model_times_and_gradients():
    m = eqnemix.layered([(-2.0, 5.5, 3.2), (5.0, 6.1, 3.5), (20.0, 6.8, 3.9)])
    f = m.field((0.0, 0.0, 0.0), "P")
    # Near the station in the top layer the first arrival is the direct wave.
    x = np.array([[1.0, 0.5, 1.0], [0.0, 2.0, 0.5]])
    np.testing.assert_allclose(f.time(x), np.linalg.norm(x, axis=1) / 5.5, rtol=2e-3)
    # Away from layer boundaries the tabulated gradient agrees with finite differences.
    pts = RNG.uniform([-30, -30, 8], [30, 30, 18], size=(40, 3))
    _, g = f.time_and_gradient(pts)
    fd = np.empty_like(pts)
    h = 1e-3
    for k in range(3):
        e = np.zeros(3)
        e[k] = h
        fd[:, k] = (f.time(pts + e) - f.time(pts - e)) / (2 * h)
    np.testing.assert_allclose(g, fd, rtol=2e-2, atol=2e-3)
    # Slower S everywhere.
    assert np.all(m.time(pts, phase="S") > m.time(pts, phase="P"))


@pytest.mark.parametrize(
    "points",
    [np.zeros((4, 2)), np.zeros((2, 3, 3)), np.zeros(4), np.zeros((3, 4))],
)
def test_wrong_point_shapes_raise_value_error(points):
    m = eqnemix.homogeneous(6.0, 3.5)
    with pytest.raises(ValueError, match=r"points must have shape \(3,\) or \(N, 3\)"):
        m.time(points)
    with pytest.raises(ValueError, match="points must have shape"):
        m.time_and_gradient(points)


def test_bad_models_and_arguments_raise_value_error():
    with pytest.raises(ValueError, match="vp_km_s"):
        eqnemix.homogeneous(-6.0, 3.5)
    with pytest.raises(ValueError, match="homogeneous model"):
        eqnemix.homogeneous(3.0, 3.5)  # Vp must exceed Vs
    with pytest.raises(ValueError, match="homogeneous model"):
        eqnemix.homogeneous(float("nan"), 3.5)
    with pytest.raises(ValueError):
        eqnemix.layered([(0.0, 6.0, 3.5), (-1.0, 6.5, 3.7)])  # tops must increase
    with pytest.raises(ValueError):
        eqnemix.layered([])
    m = eqnemix.homogeneous(6.0, 3.5)
    with pytest.raises(ValueError, match="phase must be"):
        m.time([[1.0, 2.0, 3.0]], phase="Pn")
    with pytest.raises(ValueError, match="outside the travel-time domain"):
        m.time([[1.0, 2.0, 3.0], [np.nan, 0.0, 0.0]])
    with pytest.raises(ValueError, match="station_km must be finite"):
        m.time([[1.0, 2.0, 3.0]], station_km=(np.inf, 0.0, 0.0))


REPO = __import__("pathlib").Path(__file__).resolve().parents[2]


def test_models_from_a_configuration():
    h = eqnemix.travel_time_model(settings={"travel_time": {"kind": "homogeneous", "vp_km_s": 6.0, "vs_km_s": 3.5}})
    pts = RNG.uniform([-30, -30, 0], [30, 30, 20], size=(20, 3))
    np.testing.assert_array_equal(h.time(pts), eqnemix.homogeneous(6.0, 3.5).time(pts))
    # The layered file of the examples (30 km crust over a half-space) read
    # through [travel_time] equals the same layers given as rows.
    model = REPO / "examples" / "data" / "velocity" / "two_layer.toml"
    f = eqnemix.travel_time_model(settings={"travel_time": {"kind": "layered", "model": str(model)}})
    rows = eqnemix.layered([(0.0, 6.0, 3.5), (30.0, 8.0, 4.6)])
    np.testing.assert_allclose(f.time(pts, phase="S"), rows.time(pts, phase="S"), rtol=1e-12)
    # The eikonal solution on a 1 km grid agrees with the exact layered times
    # (first order accuracy: within 2% here, far from the station).
    e = eqnemix.travel_time_model(
        settings={
            "travel_time": {
                "kind": "eikonal",
                "model": str(model),
                "grid": {"n": [41, 41, 21], "origin_km": [-20.0, -20.0, 0.0], "spacing_km": [1.0, 1.0, 1.0]},
            }
        }
    )
    near = RNG.uniform([-15, -15, 5], [15, 15, 15], size=(20, 3))
    far = near[np.linalg.norm(near, axis=1) > 8.0]
    np.testing.assert_allclose(e.time(far), rows.time(far), rtol=0.02)
    lo, hi = e.field((0.0, 0.0, 0.0), "P").bounds()
    assert lo == [-20.0, -20.0, 0.0] and hi == [20.0, 20.0, 20.0]
    with pytest.raises(ValueError, match="outside the travel-time domain"):
        e.time([[0.0, 0.0, 30.0]])
    with pytest.raises(ValueError, match="travel_time.model"):
        eqnemix.travel_time_model(settings={"travel_time": {"kind": "layered"}})


def test_eikonal_from_a_velocity_array():
    # A uniform 6 km/s grid: the solution is r / v up to discretisation error.
    vp = np.full((41, 41, 21), 6.0)
    m = eqnemix.eikonal(vp, origin_km=(-20, -20, 0), spacing_km=(1, 1, 1), vp_vs=6.0 / 3.5)
    pts = RNG.uniform([-15, -15, 2], [15, 15, 15], size=(30, 3))
    pts = pts[np.linalg.norm(pts, axis=1) > 5.0]
    r = np.linalg.norm(pts, axis=1)
    np.testing.assert_allclose(m.time(pts), r / 6.0, rtol=5e-3)
    np.testing.assert_allclose(m.time(pts, phase="S"), r / 3.5, rtol=5e-3)
    # A velocity increasing with depth (an (nx, ny, nz) array in C order)
    # against the same model given with explicit S grids.
    z = np.arange(21.0)
    vp2 = np.broadcast_to(5.0 + 0.1 * z, (41, 41, 21))
    a = eqnemix.eikonal(vp2, (-20, -20, 0), (1, 1, 1), vp_vs=1.75)
    b = eqnemix.eikonal(vp2, (-20, -20, 0), (1, 1, 1), vs_km_s=vp2 / 1.75)
    np.testing.assert_allclose(a.time(pts, phase="S"), b.time(pts, phase="S"), rtol=1e-9)
    # Faster at depth: a deep point is reached sooner than at the constant top velocity.
    assert a.time([0.0, 0.0, 15.0]) < 15.0 / 5.0
    with pytest.raises(ValueError, match="must be a 3-D array"):
        eqnemix.eikonal(np.ones((4, 4)), (0, 0, 0), (1, 1, 1), vp_vs=1.7)
    with pytest.raises(ValueError, match="exactly one of"):
        eqnemix.eikonal(vp, (0, 0, 0), (1, 1, 1))
    with pytest.raises(ValueError, match="spacing_km"):
        eqnemix.eikonal(vp, (0, 0, 0), (1, -1, 1), vp_vs=1.7)
    bad = vp.copy()
    bad[3, 4, 5] = -1.0
    with pytest.raises(ValueError, match="P velocity grid"):
        eqnemix.eikonal(bad, (0, 0, 0), (1, 1, 1), vp_vs=1.7)
    with pytest.raises(ValueError, match="differ in geometry|shape"):
        eqnemix.eikonal(vp, (0, 0, 0), (1, 1, 1), vs_km_s=np.ones((41, 41, 20)))


def test_no_points_give_empty_arrays():
    m = eqnemix.homogeneous(6.0, 3.5)
    t, g = m.time_and_gradient(np.zeros((0, 3)))
    assert t.shape == (0,) and g.shape == (0, 3)
