"""local_km: the projection of eqnemix locate (WGS84 azimuthal equidistant)."""

import numpy as np
import pytest

import eqnemix


def test_local_km_of_the_origin_and_of_a_degree_north():
    origin = (-117.6, 35.7)
    np.testing.assert_allclose(eqnemix.local_km(-117.6, 35.7, origin), [0.0, 0.0], atol=1e-9)
    # One degree of latitude at 35.7-36.7 N on WGS84 is 110.97 km.
    en = eqnemix.local_km([-117.6, -117.6], [36.7, 34.7], origin)
    assert en.shape == (2, 2)
    assert abs(en[0, 0]) < 1e-9 and en[0, 1] == pytest.approx(110.97, abs=0.05)
    assert en[1, 1] == pytest.approx(-110.95, abs=0.05)


def test_local_km_bad_input_raises_value_error():
    with pytest.raises(ValueError, match="origin_lon_lat"):
        eqnemix.local_km(0.0, 0.0, (0.0, 95.0))
    with pytest.raises(ValueError, match="point 1"):
        eqnemix.local_km([0.0, 0.0], [0.0, float("nan")], (0.0, 0.0))
    with pytest.raises(ValueError, match="one shape"):
        eqnemix.local_km([0.0, 1.0], [0.0], (0.0, 0.0))
