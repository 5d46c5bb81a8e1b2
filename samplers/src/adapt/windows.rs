//! Stan's warm-up schedule (Stan Reference Manual, "HMC algorithm
//! parameters: automatic parameter tuning"): a fast initial buffer (step
//! size only, 75 iterations), slow windows for the metric starting at 25
//! iterations and doubling, the last stretched to the terminal buffer, and a
//! fast terminal buffer (50 iterations) where the step size settles for the
//! final metric.

use serde::{Deserialize, Serialize};

/// Window sizes (iterations).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WindowConfig {
    /// Initial fast buffer (75).
    pub init_buffer: usize,
    /// First slow window (25); each next one doubles.
    pub base_window: usize,
    /// Terminal fast buffer (50).
    pub term_buffer: usize,
}

impl Default for WindowConfig {
    fn default() -> Self {
        WindowConfig {
            init_buffer: 75,
            base_window: 25,
            term_buffer: 50,
        }
    }
}

/// The slow-window boundaries for one warm-up length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowSchedule {
    /// Total warm-up iterations.
    pub n_warmup: usize,
    /// First iteration of the slow phase.
    pub slow_start: usize,
    /// One past the last slow iteration.
    pub slow_end: usize,
    /// Last iteration (inclusive) of each slow window.
    pub window_ends: Vec<usize>,
}

impl WindowSchedule {
    /// Schedule for `n_warmup` iterations. When the default buffers do not
    /// fit, use 15% / 75% / 10% of warm-up, as Stan does; with fewer than 20
    /// warm-up iterations there is no slow window (step size only).
    pub fn new(n_warmup: usize, cfg: &WindowConfig) -> Self {
        let (init, term, base) = if n_warmup < 20 {
            return WindowSchedule {
                n_warmup,
                slow_start: n_warmup,
                slow_end: n_warmup,
                window_ends: vec![],
            };
        } else if cfg.init_buffer + cfg.base_window + cfg.term_buffer > n_warmup {
            let init = (0.15 * n_warmup as f64) as usize;
            let term = (0.1 * n_warmup as f64) as usize;
            (init, term, n_warmup - init - term)
        } else {
            (cfg.init_buffer, cfg.term_buffer, cfg.base_window.max(1))
        };
        let slow_start = init;
        let slow_end = n_warmup - term;
        let mut window_ends = Vec::new();
        let mut start = slow_start;
        let mut size = base;
        while start < slow_end {
            let mut end = start + size;
            // Stretch the window if the next (doubled) one would not fit.
            if end + 2 * size > slow_end {
                end = slow_end;
            }
            window_ends.push(end - 1);
            start = end;
            size *= 2;
        }
        WindowSchedule {
            n_warmup,
            slow_start,
            slow_end,
            window_ends,
        }
    }

    /// Equal slow windows of `base_window` iterations between the same
    /// buffers (the last one absorbs the remainder): frequent updates for
    /// cumulative (Haario-style) estimation.
    pub fn equal(n_warmup: usize, cfg: &WindowConfig) -> Self {
        let doubling = Self::new(n_warmup, cfg);
        let (start, end) = (doubling.slow_start, doubling.slow_end);
        let size = cfg.base_window.max(1);
        let mut window_ends: Vec<usize> = (1..)
            .map(|k| start + k * size - 1)
            .take_while(|e| e + size < end)
            .collect();
        if end > start {
            window_ends.push(end - 1);
        }
        WindowSchedule {
            n_warmup,
            slow_start: start,
            slow_end: end,
            window_ends,
        }
    }

    /// `iter` lies in a slow (metric-adapting) window.
    pub fn in_slow_window(&self, iter: usize) -> bool {
        iter >= self.slow_start && iter < self.slow_end
    }

    /// `iter` is the last iteration of a slow window.
    pub fn is_window_end(&self, iter: usize) -> bool {
        self.window_ends.binary_search(&iter).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stan_default_schedule_for_1000() {
        let s = WindowSchedule::new(1000, &WindowConfig::default());
        // Stan: 75 | 25, 50, 100, 200, 500 (stretched) | 50
        assert_eq!(s.slow_start, 75);
        assert_eq!(s.slow_end, 950);
        assert_eq!(s.window_ends, vec![99, 149, 249, 449, 949]);
    }

    #[test]
    fn short_warmup_uses_fractions() {
        let s = WindowSchedule::new(100, &WindowConfig::default());
        assert_eq!((s.slow_start, s.slow_end), (15, 90));
        assert_eq!(s.window_ends, vec![89]);
        assert!(WindowSchedule::new(10, &WindowConfig::default())
            .window_ends
            .is_empty());
        let e = WindowSchedule::equal(
            1000,
            &WindowConfig {
                init_buffer: 100,
                base_window: 200,
                term_buffer: 150,
            },
        );
        assert_eq!(e.window_ends, vec![299, 499, 849]);
    }
}
