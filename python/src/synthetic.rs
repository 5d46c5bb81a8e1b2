//! The synthetic region of the Rust studies (`eqnemix::synthetic_region`)
//! for sensitivity studies driven from Python: its events, their posterior
//! under a chosen travel-time model and prior temperature, and the study
//! locator with its scores, so a Python sweep computes the numbers the
//! `sensitivity_study` example computes (same seeds, same code paths).

use crate::locate::{value_error, Posterior};
use crate::traveltime::TravelTimeModel;
use eqnemix::likelihood::LikelihoodOptions;
use eqnemix::locate::{locate_event, LocateOptions};
use eqnemix::summary::SummaryOptions;
use eqnemix::prior::PriorOptions;
use eqnemix::synthetic_region as sr;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

/// The standard synthetic region: one station `SYN` at the origin, five
/// cluster Gaussians, a four-layer crust (Vp 4.8/5.6/6.3/6.8 km/s, tops
/// 0/2/6/18 km, Vp/Vs 1.75), box 120 x 120 x 30 km, back-azimuth sigma 8 deg.
#[pyclass(module = "eqnemix", frozen)]
pub struct SyntheticRegion {
    region: sr::SyntheticRegion,
}

impl SyntheticRegion {
    fn with_sigma(&self, pick_sigma_s: Option<f64>) -> PyResult<sr::SyntheticRegion> {
        let mut r = self.region.clone();
        if let Some(s) = pick_sigma_s {
            if !(s.is_finite() && s > 0.0) {
                return Err(value_error(format!("pick_sigma_s must be finite and > 0; got {s}")));
            }
            r.pick_sigma_s = s;
        }
        Ok(r)
    }
}

#[pymethods]
impl SyntheticRegion {
    #[new]
    fn new() -> PyResult<Self> {
        Ok(Self { region: sr::SyntheticRegion::standard().map_err(value_error)? })
    }

    /// The crust's layers `(top_km, vp_km_s, vs_km_s)`.
    fn layers(&self) -> Vec<(f64, f64, f64)> {
        self.region.model.layers().iter().map(|l| (l.top_km, l.vp_km_s, l.vs_km_s)).collect()
    }

    /// The cluster Gaussians: `(mean_km, cov_km2)` per cluster, in id order.
    fn clusters(&self) -> Vec<([f64; 3], [[f64; 3]; 3])> {
        self.region.clusters.iter().map(|c| (c.mean_km, c.cov_km2)).collect()
    }

    /// The station `(code, (east_km, north_km, depth_km))`.
    #[getter]
    fn station(&self) -> (String, [f64; 3]) {
        (self.region.station.code.clone(), self.region.station.position_km)
    }

    /// The region box `((min east, north, depth), (max ...))` (km).
    #[getter]
    fn bounds(&self) -> ([f64; 3], [f64; 3]) {
        (self.region.region.min_km, self.region.region.max_km)
    }

    /// Event `index` of the stream `seed` with pick errors of `pick_sigma_s`
    /// (s; default 0.05): id, true hypocentre (km), cluster, classifier
    /// probabilities and the picks (seconds after the reference time).
    #[pyo3(signature = (index, seed, pick_sigma_s=None))]
    fn event<'py>(&self, py: Python<'py>, index: usize, seed: u64, pick_sigma_s: Option<f64>) -> PyResult<Bound<'py, PyDict>> {
        let r = self.with_sigma(pick_sigma_s)?;
        let e = r.draw_event(index, seed).map_err(value_error)?;
        event_dict(py, &e)
    }

    /// Event `index` of stream `seed` (as `event`) and its posterior:
    /// likelihood S-P + back-azimuth, prior the cluster Gaussians weighted
    /// by the event's probabilities at `temperature`, located with `model`
    /// (default the region's own crust).
    #[pyo3(signature = (index, seed, pick_sigma_s=None, model=None, temperature=1.0))]
    fn posterior<'py>(
        &self,
        py: Python<'py>,
        index: usize,
        seed: u64,
        pick_sigma_s: Option<f64>,
        model: Option<PyRef<'py, TravelTimeModel>>,
        temperature: f64,
    ) -> PyResult<(Posterior, Bound<'py, PyDict>)> {
        if !(temperature.is_finite() && temperature > 0.0) {
            return Err(value_error(format!("temperature must be finite and > 0; got {temperature}")));
        }
        let r = self.with_sigma(pick_sigma_s)?;
        let e = r.draw_event(index, seed).map_err(value_error)?;
        let prior = PriorOptions { temperature, ..Default::default() };
        let m = model.map(|m| m.model.clone());
        let post = py
            .detach(|| match &m {
                Some(m) => r.posterior_with(&e, m.as_ref(), &LikelihoodOptions::default(), &prior),
                None => r.posterior(&e, &LikelihoodOptions::default(), &prior),
            })
            .map_err(value_error)?;
        Ok((Posterior { posterior: post }, event_dict(py, &e)?))
    }
}

