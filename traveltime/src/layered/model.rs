//! The layered model itself: flat layers over a half-space, validated.

use super::rays::LayerStack;
use super::table::{LayeredField, TableSpec, TravelTimeTable};
use crate::{OutsideDomain, Phase, Station, TravelTimeError, TravelTimeField, TravelTimeModel};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// One flat layer: constant velocities from `top_km` down to the next
/// layer's top (the last layer is the half-space below its top).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Layer {
    /// Depth of the layer's top (km, positive down). The first layer's top is
    /// informational: the first layer extends upward to any station or source
    /// above it.
    pub top_km: f64,
    /// P-wave velocity (km/s).
    pub vp_km_s: f64,
    /// S-wave velocity (km/s).
    pub vs_km_s: f64,
}

impl Layer {
    /// A layer with top depth `top_km` (km) and velocities (km/s).
    pub fn new(top_km: f64, vp_km_s: f64, vs_km_s: f64) -> Self {
        Layer { top_km, vp_km_s, vs_km_s }
    }

    /// The velocity (km/s) of `phase` in this layer.
    pub fn velocity(&self, phase: Phase) -> f64 {
        match phase {
            Phase::P => self.vp_km_s,
            Phase::S => self.vs_km_s,
        }
    }
}

/// A 1D model of flat homogeneous layers over a half-space.
///
/// Travel times are exact first arrivals (direct ray or head wave along any
/// interface below both ends where the lower medium is faster than every
/// layer the legs cross), computed once per station and phase on a table
/// over (epicentral distance, depth) and interpolated smoothly with a C¹
/// bicubic Hermite scheme (see [`TableSpec`]). Depths are km positive down;
/// velocities km/s; the station may sit above the datum (negative depth):
/// the first layer extends up to it.
///
/// ```
/// use eqnemix_traveltime::{Layer, Layered1D, Phase, Station, TravelTimeModel};
/// // 30 km crust (6 km/s) over an 8 km/s mantle
/// let model = Layered1D::new(vec![Layer::new(0.0, 6.0, 3.5), Layer::new(30.0, 8.0, 4.6)])?;
/// let station = Station { code: "XX.STA".into(), position_km: [0.0, 0.0, 0.0] };
/// let p = model.field(&station, Phase::P)?;
/// // a shallow source 30 km away: the direct ray is the straight line
/// let t = p.time([30.0, 0.0, 10.0])?;
/// assert!((t - (30.0f64.hypot(10.0) / 6.0)).abs() < 0.02);
/// // far away, the Moho head wave arrives first
/// let (t, g) = p.time_and_gradient([0.0, 200.0, 10.0])?;
/// assert!(t < 200.0f64.hypot(10.0) / 6.0);
/// assert!((g[1] - 1.0 / 8.0).abs() < 1e-3); // dT/dy = 1 / Vn
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Layered1D {
    layers: Vec<Layer>,
    /// Ray tracers of the P and S velocities.
    stacks: [LayerStack; 2],
    table: TableSpec,
    /// Tables already built, keyed by (station depth bits, phase); fields of
    /// stations at the same depth share one table.
    cache: Mutex<HashMap<(u64, Phase), Arc<TravelTimeTable>>>,
}

impl Clone for Layered1D {
    fn clone(&self) -> Self {
        Layered1D {
            layers: self.layers.clone(),
            stacks: self.stacks.clone(),
            table: self.table,
            cache: Mutex::new(HashMap::new()),
        }
    }
}

impl PartialEq for Layered1D {
    fn eq(&self, other: &Self) -> bool {
        self.layers == other.layers && self.table == other.table
    }
}

impl Layered1D {
    /// A validated model with the default table ([`TableSpec::default`]).
    ///
    /// Layers are given top-down; tops must increase strictly (every layer
    /// but the last has a positive thickness) and velocities must be positive
    /// and finite. Errors ([`TravelTimeError::InvalidModel`]) name the layer
    /// (0-based) and field.
    pub fn new(layers: Vec<Layer>) -> Result<Self, TravelTimeError> {
        validate_layers(&layers)?;
        let tops: Vec<f64> = layers.iter().map(|l| l.top_km).collect();
        let vp: Vec<f64> = layers.iter().map(|l| l.vp_km_s).collect();
        let vs: Vec<f64> = layers.iter().map(|l| l.vs_km_s).collect();
        let stacks = [LayerStack::new(&tops, &vp), LayerStack::new(&tops, &vs)];
        Ok(Layered1D { layers, stacks, table: TableSpec::default(), cache: Mutex::new(HashMap::new()) })
    }

    /// A model from layer thicknesses (km) and velocities (km/s), top at
    /// depth 0, with the half-space velocities `half_space = (vp, vs)` below.
    pub fn from_thicknesses(layers: &[(f64, f64, f64)], half_space: (f64, f64)) -> Result<Self, TravelTimeError> {
        let mut out = Vec::with_capacity(layers.len() + 1);
        let mut top = 0.0;
        for (i, &(h, vp, vs)) in layers.iter().enumerate() {
            if !(h.is_finite() && h > 0.0) {
                return Err(TravelTimeError::InvalidModel(format!(
                    "layer {i}: thickness_km = {h} must be positive and finite"
                )));
            }
            out.push(Layer::new(top, vp, vs));
            top += h;
        }
        out.push(Layer::new(top, half_space.0, half_space.1));
        Layered1D::new(out)
    }

