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
//! is printed at the end with wall-clock and on-CPU time (the latter from
//! /proc/thread-self/schedstat, so it stays meaningful on a busy machine).

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

/// On-CPU time of this thread (ns) from Linux's schedstat, so the table is
/// meaningful on a loaded machine; `None` elsewhere.
fn cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

/// CPU time of the whole process, all threads (ns; clock-tick resolution).
fn process_cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/stat").ok()?;
    // fields after the parenthesised command name; utime and stime are 14 and 15
    let rest = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks * 10_000_000) // USER_HZ = 100 on Linux
}

/// Wall-clock and on-CPU nanoseconds per call of `f` run `calls` times.
fn timed(calls: usize, mut f: impl FnMut()) -> (f64, Option<f64>) {
    let (t, c) = (Instant::now(), cpu_ns());
    f();
    let wall = t.elapsed().as_secs_f64() * 1e9 / calls as f64;
    let cpu = c.zip(cpu_ns()).map(|(a, b)| (b - a) as f64 / calls as f64);
    (wall, cpu)
}

/// A plain timing table (ns per call) after criterion's own report.
fn summary() {
    let st = Station { code: "XX.STA".into(), position_km: [0.0, 0.0, -0.5] };
    let pts = points();
    let homo = Homogeneous::new(6.0, 3.5).unwrap().field(&st, Phase::P).unwrap();
    let model = ridgecrest();
    let layered = model.field(&st, Phase::P).unwrap();
    // table builds run on rayon's threads: count the whole process's CPU
    let builds = 10;
    let (t, c) = (Instant::now(), process_cpu_ns());
    for _ in 0..builds {
        black_box(ridgecrest().table(-0.5, Phase::P).unwrap());
    }
    let build_wall = t.elapsed().as_secs_f64() * 1e9 / builds as f64;
    let build = (build_wall, c.zip(process_cpu_ns()).map(|(a, b)| (b - a) as f64 / builds as f64));
    let reps = 2000;
    let per_call = |f: &dyn TravelTimeField| {
        timed(reps * BATCH, || {
            let mut acc = 0.0;
            for _ in 0..reps {
                acc += sweep(f, &pts);
            }
            black_box(acc);
        })
    };
    let exact = timed(20 * BATCH, || {
        for _ in 0..20 {
            black_box(pts.iter().map(|p| model.exact_time(Phase::P, -0.5, p[0].hypot(p[1]), p[2]).unwrap().0).sum::<f64>());
        }
    });
    let table_mb = model.table(-0.5, Phase::P).unwrap().size_bytes() as f64 / 1e6;
    let cpu = |c: Option<f64>, scale: f64| c.map(|c| format!("{:>10.1}", c * scale)).unwrap_or_else(|| format!("{:>10}", "n/a"));
    let row = |name: &str, (wall, c): (f64, Option<f64>), unit: &str, scale: f64| {
        println!("| {name:<38} | {:>10.1} | {} | {unit:<7} |", wall * scale, cpu(c, scale));
    };
    println!();
    println!("| what                                   |       wall |        CPU | unit    |");
    println!("|----------------------------------------|------------|------------|---------|");
    row("homogeneous time_and_gradient", per_call(homo.as_ref()), "ns/call", 1.0);
    row("layered (5 layers) time_and_gradient", per_call(layered.as_ref()), "ns/call", 1.0);
    row("layered exact first arrival (no table)", exact, "ns/call", 1.0);
    row("layered table build (default spec)", build, "ms", 1e-6);
    println!("| layered table size: {table_mb:.2} MB per station and phase; build CPU is all threads");
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    summary();
}
