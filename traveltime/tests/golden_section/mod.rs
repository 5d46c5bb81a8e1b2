//! Golden-section minimisation shared by the layered-model reference solvers
//! (`layered_fermat.rs`, `layered_two_layer.rs`). Hand-written on purpose:
//! the references must not share code with the crate under test.

/// Minimiser and minimum of `f` on `[a, b]` after `iterations` golden-section
/// steps. `f` must be unimodal there (convex Fermat times are); the ends are
/// also tried, so a monotone `f` gives its end minimum.
pub fn golden_min(f: &dyn Fn(f64) -> f64, mut a: f64, mut b: f64, iterations: usize) -> (f64, f64) {
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let mut c = b - g * (b - a);
    let mut d = a + g * (b - a);
    let (mut fc, mut fd) = (f(c), f(d));
    for _ in 0..iterations {
        if fc < fd {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = f(d);
        }
    }
    let mut best = (0.5 * (a + b), f(0.5 * (a + b)));
    for (x, fx) in [(a, f(a)), (b, f(b)), (c, fc), (d, fd)] {
        if fx < best.1 {
            best = (x, fx);
        }
    }
    best
}
