//! The 3D grid travel-time model: P and S velocity grids, fields by eikonal.

use super::{check_velocity, solve_checked, EikonalOptions};
use crate::{Grid3, Phase, Station, TimeGrid, TravelTimeError, TravelTimeField, TravelTimeModel};
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Cache key: station code, position bits, phase.
type Key = (String, [u64; 3], Phase);

/// A travel-time model on 3D velocity grids (km/s) for P and S.
///
/// [`TravelTimeModel::field`] solves the eikonal equation with the source
/// at the station (reciprocity: the time from any hypocentre to the station
/// equals the time from the station to the hypocentre) and keeps the result,
/// so asking again for the same station and phase costs nothing. Use
/// [`EikonalModel::fields`] or [`EikonalModel::precompute`] to solve several
/// fields at the same time on all cores.
#[derive(Debug)]
pub struct EikonalModel {
    vp: Grid3<f64>,
    vs: Grid3<f64>,
    /// Vp/Vs when one number everywhere: S fields are then P fields scaled.
    uniform_vp_vs: Option<f64>,
    opts: EikonalOptions,
    cache: Mutex<HashMap<Key, Arc<TimeGrid>>>,
}

impl EikonalModel {
    /// A model from P and S velocity grids (km/s) of identical geometry.
    ///
    /// Errors ([`TravelTimeError::InvalidModel`]): a bad geometry, different
    /// geometries, or a non-positive / non-finite velocity (naming the grid
    /// and the node index).
    pub fn new(vp: Grid3<f64>, vs: Grid3<f64>) -> Result<Self, TravelTimeError> {
        check_velocity(&vp, "P velocity grid")?;
        check_velocity(&vs, "S velocity grid")?;
        if vp.geometry != vs.geometry {
            return Err(TravelTimeError::InvalidModel(format!(
                "P and S velocity grids differ in geometry: {:?} vs {:?}",
                vp.geometry, vs.geometry
            )));
        }
        let uniform_vp_vs = crate::velocity::uniform_vp_vs(&vp, &vs);
        Ok(EikonalModel { vp, vs, uniform_vp_vs, opts: EikonalOptions::default(), cache: Mutex::new(HashMap::new()) })
    }

    /// A model from a P velocity grid (km/s) and a constant `vp_vs` ratio.
    pub fn from_vp_and_ratio(vp: Grid3<f64>, vp_vs: f64) -> Result<Self, TravelTimeError> {
        if !(vp_vs.is_finite() && vp_vs > 0.0) {
            return Err(TravelTimeError::InvalidModel(format!("Vp/Vs ratio must be finite and positive (is {vp_vs})")));
        }
        let vs = Grid3 { geometry: vp.geometry, data: vp.data.iter().map(|v| v / vp_vs).collect() };
        Self::new(vp, vs)
    }

    /// The same model with other solver options.
    pub fn with_options(mut self, opts: EikonalOptions) -> Self {
        self.opts = opts;
        self.cache.get_mut().map(|c| c.clear()).ok();
        self
    }

    /// The velocity grid (km/s) of `phase`.
    pub fn velocity(&self, phase: Phase) -> &Grid3<f64> {
        match phase {
            Phase::P => &self.vp,
            Phase::S => &self.vs,
        }
    }

    /// The solver options.
    pub fn options(&self) -> &EikonalOptions {
        &self.opts
    }

    /// The stored time grid of `station` and `phase`, solving it if needed.
    pub fn time_grid(&self, station: &Station, phase: Phase) -> Result<Arc<TimeGrid>, TravelTimeError> {
        let key: Key = (station.code.clone(), station.position_km.map(f64::to_bits), phase);
        if let Some(grid) = self.cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return Ok(grid);
        }
        // Solve outside the lock so that other fields are solved meanwhile.
        let grid = match (phase, self.uniform_vp_vs) {
            (Phase::S, Some(r)) => Arc::new(self.time_grid(station, Phase::P)?.scaled_slowness(r)),
            _ => Arc::new(solve_checked(self.velocity(phase), station.position_km, &self.opts, None, &station.code)?),
        };
        if let Ok(mut cache) = self.cache.lock() {
            cache.entry(key).or_insert_with(|| grid.clone());
        }
        Ok(grid)
    }

    /// The P and S fields of `station`, solved in parallel (or P alone and
    /// scaled, where Vp/Vs is one number).
    pub fn fields(&self, station: &Station) -> Result<(Arc<TimeGrid>, Arc<TimeGrid>), TravelTimeError> {
        if self.uniform_vp_vs.is_some() {
            let p = self.time_grid(station, Phase::P)?;
            return Ok((p, self.time_grid(station, Phase::S)?));
        }
        let (p, s) = rayon::join(|| self.time_grid(station, Phase::P), || self.time_grid(station, Phase::S));
        Ok((p?, s?))
    }

    /// Solve (and keep) the P and S fields of every station, in parallel.
    /// Where Vp/Vs is one number, the P fields are solved and the S fields
    /// scaled from them.
    pub fn precompute(&self, stations: &[Station]) -> Result<(), TravelTimeError> {
        if self.uniform_vp_vs.is_some() {
            stations.par_iter().try_for_each(|s| self.time_grid(s, Phase::P).map(|_| ()))?;
            return stations.iter().try_for_each(|s| self.time_grid(s, Phase::S).map(|_| ()));
        }
        stations
            .par_iter()
            .flat_map(|s| [(s, Phase::P), (s, Phase::S)])
            .try_for_each(|(s, phase)| self.time_grid(s, phase).map(|_| ()))
    }

    /// Vp/Vs when it is one number at every node (S fields are then the P
    /// fields scaled, not solved).
    pub fn uniform_vp_vs(&self) -> Option<f64> {
        self.uniform_vp_vs
    }
}

impl TravelTimeModel for EikonalModel {
    fn field(&self, station: &Station, phase: Phase) -> Result<Arc<dyn TravelTimeField>, TravelTimeError> {
        Ok(self.time_grid(station, phase)?)
    }
}
