//! Whether Vp/Vs is one number everywhere on a grid.
//!
//! The eikonal equation `|∇T| = 1/v` is homogeneous in the slowness: where
//! `vs = vp / r` at every node, the S travel-time field is exactly `r` times
//! the P field (the discrete solver's updates scale the same way). The
//! eikonal model and `eqnemix traveltime` then solve P alone and scale it.

use crate::Grid3;

/// Relative tolerance on `vp − r·vs` at a node: a ratio grid built as
/// `vs = vp / r` reproduces `r` to a few ulps; a real ratio variation is
/// orders of magnitude larger.
const RATIO_TOLERANCE: f64 = 1e-12;

/// The ratio `r` with `vp = r · vs` at every node (within
/// 1e-12 relative), or None when it varies, the grids differ in
/// size, or they are empty.
pub fn uniform_vp_vs(vp: &Grid3<f64>, vs: &Grid3<f64>) -> Option<f64> {
    if vp.data.len() != vs.data.len() || vp.geometry != vs.geometry {
        return None;
    }
    let (&p0, &s0) = (vp.data.first()?, vs.data.first()?);
    let r = p0 / s0;
    if !(r.is_finite() && r > 0.0) {
        return None;
    }
    vp.data
        .iter()
        .zip(&vs.data)
        .all(|(&p, &s)| (p - r * s).abs() <= RATIO_TOLERANCE * p.abs())
        .then_some(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::GridGeometry;

    fn grid(data: Vec<f64>) -> Grid3<f64> {
        Grid3 { geometry: GridGeometry { n: [2, 2, 1], origin_km: [0.0; 3], spacing_km: [1.0; 3] }, data }
    }

    #[test]
    fn a_ratio_built_by_division_is_found_and_a_varying_one_is_not() {
        let vp = grid(vec![5.0, 5.7, 6.1, 7.9]);
        let vs = grid(vp.data.iter().map(|v| v / 1.73).collect());
        let r = uniform_vp_vs(&vp, &vs).expect("uniform");
        assert!((r - 1.73).abs() < 1e-14, "{r}");
        let mut vs2 = vs.clone();
        vs2.data[3] *= 1.0 + 1e-6;
        assert_eq!(uniform_vp_vs(&vp, &vs2), None);
        assert_eq!(uniform_vp_vs(&vp, &grid(vec![1.0; 3])), None);
    }
}
