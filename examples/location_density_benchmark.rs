//! Location-posterior benchmark: the cost of one log density (and
//! gradient) evaluation, as a sampler pays it, and of a dense-grid
//! evaluation, side by side with the same model in PyMC/PyTensor (compiled
//! `logp`/`dlogp`, called point by point) and NumPy (vectorised grid).
//!
//! Models (straight rays, vp 6 km/s, vs 3.5 km/s, a 5-cluster prior):
//! - `sp1`:  one station, S-P time (the EQNeMix single-station case);
//! - `abs5`: five stations, absolute P and S times, origin time marginalised.
//!
//! Reproduce (PyMC in a venv outside the repository):
//!
//! ```text
//! python3 -m venv /work/venvs/pymc
//! /work/venvs/pymc/bin/pip install -r scripts/bench/requirements-pymc.txt
//! cargo run --release --example location_density_benchmark -- --python /work/venvs/pymc/bin/python
//! ```
//!
//! Options: `--points N` (test points, 2000), `--repeats N` (5), `--grid N`
//! (nodes per axis, 100). Per-call times are medians over repeats, on one
//! thread; the Rust grid time includes normalisation, moments and cluster
//! probabilities (NumPy's only the log density), and is given on one thread
//! and on all threads. The last column checks that both sides compute the
//! same log density (max |Δ| over the test points).

use chrono::{TimeZone, Utc};
use eqnemix::grid_posterior::GridPosterior;
use eqnemix::likelihood::LikelihoodOptions;
use eqnemix::picks::{PhasePick, Picks, StationPicks};
use eqnemix::posterior::LocationPosterior;
use eqnemix::prior::{ClusterPrior, PriorOptions, RegionBox};
use eqnemix::samplers::{GradLogDensity, LogDensity};
use eqnemix::traveltime::{Homogeneous, Station};
use eqnemix::ClusterGaussian;
use rand::{Rng, SeedableRng};
use std::process::Command;
use std::time::Instant;

const VP: f64 = 6.0;
const VS: f64 = 3.5;

/// Command-line flags (module doc).
#[derive(clap::Parser)]
struct Args {
    /// Python of the venv with PyMC (without it the peer is skipped).
    #[arg(long)]
    python: Option<String>,
    /// Test points of the per-call timings.
    #[arg(long, default_value_t = 2000)]
    points: usize,
    /// Repeats (per-call times are medians over them).
    #[arg(long, default_value_t = 5)]
    repeats: usize,
    /// Grid nodes per axis.
    #[arg(long, default_value_t = 100)]
    grid: usize,
}

fn clusters() -> Vec<ClusterGaussian> {
    let means = [
        [10.0, 5.0, 8.0],
        [-6.0, 12.0, 12.0],
        [4.0, -9.0, 6.0],
        [15.0, 15.0, 10.0],
        [-12.0, -4.0, 9.0],
    ];
    means
        .iter()
        .enumerate()
        .map(|(id, m)| ClusterGaussian {
            id,
            n_events: 20,
            mean_km: *m,
            cov_km2: [
                [4.0 + id as f64, 1.0, 0.3],
                [1.0, 3.0, -0.2],
                [0.3, -0.2, 2.0],
            ],
        })
        .collect()
}

