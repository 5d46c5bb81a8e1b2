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


def test_to_inference_data_and_arviz_agree_with_eqnemix_convergence():
    # ArviZ is pinned in requirements-test.txt: run-tests.sh always has it.
    import arviz as az

    res = eqnemix.sample(gaussian, "nuts", dim=DIM, n_chains=3, seed=2, n_warmup=100, n_draws=150)
    idata = eqnemix.to_inference_data(res)
    assert isinstance(idata, az.InferenceData)
    x = idata.posterior["x"]
    assert x.dims == ("chain", "draw", "x_dim")
    assert x.shape == (3, 150, DIM)
    np.testing.assert_array_equal(x.values, res["draws"])
    ss = idata.sample_stats
    assert set(ss.data_vars) == {"lp", "acceptance_rate", "step_size", "tree_depth", "n_steps", "diverging", "energy"}
    for name in ss.data_vars:
        assert ss[name].dims == ("chain", "draw"), name
    assert ss["diverging"].dtype == bool
    np.testing.assert_array_equal(ss["lp"].values, res["stats"]["log_density"])
    np.testing.assert_array_equal(ss["n_steps"].values, res["stats"]["n_grad_evals"])
    # ArviZ's energy BFMI reads the same statistic.
    assert np.all(np.isfinite(az.bfmi(idata)))
    # Same draws, same R-hat and ESS in ArviZ and in eqnemix.
    ours = eqnemix.convergence(res)
    for k in range(DIM):
        one = idata.posterior.sel(x_dim=k)
        assert float(az.rhat(one, method="rank")["x"]) == pytest.approx(ours["rhat"][k], rel=1e-9, abs=1e-12), k
        assert float(az.ess(one, method="bulk")["x"]) == pytest.approx(ours["ess_bulk"][k], rel=1e-6), k
        assert float(az.ess(one, method="tail")["x"]) == pytest.approx(ours["ess_tail"][k], rel=1e-6), k


def test_to_inference_data_of_a_posterior_with_coordinate_labels(picks, stations):
    import arviz as az

    from conftest import COVS, HOMOGENEOUS, MEANS

    post = eqnemix.posterior(picks, stations, clusters=(MEANS, COVS), weights=[0.8, 0.1, 0.1], settings=HOMOGENEOUS)
    res = eqnemix.sample(post, "metropolis", n_chains=2, seed=4, n_warmup=200, n_draws=300)
    idata = eqnemix.to_inference_data(res, var_name="hypocentre", coords=["east_km", "north_km", "depth_km"])
    h = idata.posterior["hypocentre"]
    assert h.dims == ("chain", "draw", "hypocentre_dim")
    assert list(h["hypocentre_dim"].values) == ["east_km", "north_km", "depth_km"]
    # Metropolis has no step size, tree depth or energy: left out, not NaN.
    assert "lp" in idata.sample_stats and "tree_depth" not in idata.sample_stats
    ours = eqnemix.convergence(res["draws"])
    arviz_rhat = az.rhat(idata, method="rank")["hypocentre"].values
    np.testing.assert_allclose(arviz_rhat, ours["rhat"], rtol=1e-9)
    with pytest.raises(ValueError, match="coords has 2 labels"):
        eqnemix.to_inference_data(res, coords=["a", "b"])
    with pytest.raises(ValueError, match=r"shape \(chain, draw, dim\)"):
        eqnemix.convergence(np.zeros((3, 4)))


