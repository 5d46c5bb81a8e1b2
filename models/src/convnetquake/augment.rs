//! Data augmentation of labelled windows, as the original
//! `data_augmentation.py`: Gaussian noise scaled by each component's
//! standard deviation, and optionally a stretch or compression in time and a
//! shift in time.
//!
//! Each call makes one new window per input window, with the same label
//! (`origin` records what was done).

use rand::Rng;
use rand_distr::{Distribution, Normal};

use super::error::CnqError;
use super::windows::{Dataset, WindowLabel};

/// What [`augment_dataset`] does to each window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AugmentOptions {
    /// Standard deviation of the added Gaussian noise as a multiple of each
    /// component's standard deviation in the window (`0`: no noise).
    pub std_factor: f64,
    /// Stretch in time by a random factor in `[1, 1 + max_stretch]`.
    pub stretch: bool,
    /// Compress in time by a random factor in `[1 - max_stretch, 1]`.
    pub compress: bool,
    /// Shift in time by a random number of samples in `[-max_shift, max_shift]`.
    pub shift: bool,
    /// Largest relative stretch or compression (default 0.2).
    pub max_stretch: f64,
    /// Largest shift in samples (default 200, i.e. 2 s at 100 Hz).
    pub max_shift: usize,
}

impl Default for AugmentOptions {
    fn default() -> Self {
        Self { std_factor: 1.2, stretch: false, compress: false, shift: false, max_stretch: 0.2, max_shift: 200 }
    }
}

/// Adds zero-mean Gaussian noise of standard deviation `std_factor` times
/// the component's own standard deviation, to each component.
pub fn add_gaussian_noise<R: Rng + ?Sized>(window: &mut [[f32; 3]], std_factor: f64, rng: &mut R) {
    if window.is_empty() || std_factor <= 0.0 {
        return;
    }
    let n = window.len() as f64;
    for c in 0..3 {
        let mean = window.iter().map(|s| s[c] as f64).sum::<f64>() / n;
        let var = window.iter().map(|s| (s[c] as f64 - mean).powi(2)).sum::<f64>() / n;
        let sigma = std_factor * var.sqrt();
        if let Ok(normal) = Normal::new(0.0, sigma) {
            if sigma > 0.0 {
                for s in window.iter_mut() {
                    s[c] += normal.sample(rng) as f32;
                }
            }
        }
    }
}

/// Resamples the window in time by `factor` (`> 1` stretches: the signal
/// lasts longer; `< 1` compresses) about its first sample, by linear
/// interpolation; output sample `i` is input time `i / factor`, zero past
/// the end. The length is kept.
pub fn stretch(window: &[[f32; 3]], factor: f64) -> Vec<[f32; 3]> {
    let n = window.len();
    (0..n)
        .map(|i| {
            let x = i as f64 / factor;
            let j = x.floor() as usize;
            if j + 1 < n {
                let w = (x - j as f64) as f32;
                let (a, b) = (window[j], window[j + 1]);
                [a[0] + w * (b[0] - a[0]), a[1] + w * (b[1] - a[1]), a[2] + w * (b[2] - a[2])]
            } else if j + 1 == n && x == j as f64 {
                window[j]
            } else {
                [0.0; 3]
            }
        })
        .collect()
}

/// Shifts the window by `samples` (positive: later), filling with zeros.
pub fn shift(window: &[[f32; 3]], samples: i64) -> Vec<[f32; 3]> {
    let n = window.len() as i64;
    (0..n)
        .map(|i| {
            let j = i - samples;
            if (0..n).contains(&j) {
                window[j as usize]
            } else {
                [0.0; 3]
            }
        })
        .collect()
}

/// One augmented copy of every window of `input` (see [`AugmentOptions`]).
pub fn augment_dataset<R: Rng + ?Sized>(input: &Dataset, opts: &AugmentOptions, rng: &mut R) -> Result<Dataset, CnqError> {
    if !(opts.std_factor >= 0.0 && opts.std_factor.is_finite()) {
        return Err(CnqError::Config { field: "std_factor", value: opts.std_factor.to_string(), reason: "must be finite and >= 0" });
    }
    if !(opts.max_stretch > 0.0 && opts.max_stretch < 1.0) {
        return Err(CnqError::Config { field: "max_stretch", value: opts.max_stretch.to_string(), reason: "must be in (0, 1)" });
    }
    let mut out = Dataset::default();
    for (i, label) in input.labels.iter().enumerate() {
        let mut w = input.window(i).to_vec();
        let mut what = Vec::new();
        if opts.stretch {
            let f = 1.0 + rng.gen_range(0.0..=opts.max_stretch);
            w = stretch(&w, f);
            what.push(format!("stretch {f:.3}"));
        }
        if opts.compress {
            let f = 1.0 - rng.gen_range(0.0..=opts.max_stretch);
            w = stretch(&w, f);
            what.push(format!("compress {f:.3}"));
        }
        if opts.shift {
            let m = opts.max_shift as i64;
            let s = rng.gen_range(-m..=m);
            w = shift(&w, s);
            what.push(format!("shift {s}"));
        }
        if opts.std_factor > 0.0 {
            add_gaussian_noise(&mut w, opts.std_factor, rng);
            what.push(format!("noise x{}", opts.std_factor));
        }
        let origin = format!("augmented({}) {}", what.join(", "), label.origin);
        out.push(WindowLabel { origin: origin.trim().to_string(), ..label.clone() }, &w)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn noise_has_the_requested_standard_deviation() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let n = 100_000;
        let clean: Vec<[f32; 3]> = (0..n).map(|i| [(i as f32 * 0.1).sin(), 2.0 * (i as f32 * 0.07).cos(), 0.0]).collect();
        let mut w = clean.clone();
        add_gaussian_noise(&mut w, 0.5, &mut rng);
        for (c, std) in [(0usize, (0.5f64).sqrt()), (1, 2.0 * 0.5f64.sqrt())] {
            let d: Vec<f64> = w.iter().zip(&clean).map(|(a, b)| (a[c] - b[c]) as f64).collect();
            let var = d.iter().map(|x| x * x).sum::<f64>() / n as f64;
            // sigma = 0.5 * std(component); relative error of a variance estimate ~ sqrt(2/n) = 0.45 %.
            let want = (0.5 * std) * (0.5 * std);
            assert!((var / want - 1.0).abs() < 0.03, "component {c}: {var} vs {want}");
        }
        // A constant component gets no noise.
        assert!(w.iter().all(|s| s[2] == 0.0));
    }

    #[test]
    fn stretch_by_two_moves_a_spike_to_twice_its_time() {
        let mut w = vec![[0.0f32; 3]; 1000];
        w[100] = [1.0, 2.0, 3.0];
        let s = stretch(&w, 2.0);
        assert_eq!(s[200], [1.0, 2.0, 3.0]);
        assert_eq!(s[199], [0.5, 1.0, 1.5]);
        let c = stretch(&w, 0.5);
        assert_eq!(c[50], [1.0, 2.0, 3.0]);
        assert_eq!(stretch(&w, 1.0), w);
    }

    #[test]
    fn shift_moves_and_zero_fills() {
        let w: Vec<[f32; 3]> = (0..10).map(|i| [i as f32; 3]).collect();
        let s = shift(&w, 3);
        assert_eq!(s[0], [0.0; 3]);
        assert_eq!(s[3], [0.0; 3]);
        assert_eq!(s[4], [1.0; 3]);
        let s = shift(&w, -2);
        assert_eq!(s[0], [2.0; 3]);
        assert_eq!(s[9], [0.0; 3]);
    }
}
