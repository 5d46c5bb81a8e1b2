//! The memory limit: every size a user controls (grid nodes, draws,
//! chains, particles, cells, record lengths) is turned into an estimate of
//! the memory it implies and checked against a limit **before** anything is
//! allocated, so that a typo (`n_draws = 1e10`) is a clear error naming the
//! key, the estimate and the limit instead of an allocation failure that
//! aborts the process.
//!
//! The limit, first found wins:
//!
//! 1. the global flag `--memory-limit GB` of the `eqnemix` command;
//! 2. the environment variable `EQNEMIX_MEMORY_LIMIT_GB`;
//! 3. the configuration's `[limits] memory_gb` (`locate`, `run`,
//!    `config --check`);
//! 4. three quarters of the machine's memory (`MemTotal` of
//!    `/proc/meminfo`), or 8 GB where that cannot be read.
//!
//! GB are decimal (10⁹ bytes). Estimates are computed with saturating
//! `u128` arithmetic, so an absurd value (`grid.n = [1e9, 1e9, 1e9]`) gives
//! an absurd estimate, never an overflow. They count the large buffers of
//! the computation (per event for a location), not every small one: they
//! are lower bounds accurate to a small factor, meant to refuse what cannot
//! fit, not to predict the peak.
//!
//! ```
//! use eqnemix::memory_budget::{MemoryBudget, mul};
//! let budget = MemoryBudget::from_gb(1.0).unwrap();
//! assert!(budget.check("100 MB of draws", 100_000_000).is_ok());
//! let err = budget.check("sampler.n_draws: 1e10 draws", mul(10_000_000_000, 24)).unwrap_err();
//! assert!(err.to_string().contains("needs ≈ 240 GB; the memory limit is 1.0 GB"));
//! ```

use std::fmt;

/// Environment variable holding the limit in GB.
pub const ENV_VAR: &str = "EQNEMIX_MEMORY_LIMIT_GB";
/// The limit where the machine's memory cannot be read (8 GB).
pub const FALLBACK_LIMIT_BYTES: u128 = 8_000_000_000;
/// Share of the machine's memory that is the default limit.
pub const MACHINE_SHARE: f64 = 0.75;
/// How to change the limit, appended to every error.
pub const HOW_TO_CHANGE: &str = "set --memory-limit GB, EQNEMIX_MEMORY_LIMIT_GB or a configuration's [limits] memory_gb";

/// Where the limit came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitSource {
    /// `--memory-limit`.
    Flag,
    /// `EQNEMIX_MEMORY_LIMIT_GB`.
    Env,
    /// `[limits] memory_gb`.
    Config,
    /// A share of the machine's memory.
    Machine,
    /// The fixed fallback.
    Fallback,
    /// Given by the caller ([`MemoryBudget::from_gb`]).
    Explicit,
}

impl fmt::Display for LimitSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LimitSource::Flag => "from --memory-limit",
            LimitSource::Env => "from EQNEMIX_MEMORY_LIMIT_GB",
            LimitSource::Config => "from [limits] memory_gb",
            LimitSource::Machine => "3/4 of this machine's memory",
            LimitSource::Fallback => "the default",
            LimitSource::Explicit => "as given",
        })
    }
}

/// A memory limit (bytes) and where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryBudget {
    /// The limit (bytes).
    pub limit_bytes: u128,
    /// Where it came from (said in errors).
    pub source: LimitSource,
}

/// An estimate over the limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} needs ≈ {}; the memory limit is {} ({}; {HOW_TO_CHANGE})", format_bytes(*.bytes), format_bytes(*.limit_bytes), .limit_source)]
pub struct OverBudget {
    /// What needs the memory, naming the key or flag and the sizes.
    pub what: String,
    /// The estimate (bytes).
    pub bytes: u128,
    /// The limit (bytes).
    pub limit_bytes: u128,
    /// Where the limit came from.
    pub limit_source: LimitSource,
}

