//! The 2D reduction of the eikonal solver for media that vary with depth
//! only (`EikonalOptions::axisymmetric`): against analytic two-layer times
//! (direct and head waves, an independent reference), against the 3D march
//! on the same grids (off-node sources, unequal spacings, random layered
//! media), its convergence with the refinement, and that it is not taken
//! when the medium varies laterally.

mod eikonal_common;

use eikonal_common::{both_paths, distance, march_3d, velocity_grid, Gradient, SplitMix};
use eqnemix_traveltime::{solve_eikonal, EikonalOptions, Grid3, GridGeometry, TimeGrid};

/// Max |a - b| (s) over the nodes of `g`.
fn max_difference(g: &GridGeometry, a: &TimeGrid, b: &TimeGrid) -> f64 {
    let mut worst: f64 = 0.0;
    for ix in 0..g.n[0] {
        for iy in 0..g.n[1] {
            for iz in 0..g.n[2] {
                worst = worst.max((a.time_at_node(ix, iy, iz) - b.time_at_node(ix, iy, iz)).abs());
            }
        }
    }
    worst
}

/// A layer of `v1` (km/s) over a half-space of `v2 > v1` below `depth` (km)
/// and a source at the surface: the first arrival at a receiver in the top
/// layer (depth `z <= depth`, horizontal distance `r`) is the direct wave
/// or, beyond the critical distance, the head wave along the interface.
struct TwoLayers {
    v1: f64,
    v2: f64,
    depth: f64,
}

impl TwoLayers {
    fn velocity(&self, p: [f64; 3]) -> f64 {
        if p[2] <= self.depth {
            self.v1
        } else {
            self.v2
        }
    }

    fn time(&self, source: [f64; 3], p: [f64; 3]) -> f64 {
        let direct = distance(source, p) / self.v1;
        let r = (p[0] - source[0]).hypot(p[1] - source[1]);
        let legs = (self.depth - source[2]) + (self.depth - p[2]);
        let cos_ic = (1.0 - (self.v1 / self.v2).powi(2)).sqrt();
        let tan_ic = (self.v1 / self.v2) / cos_ic;
        if r >= legs * tan_ic {
            direct.min(r / self.v2 + legs * cos_ic / self.v1)
        } else {
            direct
        }
    }
}

