//! K-means clustering (Lloyd's algorithm with k-means++ seeding and restarts).
//!
//! Hand-written rather than taken from `linfa-clustering`: the algorithm is
//! ~100 lines, and writing it lets us give typed errors that name the problem
//! (too few distinct points, non-finite coordinates), handle empty clusters
//! explicitly, guarantee bit-for-bit reproducibility from a `u64` seed with
//! the workspace's `rand_chacha`, and avoid pulling `linfa`, `linfa-nn`,
//! `ndarray-stats` and `ndarray-rand` into the build for one routine.
//!
//! Points are `[f64; D]` in a common unit (eqnemix clusters in local
//! `[east, north, depth]` km, so distances are Euclidean km).
//!
//! ```
//! use eqnemix::clustering::kmeans::{kmeans, KMeansConfig};
//! let pts = [[0.0, 0.0], [0.1, 0.0], [10.0, 10.0], [10.1, 10.0]];
//! let r = kmeans(&pts, &KMeansConfig { n_clusters: 2, seed: 1, ..Default::default() }).unwrap();
//! assert_eq!(r.labels[0], r.labels[1]);
//! assert_ne!(r.labels[0], r.labels[2]);
//! ```

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Settings of [`kmeans`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct KMeansConfig {
    /// Number of clusters K (≥ 1).
    pub n_clusters: usize,
    /// Independent k-means++ starts; the run with the lowest inertia is kept.
    pub n_restarts: usize,
    /// Maximum Lloyd iterations per start.
    pub max_iter: usize,
    /// A start stops when no centroid moves more than `tol` (in the points'
    /// unit, km for eqnemix) in one iteration, or when no label changes.
    pub tol: f64,
    /// Seed of the random number generator: same seed, same result.
    pub seed: u64,
}

impl Default for KMeansConfig {
    fn default() -> Self {
        Self {
            n_clusters: 2,
            n_restarts: 10,
            max_iter: 300,
            tol: 1e-6,
            seed: 0,
        }
    }
}

/// Result of [`kmeans`].
#[derive(Debug, Clone, PartialEq)]
pub struct KMeansResult<const D: usize> {
    /// Centroids, one per cluster (`0..K`).
    pub centroids: Vec<[f64; D]>,
    /// Cluster of each input point, in input order.
    pub labels: Vec<usize>,
    /// Sum of squared distances of the points to their centroids (unit²).
    pub inertia: f64,
    /// Lloyd iterations of the kept start.
    pub n_iter: usize,
    /// Whether the kept start converged before `max_iter`.
    pub converged: bool,
}

/// Why K-means could not run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum KMeansError {
    /// K = 0 or no restart asked for.
    #[error("k-means needs at least one cluster and one restart (got n_clusters = {n_clusters}, n_restarts = {n_restarts})")]
    BadConfig {
        /// K asked for.
        n_clusters: usize,
        /// Restarts asked for.
        n_restarts: usize,
    },
    /// Fewer distinct points than clusters.
    #[error(
        "cannot form {n_clusters} clusters from {n_distinct} distinct points ({n_points} points)"
    )]
    TooFewPoints {
        /// K asked for.
        n_clusters: usize,
        /// Points given.
        n_points: usize,
        /// Distinct points among them.
        n_distinct: usize,
    },
    /// No Lloyd iteration allowed, or a tolerance that is negative or NaN.
    #[error("k-means needs max_iter ≥ 1 and a finite tol ≥ 0 (got max_iter = {max_iter}, tol = {tol})")]
    BadIterations {
        /// Iterations asked for.
        max_iter: usize,
        /// Tolerance asked for.
        tol: f64,
    },
    /// A coordinate is NaN or infinite.
    #[error("point {index} has a non-finite coordinate")]
    NonFinite {
        /// Index of the point (0-based, input order).
        index: usize,
    },
}