fn event_dict<'py>(py: Python<'py>, e: &sr::SyntheticEvent) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("id", &e.id)?;
    d.set_item("true_km", e.true_km.to_vec())?;
    d.set_item("cluster", e.cluster)?;
    d.set_item("probabilities", e.probabilities.clone())?;
    d.set_item("reference_time", e.picks.reference_time.to_rfc3339())?;
    let picks = PyList::empty(py);
    for s in &e.picks.stations {
        for (phase, p) in [("P", &s.p), ("S", &s.s)] {
            if let Some(p) = p {
                let r = PyDict::new(py);
                r.set_item("station", &s.station.code)?;
                r.set_item("phase", phase)?;
                r.set_item("time", p.time_s)?;
                r.set_item("sigma_s", p.sigma_s)?;
                picks.append(r)?;
            }
        }
        if let Some(b) = &s.back_azimuth {
            let r = PyDict::new(py);
            r.set_item("station", &s.station.code)?;
            r.set_item("phase", "BAZ")?;
            r.set_item("back_azimuth_deg", b.azimuth_deg)?;
            r.set_item("sigma_back_azimuth_deg", (1.0 / b.kappa.sqrt()).to_degrees())?;
            picks.append(r)?;
        }
    }
    d.set_item("picks", picks)?;
    Ok(d)
}

/// The studies' locator (`synthetic_region::locate_with`: `n_chains`
/// chains per mode region, no MAP refinement, averages over <= 2000 draws)
/// with the preset `sampler` (`smc`, `nuts`, `octree`, `importance`), and
/// its scores against `truth_km` when given: posterior mean (km), area of
/// the 90 % epicentral ellipse (km^2, NaN without one), epicentral error
/// of the mean (km), whether the truth lies in the 90 % highest-density
/// region of the draws. Ctrl-C stops the run with `KeyboardInterrupt`,
/// as in `sample` (see `interrupt`).
#[pyfunction]
#[pyo3(signature = (posterior, sampler, n_chains, seed, truth_km=None))]
pub fn study_locate<'py>(
    py: Python<'py>,
    posterior: PyRef<'py, Posterior>,
    sampler: &str,
    n_chains: usize,
    seed: u64,
    truth_km: Option<[f64; 3]>,
) -> PyResult<Bound<'py, PyDict>> {
    let cfg = sr::study_sampler(sampler)
        .ok_or_else(|| value_error(format!("unknown study sampler {sampler:?} (smc, nuts, octree, importance)")))?;
    if n_chains == 0 {
        return Err(value_error("n_chains must be > 0"));
    }
    let post = &posterior.posterior;
    // Off the calling thread with Python's signals polled (Ctrl-C raises
    // KeyboardInterrupt, see `interrupt`): the options of
    // `synthetic_region::locate_with` plus the cancel flag, which stops the
    // sampler at its next iteration (population samplers between stages).
    let (loc, hpd) = crate::interrupt::run(py, |c| {
        let options = LocateOptions {
            n_chains,
            seed,
            summary: SummaryOptions { map_refine_steps: 0, max_draws_for_averages: 2000, ..Default::default() },
            cancel: Some(c.clone()),
            ..Default::default()
        };
        let loc = locate_event(post, &cfg, &options).map_err(|e| e.to_string())?;
        let hpd = truth_km.map(|t| sr::in_hpd_region(post, &loc.chains, t, 0.9));
        Ok::<_, String>((loc, hpd))
    })?
    .map_err(crate::LocateError::new_err)?;
    let d = PyDict::new(py);
    d.set_item("mean_km", loc.summary.mean_km.to_vec())?;
    let area = loc.summary.epicentral_ellipse(0.9).map_or(f64::NAN, |e| std::f64::consts::PI * e.semi_major_km * e.semi_minor_km);
    d.set_item("area90_km2", area)?;
    if let Some(t) = truth_km {
        d.set_item("epicentral_error_km", sr::epicentral_distance(loc.summary.mean_km, t))?;
        d.set_item("in_hpd90", hpd.unwrap_or(false))?;
    }
    Ok(d)
}