#[test]
fn random_layered_media_agree_with_a_finer_3d_march() {
    // Off-node sources (buried and at the surface), unequal spacings, 3 to 6
    // layers with velocities 3 to 8 km/s and gradients inside them. The
    // reference is the 3D march on a grid twice as fine holding the same
    // medium (the coarse grid's values, linear between its depth nodes).
    // Contrasts of up to 3x within one coarse cell are resolved less well
    // by the coarse 3D march (measured up to 0.094 s off; 0.31 s before the
    // box sweeps' second-order stencil had to be monotone), so the
    // reduction is held to the reference, and to be no worse than the
    // coarse march.
    let mut rng = SplitMix(20261206);
    for case in 0..6 {
        let g = GridGeometry { n: [45, 38, 29], origin_km: [-3.0, 2.0, -1.0], spacing_km: [0.6, 0.75, 0.5] };
        let layers: Vec<(f64, f64)> = {
            let count = 3 + (rng.next_u64() % 4) as usize;
            let mut tops: Vec<f64> = (0..count).map(|_| rng.uniform(0.0, 13.0)).collect();
            tops.sort_by(f64::total_cmp);
            tops.iter().map(|&t| (t, rng.uniform(3.0, 8.0))).collect()
        };
        let v = |z: f64| {
            let (top, v0) = layers.iter().rev().find(|(t, _)| z >= *t).copied().unwrap_or((-1.0, 2.5));
            v0 + 0.04 * (z - top)
        };
        // The coarse medium, linear between the coarse depth nodes.
        let (z0, hz) = (g.origin_km[2], g.spacing_km[2]);
        let medium = |p: [f64; 3]| {
            let u = ((p[2] - z0) / hz).clamp(0.0, (g.n[2] - 1) as f64);
            let k = (u.floor() as usize).min(g.n[2] - 2);
            let w = u - k as f64;
            (1.0 - w) * v(z0 + k as f64 * hz) + w * v(z0 + (k + 1) as f64 * hz)
        };
        let velocity = velocity_grid(g, medium);
        let fine = GridGeometry { n: g.n.map(|n| 2 * n - 1), origin_km: g.origin_km, spacing_km: g.spacing_km.map(|h| h / 2.0) };
        let max = g.max_km();
        let source = [
            rng.uniform(g.origin_km[0], max[0]),
            rng.uniform(g.origin_km[1], max[1]),
            if case % 2 == 0 { g.origin_km[2] } else { rng.uniform(0.0, 10.0) },
        ];
        let reduced = solve_eikonal(&velocity, source, &EikonalOptions::default(), None).unwrap();
        let marched = solve_eikonal(&velocity, source, &march_3d(EikonalOptions::default()), None).unwrap();
        let reference = solve_eikonal(&velocity_grid(fine, medium), source, &march_3d(EikonalOptions::default()), None).unwrap();
        let off = |field: &TimeGrid| {
            let mut worst: f64 = 0.0;
            for ix in 0..g.n[0] {
                for iy in 0..g.n[1] {
                    for iz in 0..g.n[2] {
                        worst = worst.max((field.time_at_node(ix, iy, iz) - reference.time_at_node(2 * ix, 2 * iy, 2 * iz)).abs());
                    }
                }
            }
            worst
        };
        let (e_reduced, e_marched) = (off(&reduced), off(&marched));
        println!("case {case}: {} layers, source {source:.2?}: max |T - finer 3D march| 2D reduction {e_reduced:.4} s, 3D march {e_marched:.4} s", layers.len());
        assert!(e_reduced <= 0.02, "case {case}: the 2D reduction is {e_reduced} s off the finer march");
        assert!(e_reduced <= e_marched + 0.005, "case {case}: 2D reduction {e_reduced} s, 3D march {e_marched} s");
    }
}

#[test]
fn head_waves_lie_between_the_analytic_times_of_the_gridded_interface() {
    // 5 km/s over 7 km/s; 0.5 km nodes, the last 5 km/s node at 6 km and
    // the first 7 km/s node at 6.5 km: the gridded (trilinear) medium ramps
    // between them, so its head waves lie between those of a sharp
    // interface at 6 km and at 6.5 km (above the interface, where the
    // first arrivals are checked, the two models differ only in that).
    let (upper, lower) = (TwoLayers { v1: 5.0, v2: 7.0, depth: 6.0 }, TwoLayers { v1: 5.0, v2: 7.0, depth: 6.5 });
    let g = GridGeometry { n: [121, 101, 25], origin_km: [0.0; 3], spacing_km: [0.5; 3] };
    let velocity = velocity_grid(g, |p| upper.velocity(p));
    let source = [20.3, 24.6, 0.0];
    for (name, opts) in both_paths(EikonalOptions::default()) {
        let field = solve_eikonal(&velocity, source, &opts, None).unwrap();
        let (mut below, mut above, mut head) = (0.0f64, 0.0f64, 0usize);
        for ix in 0..g.n[0] {
            for iy in 0..g.n[1] {
                for iz in 0..=12 {
                    let p = g.node_position(ix, iy, iz);
                    if distance(p, source) <= 3.0 {
                        continue;
                    }
                    let t = field.time_at_node(ix, iy, iz);
                    let (early, late) = (upper.time(source, p), lower.time(source, p));
                    head += usize::from(late < distance(p, source) / upper.v1 - 0.05);
                    below = below.max(early - t);
                    above = above.max(t - late);
                }
            }
        }
        println!("two layers, {name}: at most {below:.4} s before the 6 km interface's times, {above:.4} s after the 6.5 km one's");
        // Most nodes beyond ~17 km are reached first by the head wave.
        assert!(head > 20_000, "only {head} head-wave nodes");
        assert!(below <= 0.005 && above <= 0.005, "{name}: {below} s early, {above} s late");
    }
}

