//! K-means speed and quality: eqnemix's K-means against scikit-learn's
//! `KMeans` (the clustering of the original EQNeMix) on the same points.
//!
//! ```bash
//! # optional peer: python3 -m venv /work/venvs/sklearn && /work/venvs/sklearn/bin/pip install scikit-learn
//! EQNEMIX_SKLEARN_PYTHON=/work/venvs/sklearn/bin/python cargo run --release --example kmeans_benchmark
//! ```
//!
//! Both sides: K = 6, 3-D points (6 anisotropic Gaussian blobs in km, like
//! catalog clusters), k-means++ initialisation, 10 restarts, at most 300
//! Lloyd iterations; wall time is the best of 3 runs of the whole fit
//! (all restarts), on all cores. Inertia (within-cluster sum of squares,
//! km²) shows both reach the same optimum. Without the Python peer only the
//! eqnemix column is printed.
//!
//! On a shared, oversubscribed machine OpenMP threads in scikit-learn spin
//! and wait, which inflates its times; compare single-threaded with
//! `OMP_NUM_THREADS=1 RAYON_NUM_THREADS=1`. Measured 2026-11-26 on the 2-core
//! dev machine under load (dev profile, opt-level 2), single-threaded:
//!
//! ```text
//!   points   eqnemix (ms)   sklearn (ms)  eqnemix inertia  sklearn inertia   speed-up
//!     1000           0.39          27.00          24435.5          24435.5      69.8x
//!    10000          14.68          59.85         235705.3         235705.3       4.1x
//!   100000         204.05         569.83        2351238.0        2351238.0       2.8x
//! ```
//!
//! Both reach the same inertia (same partition); a catalog of 10^4 events
//! clusters in ~15 ms.

use std::io::Write;
use std::process::Command;
use std::time::Instant;

use eqnemix::clustering::kmeans::{kmeans, KMeansConfig};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

const SKLEARN: &str = r#"
import sys, time
import numpy as np
from sklearn.cluster import KMeans
x = np.loadtxt(sys.argv[1], delimiter=",")
best = float("inf")
for _ in range(3):
    km = KMeans(n_clusters=6, init="k-means++", n_init=10, max_iter=300, algorithm="lloyd", random_state=0)
    t = time.perf_counter(); km.fit(x); best = min(best, time.perf_counter() - t)
print(f"{best} {km.inertia_}")
"#;

fn blobs(n: usize, seed: u64) -> Vec<[f64; 3]> {
    let centres = [
        [10.0, 5.0, 7.0],
        [-40.0, 20.0, 5.0],
        [30.0, -50.0, 9.0],
        [-20.0, -30.0, 4.0],
        [60.0, 40.0, 11.0],
        [0.0, 70.0, 8.0],
    ];
    let sds = [
        [4.0, 1.5, 2.0],
        [3.0, 2.0, 1.5],
        [3.5, 2.5, 2.5],
        [3.0, 1.2, 1.0],
        [4.0, 3.0, 3.0],
        [2.0, 5.0, 2.0],
    ];
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let z = Normal::new(0.0, 1.0).unwrap();
    (0..n)
        .map(|i| {
            let c = i % 6;
            [
                centres[c][0] + sds[c][0] * z.sample(&mut rng),
                centres[c][1] + sds[c][1] * z.sample(&mut rng),
                centres[c][2] + sds[c][2] * z.sample(&mut rng),
            ]
        })
        .collect()
}

fn main() -> anyhow::Result<()> {
    let python = std::env::var("EQNEMIX_SKLEARN_PYTHON").ok();
    let dir = tempfile::tempdir()?;
    let script = dir.path().join("kmeans_sklearn.py");
    std::fs::write(&script, SKLEARN)?;
    println!(
        "{:>8} {:>14} {:>14} {:>16} {:>16} {:>10}",
        "points", "eqnemix (ms)", "sklearn (ms)", "eqnemix inertia", "sklearn inertia", "speed-up"
    );
    for &n in &[1_000usize, 10_000, 100_000] {
        let pts = blobs(n, 1);
        let cfg = KMeansConfig {
            n_clusters: 6,
            n_restarts: 10,
            max_iter: 300,
            seed: 0,
            ..Default::default()
        };
        let mut best = f64::INFINITY;
        let mut inertia = 0.0;
        for _ in 0..3 {
            let t = Instant::now();
            let r = kmeans(&pts, &cfg)?;
            best = best.min(t.elapsed().as_secs_f64());
            inertia = r.inertia;
        }
        let (sk_time, sk_inertia) = match &python {
            Some(py) => {
                let csv = dir.path().join(format!("pts{n}.csv"));
                let mut f = std::io::BufWriter::new(std::fs::File::create(&csv)?);
                for p in &pts {
                    writeln!(f, "{},{},{}", p[0], p[1], p[2])?;
                }
                f.flush()?;
                drop(f);
                let out = Command::new(py).arg(&script).arg(&csv).output()?;
                anyhow::ensure!(
                    out.status.success(),
                    "sklearn: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                let s = String::from_utf8(out.stdout)?;
                let mut it = s.split_whitespace().map(|v| v.parse::<f64>());
                (Some(it.next().unwrap()?), Some(it.next().unwrap()?))
            }
            None => (None, None),
        };
        let fmt = |v: Option<f64>, scale: f64, prec: usize| {
            v.map_or("-".to_string(), |v| format!("{:.*}", prec, v * scale))
        };
        println!(
            "{:>8} {:>14.2} {:>14} {:>16.1} {:>16} {:>10}",
            n,
            best * 1e3,
            fmt(sk_time, 1e3, 2),
            inertia,
            fmt(sk_inertia, 1.0, 1),
            sk_time.map_or("-".to_string(), |t| format!("{:.1}x", t / best)),
        );
    }
    Ok(())
}
