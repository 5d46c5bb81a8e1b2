//! Cost of one `time_and_gradient` call of the homogeneous and layered
//! fields at random points (the hot path of every gradient-based sampler),
//! plus the one-off cost of building a layered table and of one exact
//! (untabulated) layered first arrival.
//!
//! Run with:
//!
//! ```text
//! cargo bench -p eqnemix-traveltime --bench field_eval
//! ```
//!
//! Each `*_per_point` benchmark evaluates a batch of 1024 pre-drawn points;
//! criterion reports the time per batch, and a summary table (ns per call)
//! is printed at the end.

use criterion::{black_box, criterion_group, Criterion};
use eqnemix_traveltime::{Homogeneous, Layer, Layered1D, Phase, Station, TravelTimeField, TravelTimeModel};
use std::time::Instant;

const BATCH: usize = 1024;

fn ridgecrest() -> Layered1D {
    Layered1D::new(vec![
        Layer::new(0.0, 4.8, 2.67),
        Layer::new(2.0, 5.5, 3.18),
        Layer::new(5.5, 6.3, 3.64),
        Layer::new(16.0, 6.7, 3.83),
        Layer::new(32.0, 7.8, 4.43),
    ])
    .expect("valid model")
}

/// Points within 280 km of the station at depths 0–50 km, from a fixed
/// linear congruential sequence (no RNG dependency needed here).
fn points() -> Vec<[f64; 3]> {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..BATCH)
        .map(|_| {
            let d = 280.0 * next().sqrt();
            let az = std::f64::consts::TAU * next();
            [d * az.cos(), d * az.sin(), 50.0 * next()]
        })
        .collect()
}

fn sweep(f: &dyn TravelTimeField, pts: &[[f64; 3]]) -> f64 {
    let mut acc = 0.0;
    for &p in pts {
        let (t, g) = f.time_and_gradient(black_box(p)).expect("inside");
        acc += t + g[0] + g[1] + g[2];
    }
    acc
}

fn bench(c: &mut Criterion) {
    let st = Station { code: "XX.STA".into(), position_km: [0.0, 0.0, -0.5] };
    let pts = points();
    let homo = Homogeneous::new(6.0, 3.5).unwrap().field(&st, Phase::P).unwrap();
    let model = ridgecrest();
    let layered = model.field(&st, Phase::P).unwrap();

    c.bench_function("homogeneous_time_and_gradient_x1024", |b| b.iter(|| sweep(homo.as_ref(), &pts)));
    c.bench_function("layered_time_and_gradient_x1024", |b| b.iter(|| sweep(layered.as_ref(), &pts)));
    c.bench_function("layered_table_build_default", |b| b.iter(|| ridgecrest().table(black_box(-0.5), Phase::P).unwrap()));
    c.bench_function("layered_exact_first_arrival_x1024", |b| {
        b.iter(|| {
            pts.iter()
                .map(|p| model.exact_time(Phase::P, -0.5, p[0].hypot(p[1]), black_box(p[2])).unwrap().0)
                .sum::<f64>()
        })
    });
}

/// A plain timing table (ns per call) after criterion's own report.
fn summary() {
    let st = Station { code: "XX.STA".into(), position_km: [0.0, 0.0, -0.5] };
    let pts = points();
    let homo = Homogeneous::new(6.0, 3.5).unwrap().field(&st, Phase::P).unwrap();
    let model = ridgecrest();
    let t0 = Instant::now();
    let layered = model.field(&st, Phase::P).unwrap();
    let build = t0.elapsed();
    let per_call = |f: &dyn TravelTimeField| {
        let reps = 2000;
        let t = Instant::now();
        let mut acc = 0.0;
        for _ in 0..reps {
            acc += sweep(f, &pts);
        }
        black_box(acc);
        t.elapsed().as_secs_f64() * 1e9 / (reps * BATCH) as f64
    };
    let t = Instant::now();
    let reps = 20;
    for _ in 0..reps {
        black_box(pts.iter().map(|p| model.exact_time(Phase::P, -0.5, p[0].hypot(p[1]), p[2]).unwrap().0).sum::<f64>());
    }
    let exact = t.elapsed().as_secs_f64() * 1e9 / (reps * BATCH) as f64;
    let table_mb = model.table(-0.5, Phase::P).unwrap().size_bytes() as f64 / 1e6;
    println!();
    println!("| what                                   | cost            |");
    println!("|----------------------------------------|-----------------|");
    println!("| homogeneous time_and_gradient          | {:>8.1} ns/call |", per_call(homo.as_ref()));
    println!("| layered (5 layers) time_and_gradient   | {:>8.1} ns/call |", per_call(layered.as_ref()));
    println!("| layered exact first arrival (no table) | {:>8.1} ns/call |", exact);
    println!("| layered table build (default spec)     | {:>8.1} ms      |", build.as_secs_f64() * 1e3);
    println!("| layered table size                     | {:>8.2} MB      |", table_mb);
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    summary();
}