#[test]
fn the_error_falls_with_the_refinement() {
    let medium = Gradient { v0: 3.0, g: 0.1 };
    let g = GridGeometry { n: [41, 41, 21], origin_km: [0.0; 3], spacing_km: [1.0; 3] };
    let velocity = velocity_grid(g, |p| medium.velocity(p));
    let source = [17.3, 21.6, 0.0];
    let errors: Vec<f64> = [1usize, 2, 4]
        .iter()
        .map(|&refinement| {
            let opts = EikonalOptions { axisymmetric_refinement: refinement, ..EikonalOptions::default() };
            let field = solve_eikonal(&velocity, source, &opts, None).unwrap();
            let mut worst: f64 = 0.0;
            for ix in 0..g.n[0] {
                for iy in 0..g.n[1] {
                    for iz in 0..g.n[2] {
                        let p = g.node_position(ix, iy, iz);
                        if distance(p, source) > 5.0 && medium.ray_bottom_depth(source, p) <= 20.0 {
                            worst = worst.max((field.time_at_node(ix, iy, iz) - medium.time(source, p)).abs());
                        }
                    }
                }
            }
            worst
        })
        .collect();
    let orders: Vec<f64> = errors.windows(2).map(|e| (e[0] / e[1]).log2()).collect();
    let shown: Vec<String> = errors.iter().map(|e| format!("{e:.2e}")).collect();
    println!("refinement 1, 2, 4: max errors {shown:?} s, orders {orders:.2?}");
    assert!(orders.iter().all(|&p| p > 1.5), "orders {orders:?} (errors {errors:?})");
}

#[test]
fn a_lateral_change_takes_the_3d_march() {
    // One node differs from its depth level: the medium is not depth-only,
    // so the default options must give exactly the 3D march.
    let medium = Gradient { v0: 4.0, g: 0.05 };
    let g = GridGeometry { n: [31, 27, 15], origin_km: [0.0; 3], spacing_km: [1.0; 3] };
    let mut velocity = velocity_grid(g, |p| medium.velocity(p));
    let i = g.index(30, 26, 14);
    velocity.data[i] *= 1.0 + 1e-9;
    let source = [11.2, 9.7, 2.5];
    let default = solve_eikonal(&velocity, source, &EikonalOptions::default(), None).unwrap();
    let marched = solve_eikonal(&velocity, source, &march_3d(EikonalOptions::default()), None).unwrap();
    assert_eq!(default.tau_at_nodes(), marched.tau_at_nodes());
    assert!(default.stores_every_node());
    // And without the change the reduction is taken (a different rounding).
    velocity.data[i] = medium.velocity(g.node_position(30, 26, 14));
    let reduced = solve_eikonal(&velocity, source, &EikonalOptions::default(), None).unwrap();
    assert!(!reduced.stores_every_node());
    assert!(max_difference(&g, &reduced, &marched) < 0.01);
}

#[test]
fn bad_refinements_are_rejected() {
    let g = GridGeometry { n: [5, 5, 5], origin_km: [0.0; 3], spacing_km: [1.0; 3] };
    let velocity = Grid3 { geometry: g, data: (0..g.len()).map(|i| 4.0 + (i % 5) as f64 * 0.1).collect() };
    for refinement in [0, 17] {
        let opts = EikonalOptions { axisymmetric_refinement: refinement, ..EikonalOptions::default() };
        let err = solve_eikonal(&velocity, [2.0, 2.0, 0.0], &opts, None).unwrap_err();
        assert!(err.to_string().contains("axisymmetric_refinement"), "{err}");
    }
}