fn dist2<const D: usize>(a: &[f64; D], b: &[f64; D]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

fn nearest<const D: usize>(p: &[f64; D], centroids: &[[f64; D]]) -> (usize, f64) {
    let mut best = (0, f64::INFINITY);
    for (j, c) in centroids.iter().enumerate() {
        let d = dist2(p, c);
        if d < best.1 {
            best = (j, d);
        }
    }
    best
}

/// k-means++ seeding (Arthur & Vassilvitskii 2007): the first centre uniformly,
/// each next one with probability proportional to the squared distance to the
/// nearest centre chosen so far.
fn kmeans_plus_plus<const D: usize>(
    points: &[[f64; D]],
    k: usize,
    rng: &mut ChaCha8Rng,
) -> Vec<[f64; D]> {
    let mut centroids = Vec::with_capacity(k);
    centroids.push(points[rng.gen_range(0..points.len())]);
    let mut d2: Vec<f64> = points.iter().map(|p| dist2(p, &centroids[0])).collect();
    while centroids.len() < k {
        let total: f64 = d2.iter().sum();
        // total > 0 is guaranteed by the distinct-point check in `kmeans`.
        let mut u = rng.gen::<f64>() * total;
        let mut pick = d2.iter().rposition(|&d| d > 0.0).unwrap_or(0);
        for (i, &d) in d2.iter().enumerate() {
            if d > 0.0 && u < d {
                pick = i;
                break;
            }
            u -= d;
        }
        let c = points[pick];
        for (di, p) in d2.iter_mut().zip(points) {
            *di = di.min(dist2(p, &c));
        }
        centroids.push(c);
    }
    centroids
}

/// One Lloyd run from k-means++ seeds.
fn lloyd<const D: usize>(
    points: &[[f64; D]],
    cfg: &KMeansConfig,
    rng: &mut ChaCha8Rng,
) -> KMeansResult<D> {
    let centroids = kmeans_plus_plus(points, cfg.n_clusters, rng);
    lloyd_from(points, centroids, cfg)
}

/// Lloyd iterations from given initial centroids (`cfg.n_clusters` of them;
/// the points must hold at least that many distinct values).
fn lloyd_from<const D: usize>(
    points: &[[f64; D]],
    mut centroids: Vec<[f64; D]>,
    cfg: &KMeansConfig,
) -> KMeansResult<D> {
    let k = cfg.n_clusters;
    let mut labels = vec![usize::MAX; points.len()];
    let mut converged = false;
    let mut n_iter = 0;
    for it in 0..cfg.max_iter {
        n_iter = it + 1;
        // Assignment step.
        let mut changed = false;
        let mut d2 = vec![0.0; points.len()];
        for (i, p) in points.iter().enumerate() {
            let (j, d) = nearest(p, &centroids);
            d2[i] = d;
            if labels[i] != j {
                labels[i] = j;
                changed = true;
            }
        }
        if !changed {
            converged = true;
            break;
        }
        // Update step.
        let mut sums = vec![[0.0; D]; k];
        let mut counts = vec![0usize; k];
        for (p, &l) in points.iter().zip(&labels) {
            counts[l] += 1;
            for (s, x) in sums[l].iter_mut().zip(p) {
                *s += x;
            }
        }
        // An emptied cluster takes the point farthest from its centroid (which
        // then leaves its own cluster), so every cluster keeps ≥ 1 point.
        for j in 0..k {
            if counts[j] == 0 {
                let far = (0..points.len())
                    .filter(|&i| counts[labels[i]] > 1)
                    .max_by(|&a, &b| d2[a].total_cmp(&d2[b]))
                    .expect("n distinct points ≥ k guarantees a donor cluster");
                let from = labels[far];
                counts[from] -= 1;
                for (s, x) in sums[from].iter_mut().zip(&points[far]) {
                    *s -= x;
                }
                labels[far] = j;
                d2[far] = 0.0;
                counts[j] = 1;
                sums[j] = points[far];
            }
        }
        let mut max_shift2: f64 = 0.0;
        for j in 0..k {
            let mut c = [0.0; D];
            for (cd, s) in c.iter_mut().zip(&sums[j]) {
                *cd = s / counts[j] as f64;
            }
            max_shift2 = max_shift2.max(dist2(&c, &centroids[j]));
            centroids[j] = c;
        }
        if max_shift2 <= cfg.tol * cfg.tol {
            // Final assignment against the settled centroids.
            for (i, p) in points.iter().enumerate() {
                labels[i] = nearest(p, &centroids).0;
            }
            converged = true;
            break;
        }
    }
    let inertia = points
        .iter()
        .zip(&labels)
        .map(|(p, &l)| dist2(p, &centroids[l]))
        .sum();
    KMeansResult {
        centroids,
        labels,
        inertia,
        n_iter,
        converged,
    }
}

/// Cluster `points` into `cfg.n_clusters` groups minimising the within-cluster
/// sum of squared Euclidean distances. Restarts run in parallel (rayon), each
/// with its own ChaCha8 stream of `cfg.seed`, so the result does not depend on
/// the number of threads. Every returned cluster holds at least one point.
pub fn kmeans<const D: usize>(
    points: &[[f64; D]],
    cfg: &KMeansConfig,
) -> Result<KMeansResult<D>, KMeansError> {
    if cfg.n_clusters == 0 || cfg.n_restarts == 0 {
        return Err(KMeansError::BadConfig {
            n_clusters: cfg.n_clusters,
            n_restarts: cfg.n_restarts,
        });
    }
    if cfg.max_iter == 0 || !(cfg.tol >= 0.0 && cfg.tol.is_finite()) {
        return Err(KMeansError::BadIterations {
            max_iter: cfg.max_iter,
            tol: cfg.tol,
        });
    }
    if let Some(index) = points.iter().position(|p| p.iter().any(|x| !x.is_finite())) {
        return Err(KMeansError::NonFinite { index });
    }
    // Count distinct points up to K (enough to decide).
    let mut distinct: Vec<[f64; D]> = Vec::new();
    for p in points {
        if distinct.len() >= cfg.n_clusters {
            break;
        }
        if !distinct.iter().any(|q| q == p) {
            distinct.push(*p);
        }
    }
    if distinct.len() < cfg.n_clusters {
        return Err(KMeansError::TooFewPoints {
            n_clusters: cfg.n_clusters,
            n_points: points.len(),
            n_distinct: distinct.len(),
        });
    }
    // Lowest inertia; ties go to the earliest restart (deterministic: the
    // choice is commutative and associative). Reduced as the restarts
    // finish, so memory does not grow with n_restarts.
    let (_, best) = (0..cfg.n_restarts)
        .into_par_iter()
        .map(|r| {
            let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
            rng.set_stream(r as u64);
            (r, lloyd(points, cfg, &mut rng))
        })
        .reduce_with(|a, b| if (b.1.inertia, b.0) < (a.1.inertia, a.0) { b } else { a })
        .expect("n_restarts ≥ 1");
    Ok(best)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_distr::{Distribution, Normal};

    /// Well separated isotropic blobs; returns points and true labels.
    fn blobs(
        centres: &[[f64; 3]],
        sd: f64,
        n_each: usize,
        seed: u64,
    ) -> (Vec<[f64; 3]>, Vec<usize>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let nrm = Normal::new(0.0, sd).unwrap();
        let mut pts = Vec::new();
        let mut lab = Vec::new();
        for (j, c) in centres.iter().enumerate() {
            for _ in 0..n_each {
                pts.push([
                    c[0] + nrm.sample(&mut rng),
                    c[1] + nrm.sample(&mut rng),
                    c[2] + nrm.sample(&mut rng),
                ]);
                lab.push(j);
            }
        }
        (pts, lab)
    }

    const CENTRES: [[f64; 3]; 5] = [
        [30.0, 5.0, 8.0],
        [-25.0, 40.0, 4.0],
        [0.0, -45.0, 12.0],
        [60.0, 60.0, 6.0],
        [-60.0, -20.0, 10.0],
    ];

    #[test]
    fn recovers_well_separated_clusters() {
        // Centres ≥ 40 km apart, sd 3 km: the partition is unambiguous.
        let (pts, truth) = blobs(&CENTRES, 3.0, 60, 11);
        let r = kmeans(
            &pts,
            &KMeansConfig {
                n_clusters: 5,
                seed: 3,
                ..Default::default()
            },
        )
        .unwrap();
        assert!(r.converged);
        // Each true cluster maps to exactly one found cluster, and vice versa.
        let mut map = [usize::MAX; 5];
        for (&t, &l) in truth.iter().zip(&r.labels) {
            if map[t] == usize::MAX {
                map[t] = l;
            }
            assert_eq!(map[t], l, "true cluster {t} split");
        }
        let mut seen = map.to_vec();
        seen.sort();
        assert_eq!(seen, vec![0, 1, 2, 3, 4], "two true clusters merged");
        // Centroids within 4 standard errors (sd/sqrt(n) = 0.39 km per axis).
        for (t, c) in CENTRES.iter().enumerate() {
            let d = dist2(c, &r.centroids[map[t]]).sqrt();
            assert!(
                d < 4.0 * 3.0 / (60f64).sqrt() * 3f64.sqrt(),
                "cluster {t}: centroid off by {d} km"
            );
        }
        // Inertia ≈ 3 * sd² * N (chi-square), within 10 %.
        let expect = 3.0 * 9.0 * pts.len() as f64;
        assert!(
            (r.inertia / expect - 1.0).abs() < 0.1,
            "inertia {} vs {expect}",
            r.inertia
        );
    }

    #[test]
    fn same_seed_same_result_and_restarts_help() {
        let (pts, _) = blobs(&CENTRES, 8.0, 40, 5);
        let cfg = KMeansConfig {
            n_clusters: 5,
            seed: 42,
            ..Default::default()
        };
        let a = kmeans(&pts, &cfg).unwrap();
        let b = kmeans(&pts, &cfg).unwrap();
        assert_eq!(a, b);
        // The best of 10 restarts is never worse than any single start.
        for s in 0..10 {
            let one = kmeans(
                &pts,
                &KMeansConfig {
                    n_restarts: 1,
                    seed: s,
                    ..cfg.clone()
                },
            )
            .unwrap();
            assert!(a.inertia <= one.inertia + 1e-9);
        }
    }

    #[test]
    fn lloyd_fixed_point_property() {
        // At convergence every point is nearest its own centroid and every
        // centroid is the mean of its points.
        let (pts, _) = blobs(&CENTRES, 12.0, 30, 9);
        let r = kmeans(
            &pts,
            &KMeansConfig {
                n_clusters: 4,
                seed: 1,
                ..Default::default()
            },
        )
        .unwrap();
        for (p, &l) in pts.iter().zip(&r.labels) {
            assert_eq!(nearest(p, &r.centroids).0, l);
        }
        for j in 0..4 {
            let members: Vec<_> = pts
                .iter()
                .zip(&r.labels)
                .filter(|(_, &l)| l == j)
                .map(|(p, _)| p)
                .collect();
            assert!(!members.is_empty());
            for d in 0..3 {
                let m = members.iter().map(|p| p[d]).sum::<f64>() / members.len() as f64;
                assert!((m - r.centroids[j][d]).abs() < 1e-5);
            }
        }
    }

    #[test]
    fn emptied_cluster_takes_the_farthest_point() {
        // Start with one centroid far from every point: its cluster is empty
        // after the first assignment and must be re-seeded, not left empty/NaN.
        let (pts, truth) = blobs(&CENTRES[..2], 2.0, 30, 4);
        let cfg = KMeansConfig {
            n_clusters: 2,
            ..Default::default()
        };
        let r = lloyd_from(&pts, vec![[0.0, 20.0, 6.0], [1e4, 1e4, 1e4]], &cfg);
        assert!(r.converged);
        assert!(r.centroids.iter().flatten().all(|x| x.is_finite()));
        // It still ends at the true two-cluster partition.
        let l0 = r.labels[0];
        for (&t, &l) in truth.iter().zip(&r.labels) {
            assert_eq!(t == truth[0], l == l0);
        }
    }

    #[test]
    fn errors() {
        let cfg = KMeansConfig {
            n_clusters: 3,
            ..Default::default()
        };
        let e = kmeans(&[[1.0, 1.0], [1.0, 1.0], [2.0, 2.0]], &cfg).unwrap_err();
        assert_eq!(
            e,
            KMeansError::TooFewPoints {
                n_clusters: 3,
                n_points: 3,
                n_distinct: 2
            }
        );
        let e = kmeans(&[[1.0, f64::NAN], [1.0, 1.0], [2.0, 2.0]], &cfg).unwrap_err();
        assert_eq!(e, KMeansError::NonFinite { index: 0 });
        assert!(kmeans(
            &[[1.0]],
            &KMeansConfig {
                n_clusters: 0,
                ..Default::default()
            }
        )
        .is_err());
        // K = number of distinct points works and puts each in its own cluster.
        let r = kmeans(&[[0.0], [5.0], [5.0], [9.0]], &cfg).unwrap();
        assert_eq!(r.inertia, 0.0);
        assert_eq!(r.labels[1], r.labels[2]);
    }
}
