//! `LocationPosterior::log_density_and_gradient` must not allocate (the
//! samplers call it in their innermost loop). A counting global allocator
//! checks it for every likelihood configuration. It counts the allocations
//! of the calling thread only, so the test harness's own threads (which may
//! allocate on a loaded machine) cannot make the test fail.

use chrono::{TimeZone, Utc};
use eqnemix::likelihood::{EdtPower, LikelihoodOptions, OriginTime, ResidualModel};
use eqnemix::picks::{BackAzimuthObs, PhasePick, Picks, StationPicks};
use eqnemix::posterior::LocationPosterior;
use eqnemix::prior::{Background, ClusterPrior, PriorOptions, RegionBox};
use eqnemix::samplers::{GradLogDensity, LogDensity};
use eqnemix::traveltime::{Homogeneous, Station};
use eqnemix::ClusterGaussian;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    /// Allocations made by this thread (const-initialised: no allocation).
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    // `try_with` fails only while the thread is being torn down.
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

fn allocations() -> usize {
    ALLOCATIONS.with(|c| c.get())
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn density_and_gradient_do_not_allocate() {
    let region = RegionBox::new([-30.0, -30.0, 0.0], [30.0, 30.0, 30.0]);
    let cs = [
        ClusterGaussian {
            id: 0,
            n_events: 5,
            mean_km: [5.0, 5.0, 8.0],
            cov_km2: [[4.0, 0.5, 0.0], [0.5, 3.0, 0.0], [0.0, 0.0, 2.0]],
        },
        ClusterGaussian {
            id: 1,
            n_events: 5,
            mean_km: [-5.0, 2.0, 6.0],
            cov_km2: [[2.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 2.0]],
        },
    ];
    let opts = PriorOptions {
        background: Some(Background {
            weight: 0.1,
            region,
        }),
        ..Default::default()
    };
    let prior = ClusterPrior::new(&cs, &[0.5, 0.5], &opts).unwrap();
    let stations: Vec<StationPicks> = [[0.0, 0.0, 0.0], [12.0, -3.0, 0.0], [-7.0, 9.0, -0.5]]
        .iter()
        .enumerate()
        .map(|(i, p)| StationPicks {
            station: Station {
                code: format!("S{i}"),
                position_km: *p,
            },
            p: Some(PhasePick {
                time_s: 1.0 + i as f64,
                sigma_s: 0.05,
            }),
            s: Some(PhasePick {
                time_s: 2.5 + i as f64,
                sigma_s: 0.08,
            }),
            back_azimuth: Some(BackAzimuthObs::from_sigma_deg(40.0 * i as f64, 12.0)),
        })
        .collect();
    let picks = Picks {
        event_id: "a".into(),
        reference_time: Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap(),
        stations,
    };
    let model = Homogeneous::new(6.0, 3.5).unwrap();
    let configs = [
        LikelihoodOptions::default(),
        LikelihoodOptions {
            residual: ResidualModel::StudentT { nu: 5.0 },
            ..Default::default()
        },
        LikelihoodOptions {
            s_minus_p: false,
            absolute_times: true,
            ..Default::default()
        },
        LikelihoodOptions {
            s_minus_p: false,
            absolute_times: true,
            origin_time: OriginTime::Sampled {
                min_s: -10.0,
                max_s: 10.0,
            },
            residual: ResidualModel::StudentT { nu: 4.0 },
            ..Default::default()
        },
        // Equal differential times: per station (S-P) and over the network.
        LikelihoodOptions {
            edt: Some(EdtPower::NMinusOne),
            ..Default::default()
        },
        LikelihoodOptions {
            s_minus_p: false,
            absolute_times: true,
            edt: Some(EdtPower::N),
            ..Default::default()
        },
    ];
    for (c, o) in configs.iter().enumerate() {
        let post = LocationPosterior::from_picks(prior.clone(), &picks, &model, o, region).unwrap();
        let x = [3.0, 4.0, 7.0, 0.5];
        let x = &x[..post.dim()];
        let mut g = [0.0; 4];
        let g = &mut g[..post.dim()];
        let before = allocations();
        let mut acc = 0.0;
        for i in 0..100 {
            let mut y = [0.0; 4];
            y[..x.len()].copy_from_slice(x);
            y[0] += 0.01 * i as f64;
            acc += post.log_density_and_gradient(&y[..x.len()], g);
            acc += post.log_density(&y[..x.len()]);
        }
        let after = allocations();
        assert!(acc.is_finite(), "config {c}");
        assert_eq!(
            after - before,
            0,
            "config {c}: {} allocations in 200 evaluations",
            after - before
        );
    }
}