#[test]
fn the_plane_field_gradient_matches_central_differences_and_its_domain_is_the_box() {
    use eqnemix_traveltime::TravelTimeField;
    let medium = Gradient { v0: 3.5, g: 0.08 };
    let g = GridGeometry { n: [33, 29, 17], origin_km: [-4.0, 1.0, -1.0], spacing_km: [0.8, 0.7, 0.6] };
    let source = [7.3, 9.1, 2.2];
    let field = solve_eikonal(&velocity_grid(g, |p| medium.velocity(p)), source, &EikonalOptions::default(), None).unwrap();
    assert!(!field.stores_every_node());
    let max = g.max_km();
    let mut rng = SplitMix(7);
    let step = 1e-7;
    let mut worst: f64 = 0.0;
    for _ in 0..5000 {
        let p = [rng.uniform(g.origin_km[0], max[0]), rng.uniform(g.origin_km[1], max[1]), rng.uniform(g.origin_km[2], max[2])];
        if distance(p, source) < 0.5 {
            continue;
        }
        let (t, grad) = field.time_and_gradient(p).unwrap();
        assert_eq!(t, field.time(p).unwrap());
        for k in 0..3 {
            let (mut a, mut b) = (p, p);
            a[k] += step;
            b[k] -= step;
            let fd = (field.time(a).unwrap() - field.time(b).unwrap()) / (2.0 * step);
            worst = worst.max((grad[k] - fd).abs());
        }
    }
    println!("plane field: |gradient - central difference| up to {worst:.2e} s/km");
    assert!(worst < 1e-5, "{worst}");
    // On the vertical through the source: finite, the gradient vertical.
    let (t, grad) = field.time_and_gradient([source[0], source[1], 8.0]).unwrap();
    assert!(t.is_finite() && grad[0] == 0.0 && grad[1] == 0.0 && grad[2] > 0.0, "{t} {grad:?}");
    // The domain is the grid box, although the plane reaches farther.
    for p in [[max[0] + 0.01, 5.0, 3.0], [0.0, g.origin_km[1] - 0.01, 3.0], [0.0, 5.0, max[2] + 0.01], [f64::NAN, 5.0, 3.0]] {
        assert!(field.time(p).is_err(), "{p:?}");
    }
    assert!(field.time(max).is_ok() && field.time(g.origin_km).is_ok());
}

#[test]
fn node_times_written_equal_the_node_times_for_every_storage() {
    // Plane (depth-only), every node (lateral change) and uniform fields.
    let g = GridGeometry { n: [13, 11, 9], origin_km: [-2.0, 1.0, -0.5], spacing_km: [0.9, 0.8, 0.7] };
    let source = [3.3, 4.1, 1.7];
    let depth_only = velocity_grid(g, |p| 4.0 + 0.1 * p[2]);
    let lateral = velocity_grid(g, |p| 4.0 + 0.1 * p[2] + 0.05 * p[0]);
    let uniform = velocity_grid(g, |_| 5.0);
    for velocity in [depth_only, lateral, uniform] {
        let field = solve_eikonal(&velocity, source, &EikonalOptions::default(), None).unwrap();
        let times = field.times_f32();
        for ix in 0..g.n[0] {
            for iy in 0..g.n[1] {
                for iz in 0..g.n[2] {
                    assert_eq!(times.data[g.index(ix, iy, iz)], field.time_at_node(ix, iy, iz) as f32, "({ix}, {iy}, {iz})");
                }
            }
        }
        // P and S (one Vp/Vs) in one pass: bit for bit each field's own.
        let s_times = field.scaled_slowness(1.73).times_f32();
        let slab = g.n[1] * g.n[2];
        let (mut p, mut s) = (vec![0f32; slab], vec![0f32; slab]);
        for ix in 0..g.n[0] {
            field.slab_times_scaled_f32(ix, [1.0, 1.73], [&mut p, &mut s]);
            assert!(p[..] == times.data[ix * slab..][..slab] && s[..] == s_times.data[ix * slab..][..slab], "slab {ix}");
        }
    }
}
