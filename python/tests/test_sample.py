"""Samplers by name through Python: NUTS on a Python callable (a 10-D
Gaussian) against its known moments, with tolerances from the Monte Carlo
error; the posterior sampled reproducibly; bad settings as ValueError."""

import numpy as np
import pytest

import eqnemix

DIM = 10
MU = np.linspace(-2.0, 2.0, DIM)
SD = np.linspace(0.5, 3.0, DIM)
# A correlated Gaussian: covariance D R D with R of correlation 0.5 between neighbours.
R = np.eye(DIM) + 0.5 * (np.eye(DIM, k=1) + np.eye(DIM, k=-1))
COV = np.diag(SD) @ R @ np.diag(SD)
PREC = np.linalg.inv(COV)


def gaussian(x):
    d = x - MU
    g = -PREC @ d
    return 0.5 * float(d @ g), g


def batch_mcse(values, n_batches=20):
    """Monte Carlo standard error of the mean of `values` (chain, draw) by batch means."""
    c, n = values.shape
    b = n // n_batches
    means = values[:, : b * n_batches].reshape(c * n_batches, b).mean(axis=1)
    return means.std(ddof=1) / np.sqrt(len(means))


def test_nuts_on_a_python_callable_matches_the_moments_of_a_10d_gaussian():
    # On seeds 1-8 the z-scores (error / batch-means MCSE) of these 20
    # moments looked standard normal (largest |z| 2.3), so 4.5 MCSE is a
    # bound a correct sampler crosses about once in 10^4 runs.
    res = eqnemix.sample(gaussian, "nuts", dim=DIM, n_chains=4, seed=1, n_warmup=500, n_draws=1000)
    draws = res["draws"]
    assert res["sampler"] == "nuts"
    assert draws.shape == (4, 1000, DIM)
    assert res["stats"]["divergent"].shape == (4, 1000)
    assert res["stats"]["divergent"].sum() == 0
    assert np.all(np.isfinite(res["stats"]["step_size"]))
    mean = draws.mean(axis=(0, 1))
    var = draws.var(axis=(0, 1))
    for k in range(DIM):
        x = draws[:, :, k]
        # Mean within 4.5 Monte Carlo standard errors (batch means).
        se = batch_mcse(x)
        assert abs(mean[k] - MU[k]) < 4.5 * se, (k, mean[k], MU[k], se)
        # Variance: the mean of (x - mu)^2, within 4.5 of its own standard errors.
        sq = (x - MU[k]) ** 2
        se2 = batch_mcse(sq)
        assert abs(sq.mean() - COV[k, k]) < 4.5 * se2, (k, var[k], COV[k, k], se2)
    # The neighbour correlations.
    flat = draws.reshape(-1, DIM)
    corr = np.corrcoef(flat.T)
    np.testing.assert_allclose(np.diag(corr, 1), 0.5, atol=0.05)
    # Same seed, same draws.
    again = eqnemix.sample(gaussian, "nuts", dim=DIM, n_chains=4, seed=1, n_warmup=500, n_draws=1000)
    np.testing.assert_array_equal(again["draws"], draws)


def test_gradient_free_sampler_on_a_callable_without_gradient():
    def logp(x):
        return -0.5 * float(x @ x)

    res = eqnemix.sample(logp, "metropolis", dim=2, n_chains=2, seed=3, gradient=False, n_warmup=500, n_draws=2000)
    assert res["draws"].shape == (2, 2000, 2)
    assert np.all(np.abs(res["draws"].mean(axis=(0, 1))) < 0.25)
    with pytest.raises(ValueError, match="needs the gradient"):
        eqnemix.sample(logp, "nuts", dim=2, gradient=False)


def test_an_exception_in_the_callable_is_raised_by_sample():
    def broken(x):
        raise ZeroDivisionError("boom from the density")

    with pytest.raises(ZeroDivisionError, match="boom from the density"):
        eqnemix.sample(broken, "nuts", dim=3, n_chains=2, n_warmup=10, n_draws=10)

    def wrong_gradient(x):
        return 0.0, np.zeros(2)

    with pytest.raises(ValueError, match="the gradient has 2 entries"):
        eqnemix.sample(wrong_gradient, "nuts", dim=3, n_chains=1, n_warmup=10, n_draws=10)


def test_bad_sampler_names_and_settings_raise_value_error():
    with pytest.raises(ValueError, match="unknown variant `nutz`"):
        eqnemix.sample(gaussian, "nutz", dim=DIM)
    with pytest.raises(ValueError, match="unknown key `sampler.n_draw`"):
        eqnemix.sample(gaussian, "nuts", dim=DIM, n_draw=10)
    with pytest.raises(ValueError, match="sampler.target_accept"):
        eqnemix.sample(gaussian, "nuts", dim=DIM, target_accept=1.5)
    with pytest.raises(ValueError, match=r"inits must have shape"):
        eqnemix.sample(gaussian, "nuts", inits=np.zeros((3, 2, 2)))
    with pytest.raises(ValueError, match="give dim"):
        eqnemix.sample(gaussian, "nuts")
    with pytest.raises(ValueError, match="n_chains"):
        eqnemix.sample(gaussian, "nuts", dim=DIM, n_chains=0)


def test_sampling_the_posterior_is_reproducible(picks, stations):
    from conftest import COVS, HOMOGENEOUS, MEANS

    post = eqnemix.posterior(picks, stations, clusters=(MEANS, COVS), weights=[0.8, 0.1, 0.1], settings=HOMOGENEOUS)
    a = eqnemix.sample(post, "nuts", n_chains=2, seed=5, n_warmup=200, n_draws=200)
    b = eqnemix.sample(post, "nuts", n_chains=2, seed=5, n_warmup=200, n_draws=200)
    assert a["draws"].shape == (2, 200, 3)
    np.testing.assert_array_equal(a["draws"], b["draws"])
    # Every draw lies in the region box.
    lo, hi = post.bounds()
    assert np.all(a["draws"] >= lo) and np.all(a["draws"] <= hi)
    # A population sampler runs once, with weights.
    imp = eqnemix.sample(post, "importance", seed=5)
    assert imp["draws"].shape[0] == 1 and imp["weights"].shape == imp["draws"].shape[:2]
    assert imp["weights"].sum() == pytest.approx(1.0)
    # The oct-tree partitions the posterior's box; its weighted mean is near the source.
    oct = eqnemix.sample(post, "octree", seed=5)
    mean = (oct["weights"][0][:, None] * oct["draws"][0]).sum(axis=0)
    assert np.linalg.norm(mean - [19.0, 11.0, 7.0]) < 4.0, mean
    assert oct["log_evidence"][0] is not None


def test_to_inference_data_when_arviz_is_installed():
    az = pytest.importorskip("arviz")
    res = eqnemix.sample(gaussian, "nuts", dim=DIM, n_chains=2, seed=2, n_warmup=100, n_draws=100)
    idata = eqnemix.to_inference_data(res)
    assert isinstance(idata, az.InferenceData)
    assert idata.posterior["x"].shape == (2, 100, DIM)
    assert "diverging" in idata.sample_stats
