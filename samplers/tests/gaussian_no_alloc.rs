//! The kernels' transitions do not allocate: a counting global allocator
//! (this test binary only, counting the calling thread's allocations) sees
//! zero allocations across hundreds of NUTS (diag and dense), HMC and
//! Metropolis steps once the state exists.

use eqnemix_samplers::adapt::MetricKind;
use eqnemix_samplers::hmc::{Hamiltonian, HamiltonianKernel, HmcKernel, Metric, Trajectory};
use eqnemix_samplers::metropolis::MetropolisKernel;
use eqnemix_samplers::nuts::NutsKernel;
use eqnemix_samplers::targets::{CorrelatedGaussian, GaussianMixture};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    /// Allocations made by this thread (const-initialised: no allocation).
    /// Counting per thread means the test harness's own threads, which may
    /// allocate at any time on a loaded machine, cannot make the test fail.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn record_allocation() {
    // `try_with` fails only while the thread is being torn down.
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record_allocation();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        record_allocation();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by the calling thread while `f` runs.
fn count<F: FnMut()>(mut f: F) -> usize {
    let before = ALLOCATIONS.with(|c| c.get());
    f();
    ALLOCATIONS.with(|c| c.get()) - before
}

#[test]
fn transitions_do_not_allocate() {
    // The counter itself works.
    assert!(count(|| {
        std::hint::black_box(vec![1u8; 10]);
    }) > 0);
    let t = CorrelatedGaussian::ar1_10d();
    let cov: Vec<f64> = t.covariance().transpose().iter().copied().collect();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for kind in [MetricKind::Diag, MetricKind::Dense] {
        let est = match kind {
            MetricKind::Diag => (0..10).map(|i| cov[i * 10 + i]).collect(),
            MetricKind::Dense => cov.clone(),
        };
        let ham = Hamiltonian {
            density: &t,
            metric: Metric::from_estimate(10, kind, est).unwrap(),
        };
        let nuts = NutsKernel {
            ham,
            step_size: 0.4,
            max_tree_depth: 10,
            max_energy_error: 1000.0,
        };
        let mut s = nuts.init(t.mean());
        let n = count(|| {
            for _ in 0..300 {
                nuts.step(&mut s, &mut rng);
            }
        });
        assert_eq!(n, 0, "NUTS ({kind:?}) allocated {n} times in 300 steps");
    }
    let hmc = HmcKernel {
        ham: Hamiltonian::new(&t, MetricKind::Diag),
        step_size: 0.1,
        trajectory: Trajectory::Steps(20),
        max_energy_error: 1000.0,
    };
    let mut s = hmc.init(t.mean());
    let n = count(|| {
        for _ in 0..300 {
            hmc.step(&mut s, &mut rng);
        }
    });
    assert_eq!(n, 0, "HMC allocated {n} times");
    let mix = GaussianMixture::two_mode_3d(0.3, 0.7, 4.0).unwrap();
    let mh = MetropolisKernel::isotropic(&mix, 1.0, 1.0);
    let mut s = mh.init(&[0.0, 0.0, 0.0]);
    let n = count(|| {
        for _ in 0..1000 {
            mh.step(&mut s, &mut rng);
        }
    });
    assert_eq!(n, 0, "Metropolis allocated {n} times");
}