def test_to_inference_data_resamples_weighted_draws_so_arviz_summaries_are_weighted(picks, stations):
    import arviz as az

    from conftest import COVS, HOMOGENEOUS, MEANS

    post = eqnemix.posterior(picks, stations, clusters=(MEANS, COVS), weights=[0.8, 0.1, 0.1], settings=HOMOGENEOUS)
    res = eqnemix.sample(post, "importance", seed=5)
    w = res["weights"][0]
    x = res["draws"][0]
    weighted_mean = (w[:, None] * x).sum(axis=0)
    weighted_sd = np.sqrt((w[:, None] * (x - weighted_mean) ** 2).sum(axis=0))
    kish = 1.0 / np.sum(w * w)

    idata = eqnemix.to_inference_data(res, coords=["east_km", "north_km", "depth_km"], seed=1)
    r = idata.posterior["x"].values
    assert r.shape == res["draws"].shape
    # Every resampled draw is one of the sampler's draws, its statistics with it.
    rows = {tuple(v): i for i, v in enumerate(x)}
    picked = np.array([rows[tuple(v)] for v in r[0]])
    np.testing.assert_array_equal(idata.sample_stats["lp"].values[0], res["stats"]["log_density"][0][picked])
    # Systematic resampling: each draw is picked floor(n w) or ceil(n w) times.
    n = len(w)
    counts = np.bincount(picked, minlength=n)
    assert np.all(counts >= np.floor(n * w) - 1e-9) and np.all(counts <= np.ceil(n * w) + 1e-9)
    # ArviZ's summary now estimates the weighted posterior mean (within
    # 4 Monte-Carlo standard errors of the weighted mean).
    summary = az.summary(idata, kind="stats")
    got = summary["mean"].to_numpy()
    assert np.all(np.abs(got - weighted_mean) <= 4 * weighted_sd / np.sqrt(kish) + 0.01), (got, weighted_mean)
    assert idata.posterior.attrs["weights_ess"] == [pytest.approx(kish)]
    # Same seed, same resample.
    again = eqnemix.to_inference_data(res, seed=1)
    np.testing.assert_array_equal(again.posterior["x"].values, r)

    # weights="carry": the draws as they are, the weights alongside.
    carried = eqnemix.to_inference_data(res, weights="carry")
    np.testing.assert_array_equal(carried.posterior["x"].values, res["draws"])
    np.testing.assert_allclose(carried.sample_stats["weight"].values, res["weights"])
    with pytest.raises(ValueError, match="'resample' or 'carry'"):
        eqnemix.to_inference_data(res, weights="ignore")
    bad = dict(res, weights=-res["weights"])
    with pytest.raises(ValueError, match=">= 0"):
        eqnemix.to_inference_data(bad)
    # Unweighted results pass through unchanged.
    nuts = eqnemix.sample(post, "nuts", n_chains=2, seed=5, n_warmup=100, n_draws=100)
    np.testing.assert_array_equal(eqnemix.to_inference_data(nuts).posterior["x"].values, nuts["draws"])


def test_to_inference_data_of_a_locate_result_pools_its_weighted_draws(picks, stations):
    import arviz as az

    from conftest import COVS, HOMOGENEOUS, MEANS

    res = eqnemix.locate(picks, stations, clusters=(MEANS, COVS), weights=[0.8, 0.1, 0.1], settings=HOMOGENEOUS, seed=1)
    x, w = np.concatenate(res["draws"]), np.concatenate(res["draw_weights"])
    w = w / w.sum()
    idata = eqnemix.to_inference_data(res, coords=["east_km", "north_km", "depth_km"])
    assert idata.posterior["x"].shape == (1, len(x), 3)
    mean = (w[:, None] * x).sum(axis=0)
    sd = np.sqrt((w[:, None] * (x - mean) ** 2).sum(axis=0))
    got = az.summary(idata, kind="stats")["mean"].to_numpy()
    assert np.all(np.abs(got - mean) <= 4 * sd * np.sqrt(np.sum(w * w)) + 0.01), (got, mean)
    carried = eqnemix.to_inference_data(res, weights="carry")
    np.testing.assert_allclose(carried.sample_stats["weight"].values[0], w)
    with pytest.raises(ValueError, match="draw_weights"):
        eqnemix.to_inference_data({"draws": [x], "draw_weights": [w[:-1]]})