/// Check a limit in GB (`what` names where it was given).
fn parse_gb(gb: f64, what: &str) -> Result<u128, String> {
    if gb.is_finite() && gb > 0.0 {
        // `as` saturates: 1e300 GB is u128::MAX bytes.
        Ok((gb * 1e9) as u128)
    } else {
        Err(format!("{what} must be a finite number of GB > 0 (is {gb})"))
    }
}

impl MemoryBudget {
    /// A limit of `gb` GB (10⁹ bytes); `gb` finite and > 0.
    pub fn from_gb(gb: f64) -> Result<Self, String> {
        Ok(MemoryBudget { limit_bytes: parse_gb(gb, "the memory limit")?, source: LimitSource::Explicit })
    }

    /// No limit (for callers that checked elsewhere).
    pub fn unlimited() -> Self {
        MemoryBudget { limit_bytes: u128::MAX, source: LimitSource::Explicit }
    }

    /// The limit of the module doc's order: `flag_gb`, then the
    /// environment variable [`ENV_VAR`], then `config_gb`, then a share of
    /// this machine's memory.
    pub fn resolve(flag_gb: Option<f64>, config_gb: Option<f64>) -> Result<Self, String> {
        let env = std::env::var(ENV_VAR).ok();
        Self::resolve_from(flag_gb, env.as_deref(), config_gb, machine_memory_bytes())
    }

    /// [`MemoryBudget::resolve`] with the environment variable's text and
    /// the machine's memory (bytes) given (deterministic, for tests).
    pub fn resolve_from(flag_gb: Option<f64>, env: Option<&str>, config_gb: Option<f64>, machine_bytes: Option<u128>) -> Result<Self, String> {
        if let Some(gb) = flag_gb {
            return Ok(MemoryBudget { limit_bytes: parse_gb(gb, "--memory-limit")?, source: LimitSource::Flag });
        }
        if let Some(text) = env.map(str::trim).filter(|t| !t.is_empty()) {
            let gb: f64 = text.parse().map_err(|_| format!("{ENV_VAR} = {text:?} is not a number of GB"))?;
            return Ok(MemoryBudget { limit_bytes: parse_gb(gb, ENV_VAR)?, source: LimitSource::Env });
        }
        if let Some(gb) = config_gb {
            return Ok(MemoryBudget { limit_bytes: parse_gb(gb, "limits.memory_gb")?, source: LimitSource::Config });
        }
        Ok(match machine_bytes {
            Some(b) if b > 0 => MemoryBudget { limit_bytes: (b as f64 * MACHINE_SHARE) as u128, source: LimitSource::Machine },
            _ => MemoryBudget { limit_bytes: FALLBACK_LIMIT_BYTES, source: LimitSource::Fallback },
        })
    }

    /// `Ok` when `bytes` fit in the limit; else an error saying `what`
    /// needs them (`what` names the key or flag and the sizes behind the
    /// estimate, e.g. "travel_time.grid.n: eikonal grid of 401×401×81
    /// nodes × 2 phases").
    pub fn check(&self, what: impl Into<String>, bytes: u128) -> Result<(), OverBudget> {
        if bytes <= self.limit_bytes {
            Ok(())
        } else {
            Err(OverBudget { what: what.into(), bytes, limit_bytes: self.limit_bytes, limit_source: self.source })
        }
    }
}

/// `MemTotal` of `/proc/meminfo` (bytes), `None` where it cannot be read.
pub fn machine_memory_bytes() -> Option<u128> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    parse_meminfo(&text)
}

/// `MemTotal` (bytes) of a `/proc/meminfo` text.
pub fn parse_meminfo(text: &str) -> Option<u128> {
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let mut words = line.split_whitespace().skip(1);
    let n: u128 = words.next()?.parse().ok()?;
    match words.next() {
        Some("kB") | None => Some(n.saturating_mul(1024)),
        _ => None,
    }
}

/// `a · b`, saturating.
pub fn mul(a: u128, b: u128) -> u128 {
    a.saturating_mul(b)
}

/// The product of `factors`, saturating.
pub fn product(factors: impl IntoIterator<Item = u128>) -> u128 {
    factors.into_iter().fold(1u128, u128::saturating_mul)
}