    /// The same model with another table specification (validated).
    pub fn with_table(mut self, table: TableSpec) -> Result<Self, TravelTimeError> {
        table.validate()?;
        self.table = table;
        self.cache = Mutex::new(HashMap::new());
        Ok(self)
    }

    /// The layers, top-down.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// The table specification used by [`TravelTimeModel::field`].
    pub fn table_spec(&self) -> &TableSpec {
        &self.table
    }

    /// The index of the layer containing depth `z_km` (a point on an
    /// interface belongs to the layer below).
    pub fn layer_index(&self, z_km: f64) -> usize {
        layer_index(&self.layers, z_km)
    }

    /// Exact first-arrival time (s) between a station at depth
    /// `station_depth_km` and a source at epicentral distance `distance_km`
    /// and depth `depth_km` (km), without tabulation; also returns
    /// `[dT/dΔ, dT/dz]` (s/km). Slower than a field (a root find per call);
    /// meant for checks and one-off times. Errors on non-finite input.
    pub fn exact_time(
        &self,
        phase: Phase,
        station_depth_km: f64,
        distance_km: f64,
        depth_km: f64,
    ) -> Result<(f64, [f64; 2]), OutsideDomain> {
        if !(station_depth_km.is_finite() && distance_km.is_finite() && depth_km.is_finite()) || distance_km < 0.0 {
            return Err(OutsideDomain::at([distance_km, 0.0, depth_km]));
        }
        let rays = self.stack(phase);
        let jr = self.layer_index(station_depth_km);
        let js = self.layer_index(depth_km);
        let a = rays.first_arrival(distance_km, depth_km, js, station_depth_km, jr);
        Ok((a.time_s, [a.dt_ddist, a.dt_dz]))
    }

    /// The exact ray tracer of `phase`.
    pub fn stack(&self, phase: Phase) -> &LayerStack {
        match phase {
            Phase::P => &self.stacks[0],
            Phase::S => &self.stacks[1],
        }
    }

    /// The velocities (km/s) of `phase`, top-down.
    pub fn velocities(&self, phase: Phase) -> Vec<f64> {
        self.layers.iter().map(|l| l.velocity(phase)).collect()
    }

    /// Build (or fetch from the cache) the travel-time table of a station at
    /// depth `station_depth_km` for `phase`.
    pub fn table(&self, station_depth_km: f64, phase: Phase) -> Result<Arc<TravelTimeTable>, TravelTimeError> {
        let key = (station_depth_km.to_bits(), phase);
        if let Some(t) = self.cache.lock().map_err(|_| poisoned())?.get(&key) {
            return Ok(t.clone());
        }
        let tops: Vec<f64> = self.layers.iter().map(|l| l.top_km).collect();
        let table = Arc::new(TravelTimeTable::build(&tops, &self.velocities(phase), station_depth_km, &self.table)?);
        self.cache.lock().map_err(|_| poisoned())?.insert(key, table.clone());
        Ok(table)
    }

    /// The concrete field of `station` for `phase` (what
    /// [`TravelTimeModel::field`] returns behind a trait object).
    pub fn layered_field(&self, station: &Station, phase: Phase) -> Result<LayeredField, TravelTimeError> {
        let s = station.position_km;
        if !s.iter().all(|c| c.is_finite()) {
            return Err(TravelTimeError::StationOutside { station: station.code.clone(), source: OutsideDomain::at(s) });
        }
        let table = self.table(s[2], phase)?;
        Ok(LayeredField::new([s[0], s[1]], table))
    }
}

fn poisoned() -> TravelTimeError {
    TravelTimeError::InvalidModel("layered model table cache was poisoned by a panic".into())
}

impl TravelTimeModel for Layered1D {
    fn field(&self, station: &Station, phase: Phase) -> Result<Arc<dyn TravelTimeField>, TravelTimeError> {
        Ok(Arc::new(self.layered_field(station, phase)?))
    }
}

/// Index of the layer containing `z` (tops sorted; interface points go to
/// the layer below; anything above the first top is in layer 0).
pub(crate) fn layer_index(layers: &[Layer], z: f64) -> usize {
    let mut j = 0;
    for (i, l) in layers.iter().enumerate().skip(1) {
        if z >= l.top_km {
            j = i;
        } else {
            break;
        }
    }
    j
}

/// Check a layer list: not empty, finite strictly increasing tops,
/// velocities passing [`crate::velocity::check_vp_vs`] (finite, in range,
/// Vp > Vs). Errors name the layer index and field.
pub fn validate_layers(layers: &[Layer]) -> Result<(), TravelTimeError> {
    if layers.is_empty() {
        return Err(TravelTimeError::InvalidModel("layered model has no layers".into()));
    }
    for (i, l) in layers.iter().enumerate() {
        if !l.top_km.is_finite() {
            return Err(TravelTimeError::InvalidModel(format!("layer {i}: top_km = {} must be finite", l.top_km)));
        }
        crate::velocity::check_vp_vs(l.vp_km_s, l.vs_km_s, ["vp", "vs"])
            .map_err(|what| TravelTimeError::InvalidModel(format!("layer {i}: {what}")))?;
        if i > 0 {
            let h = l.top_km - layers[i - 1].top_km;
            if h <= 0.0 {
                return Err(TravelTimeError::InvalidModel(format!(
                    "layer {}: thickness {h} km (top_km {} to next top_km {}) must be positive",
                    i - 1,
                    layers[i - 1].top_km,
                    l.top_km
                )));
            }
        }
    }
    Ok(())
}