fn dist(a: [f64; 3], b: [f64; 3]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let a = <Args as clap::Parser>::parse();
    let weights = [0.4, 0.25, 0.15, 0.12, 0.08];
    let prior = ClusterPrior::new(&clusters(), &weights, &PriorOptions::default()).unwrap();
    let region = RegionBox::new([-25.0, -25.0, 0.0], [25.0, 25.0, 25.0]);
    let truth = [9.0, 6.0, 7.0];
    let model = Homogeneous::new(VP, VS).unwrap();
    let all_stations = [
        [0.0, 0.0, 0.0],
        [15.0, -5.0, 0.0],
        [-8.0, 20.0, 0.0],
        [20.0, 18.0, 0.0],
        [-15.0, -12.0, 0.0],
    ];
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let points: Vec<[f64; 3]> = (0..a.points)
        .map(|_| {
            [0, 1, 2].map(|i| {
                region.min_km[i] + rng.gen::<f64>() * (region.max_km[i] - region.min_km[i])
            })
        })
        .collect();

    println!(
        "location posterior: one evaluation as a sampler pays it, and a {0}^3 grid",
        a.grid
    );
    println!(
        "{:<6} {:<26} {:>12} {:>12} {:>12} {:>10}",
        "model", "what", "eqnemix", "peer", "peer/ours", "max|Δlogp|"
    );
    for name in ["sp1", "abs5"] {
        let n_sta = if name == "sp1" { 1 } else { 5 };
        let stations: Vec<StationPicks> = all_stations[..n_sta]
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let d = dist(truth, *s);
                StationPicks {
                    station: Station {
                        code: format!("S{i}"),
                        position_km: *s,
                    },
                    p: Some(PhasePick {
                        time_s: 2.0 + d / VP + 0.03 * i as f64,
                        sigma_s: 0.05,
                    }),
                    s: Some(PhasePick {
                        time_s: 2.0 + d / VS - 0.02 * i as f64,
                        sigma_s: 0.08,
                    }),
                    back_azimuth: None,
                }
            })
            .collect();
        let picks = Picks {
            event_id: name.into(),
            reference_time: Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap(),
            stations,
        };
        let opts = if name == "sp1" {
            LikelihoodOptions {
                back_azimuth: false,
                ..Default::default()
            }
        } else {
            LikelihoodOptions {
                s_minus_p: false,
                absolute_times: true,
                back_azimuth: false,
                ..Default::default()
            }
        };
        let post =
            LocationPosterior::from_picks(prior.clone(), &picks, &model, &opts, region).unwrap();

        // Per-call timings, one thread.
        let mut g = [0.0; 3];
        let mut sink = 0.0;
        let t_lp = median(
            (0..a.repeats)
                .map(|_| {
                    let t = Instant::now();
                    for p in &points {
                        sink += post.log_density(p);
                    }
                    t.elapsed().as_secs_f64() / points.len() as f64
                })
                .collect(),
        );
        let t_lpg = median(
            (0..a.repeats)
                .map(|_| {
                    let t = Instant::now();
                    for p in &points {
                        sink += post.log_density_and_gradient(p, &mut g);
                    }
                    t.elapsed().as_secs_f64() / points.len() as f64
                })
                .collect(),
        );
        std::hint::black_box(sink);
        let n = [a.grid; 3];
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let t_grid1 = median(
            (0..a.repeats.div_ceil(2))
                .map(|_| {
                    let t = Instant::now();
                    one.install(|| GridPosterior::evaluate(&post, n).unwrap());
                    t.elapsed().as_secs_f64()
                })
                .collect(),
        );
        let t_grid_all = median(
            (0..a.repeats.div_ceil(2))
                .map(|_| {
                    let t = Instant::now();
                    GridPosterior::evaluate(&post, n).unwrap();
                    t.elapsed().as_secs_f64()
                })
                .collect(),
        );

        // The peer.
        let peer = a.python.as_ref().map(|py| {
            let s = &picks.stations;
            let mut prob = serde_json::json!({
                "mode": if name == "sp1" { "s_minus_p" } else { "absolute" },
                "weights": weights,
                "means": clusters().iter().map(|c| c.mean_km).collect::<Vec<_>>(),
                "covs": clusters().iter().map(|c| c.cov_km2).collect::<Vec<_>>(),
                "vp": VP, "vs": VS,
                "stations": s.iter().map(|x| x.station.position_km).collect::<Vec<_>>(),
                "points": points.iter().take(500).collect::<Vec<_>>(),
                "repeats": a.repeats,
                "grid_min": region.min_km, "grid_max": region.max_km, "grid_n": n,
            });
            if name == "sp1" {
                let p = s[0].p.unwrap();
                let q = s[0].s.unwrap();
                prob["sp_obs"] = serde_json::json!([q.time_s - p.time_s]);
                prob["sp_sigma"] =
                    serde_json::json!([(p.sigma_s.powi(2) + q.sigma_s.powi(2)).sqrt()]);
            } else {
                let mut arr = Vec::new();
                for (i, x) in s.iter().enumerate() {
                    let (p, q) = (x.p.unwrap(), x.s.unwrap());
                    arr.push(serde_json::json!([i, "P", p.time_s, p.sigma_s]));
                    arr.push(serde_json::json!([i, "S", q.time_s, q.sigma_s]));
                }
                prob["arrivals"] = serde_json::Value::Array(arr);
            }
            let path = std::env::temp_dir().join(format!(
                "eqnemix-locbench-{}-{name}.json",
                std::process::id()
            ));
            std::fs::write(&path, prob.to_string()).unwrap();
            let out = Command::new(py)
                .arg(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/scripts/bench/location_density_pymc.py"
                ))
                .arg(&path)
                .output()
                .expect("run the Python peer");
            let _ = std::fs::remove_file(&path);
            assert!(
                out.status.success(),
                "peer failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("peer JSON");
            let refs: Vec<f64> = v["ref_logp"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect();
            let dmax = points
                .iter()
                .zip(&refs)
                .map(|(p, r)| (post.log_density(p) - r).abs())
                .fold(0.0, f64::max);
            (v, dmax)
        });
        let row = |what: &str, ours: f64, theirs: Option<f64>, unit: &str, d: Option<f64>| {
            let scale = if unit == "ns" { 1e9 } else { 1.0 };
            println!(
                "{:<6} {:<26} {:>12} {:>12} {:>12} {:>10}",
                name,
                what,
                format!("{:.1} {unit}", ours * scale),
                theirs.map_or("-".into(), |t| format!("{:.1} {unit}", t * scale)),
                theirs.map_or("-".into(), |t| format!("{:.1}x", t / ours)),
                d.map_or(String::new(), |d| format!("{d:.1e}")),
            );
        };
        let f = |k: &str| peer.as_ref().map(|(v, _)| v[k].as_f64().unwrap());
        let d = peer.as_ref().map(|p| p.1);
        row("log density", t_lp, f("logp_s"), "ns", d);
        row(
            "log density + gradient",
            t_lpg,
            f("logp_grad_s"),
            "ns",
            None,
        );
        row(
            "grid, 1 thread (NumPy)",
            t_grid1,
            f("numpy_grid_s"),
            "s",
            None,
        );
        row(
            &format!("grid, {} threads", rayon::current_num_threads()),
            t_grid_all,
            None,
            "s",
            None,
        );
        if let Some((v, _)) = &peer {
            println!(
                "{:<6} {:<26} {:>12}",
                name,
                "PyMC build + compile",
                format!("{:.2} s", v["build_compile_s"].as_f64().unwrap())
            );
        }
    }
}