/// A non-negative `f64` count (seconds × rate, ...) as `u128`, rounded up;
/// NaN is 0 and infinity saturates.
pub fn ceil_count(x: f64) -> u128 {
    if x.is_nan() || x <= 0.0 {
        0
    } else {
        x.ceil() as u128
    }
}

/// Bytes in decimal units: `512 bytes`, `1.5 kB`, `240 GB`, `80 TB`;
/// beyond exabytes in powers of ten (`3.4e38 bytes`).
pub fn format_bytes(bytes: u128) -> String {
    let b = bytes as f64;
    if b < 1e3 {
        return format!("{bytes} bytes");
    }
    for (scale, unit) in [(1e3, "kB"), (1e6, "MB"), (1e9, "GB"), (1e12, "TB"), (1e15, "PB"), (1e18, "EB")] {
        let v = b / scale;
        if v < 999.95 {
            return if v < 10.0 { format!("{v:.1} {unit}") } else { format!("{v:.0} {unit}") };
        }
    }
    format!("{b:.1e} bytes")
}

/// A count for messages: `81`, `1e10` style for round powers, otherwise
/// the digits (`12345`).
pub fn format_count(n: u128) -> String {
    if n >= 1_000_000 {
        let e = (n as f64).log10().floor() as i32;
        let m = n as f64 / 10f64.powi(e);
        if (m - m.round()).abs() < 1e-9 {
            return if m.round() == 1.0 { format!("1e{e}") } else { format!("{}e{e}", m.round()) };
        }
    }
    n.to_string()
}

/// Bytes per node of a 3D velocity model (Vp and Vs, `f64`).
pub const VELOCITY_BYTES_PER_NODE: u128 = 16;
/// Bytes per node while one phase's eikonal equation is solved: time and
/// factor (`f64` each), a state byte, the heap's position (`u32`) and entry
/// (`(f64, u32)`), and the `f32` result.
pub const EIKONAL_SOLVE_BYTES_PER_NODE: u128 = 16 + 1 + 4 + 16 + 4;
/// Bytes per node of a travel-time grid kept for locating, or written
/// (`f32`).
pub const TIME_GRID_BYTES_PER_NODE: u128 = 4;
/// Bytes per node of a layered model's travel-time table (`[f64; 4]`).
pub const LAYERED_TABLE_BYTES_PER_NODE: u128 = 32;
/// Bytes per sample and channel of a synthetic record while it is built
/// and written (the `f64` trace and a working copy).
pub const SYNTHETIC_BYTES_PER_SAMPLE: u128 = 16;
/// Bytes per second of record that EQTransformer's picking holds (the
/// 100 Hz three-component input, its overlapping windows and the network's
/// three output traces per window): 876 MB for a station-day picked whole,
/// measured by `examples/pick_memory.rs` (about 10 kB/s).
pub const PICK_BYTES_PER_SECOND: u128 = 10_000;

/// Bytes per window of EQTransformer's picking beyond
/// [`PICK_BYTES_PER_SECOND`]: the window's normalised copy and the
/// network's three output traces (6000 `f32` samples each).
pub const PICK_BYTES_PER_WINDOW: u128 = 2 * 3 * 6000 * 4;
/// Bytes per window of a network batch (the activations of EQTransformer
/// on one window): about 2 MB, measured as the peak resident set of
/// `eqnemix pick` on the 4 h sample with `--batch-size` 1, 32 and 256.
pub const PICK_BYTES_PER_BATCH_WINDOW: u128 = 2_000_000;
/// Bytes per window of Monte-Carlo dropout (`--mc-dropout`): the sums and
/// sums of squares (`f64`) of the three output traces over the passes.
pub const PICK_MC_BYTES_PER_WINDOW: u128 = 2 * 3 * 6000 * 8;

/// Bytes of one stored draw of `dim` coordinates with its statistics.
pub fn draw_bytes(dim: usize) -> u128 {
    (dim as u128) * 8 + std::mem::size_of::<eqnemix_samplers::DrawStats>() as u128
}

/// `n` as `81×81×41`.
pub fn format_dims(n: &[usize]) -> String {
    n.iter().map(|&v| format_count(v as u128)).collect::<Vec<_>>().join("×")
}

/// Memory of continuous records: `duration_s` seconds at `rate_hz` on
/// `channels` channels, `bytes_per_sample` each.
pub fn records_bytes(duration_s: f64, rate_hz: f64, channels: usize, bytes_per_sample: u128) -> u128 {
    product([ceil_count(duration_s * rate_hz), channels as u128, bytes_per_sample])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolution_order() {
        let m = Some(16_000_000_000u128);
        let r = MemoryBudget::resolve_from(Some(2.0), Some("3"), Some(4.0), m).unwrap();
        assert_eq!((r.limit_bytes, r.source), (2_000_000_000, LimitSource::Flag));
        let r = MemoryBudget::resolve_from(None, Some(" 3 "), Some(4.0), m).unwrap();
        assert_eq!((r.limit_bytes, r.source), (3_000_000_000, LimitSource::Env));
        let r = MemoryBudget::resolve_from(None, Some(""), Some(4.0), m).unwrap();
        assert_eq!((r.limit_bytes, r.source), (4_000_000_000, LimitSource::Config));
        let r = MemoryBudget::resolve_from(None, None, None, m).unwrap();
        assert_eq!((r.limit_bytes, r.source), (12_000_000_000, LimitSource::Machine));
        let r = MemoryBudget::resolve_from(None, None, None, None).unwrap();
        assert_eq!((r.limit_bytes, r.source), (FALLBACK_LIMIT_BYTES, LimitSource::Fallback));
    }

    #[test]
    fn bad_limits_are_errors() {
        assert!(MemoryBudget::resolve_from(Some(0.0), None, None, None).unwrap_err().contains("--memory-limit"));
        assert!(MemoryBudget::resolve_from(Some(f64::NAN), None, None, None).is_err());
        assert!(MemoryBudget::resolve_from(None, Some("lots"), None, None).unwrap_err().contains(ENV_VAR));
        assert!(MemoryBudget::resolve_from(None, Some("-1"), None, None).is_err());
        assert!(MemoryBudget::resolve_from(None, None, Some(f64::INFINITY), None).unwrap_err().contains("limits.memory_gb"));
        // Huge but finite: saturates.
        assert_eq!(MemoryBudget::from_gb(1e300).unwrap().limit_bytes, u128::MAX);
    }

    #[test]
    fn meminfo() {
        assert_eq!(parse_meminfo("MemTotal:       16303340 kB\nMemFree: 1 kB\n"), Some(16303340 * 1024));
        assert_eq!(parse_meminfo("nothing"), None);
    }

    #[test]
    fn estimates_never_overflow() {
        let n = usize::MAX as u128;
        assert_eq!(product([n, n, n, 48]), u128::MAX);
        assert_eq!(ceil_count(f64::INFINITY), u128::MAX);
        assert_eq!(ceil_count(f64::NAN), 0);
        let err = MemoryBudget::from_gb(8.0).unwrap().check("grid", u128::MAX).unwrap_err();
        assert!(err.to_string().contains("3.4e38 bytes"), "{err}");
    }

    #[test]
    fn formats() {
        assert_eq!(format_bytes(512), "512 bytes");
        assert_eq!(format_bytes(1_500), "1.5 kB");
        assert_eq!(format_bytes(240_000_000_000), "240 GB");
        assert_eq!(format_bytes(80_000_000_000_000), "80 TB");
        assert_eq!(format_count(81), "81");
        assert_eq!(format_count(10_000_000_000), "1e10");
        assert_eq!(format_count(20_000_000_000), "2e10");
        assert_eq!(format_count(12_345_678), "12345678");
        let err = MemoryBudget::from_gb(8.0).unwrap().check("sampler.n_draws: 1e10 draws", 240_000_000_000).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("sampler.n_draws: 1e10 draws needs ≈ 240 GB; the memory limit is 8.0 GB (as given; {HOW_TO_CHANGE})")
        );
    }
}
