//! The synthetic truth of a run: the true catalog `eqnemix generate`
//! writes next to its miniSEED (`catalog.csv`: hypocentres and the true P
//! and S arrival times at the station), read in the run's local frame.

use crate::geo::LocalProjection;
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use std::path::Path;

/// One true event of a synthetic catalog.
#[derive(Debug, Clone, PartialEq)]
pub struct TrueEvent {
    /// Event id (`ev0000`, ...).
    pub id: String,
    /// Generator cluster name (`A`, ...), when the catalog has the column.
    pub cluster: Option<String>,
    /// Hypocentre `[east, north, depth]` (km) in the run's frame.
    pub km: [f64; 3],
    /// True P arrival at the station (UTC).
    pub p_time: DateTime<Utc>,
    /// True S arrival at the station (UTC), when the catalog has the column.
    pub s_time: Option<DateTime<Utc>>,
}

impl TrueEvent {
    /// True S-P time (s), when the S time is known.
    pub fn s_minus_p_s(&self) -> Option<f64> {
        self.s_time.map(|s| crate::picks::duration_s(s - self.p_time))
    }
}

/// Read a true catalog (columns `event_id`, `latitude`, `longitude`,
/// `depth` (km), `p_time`; optional `s_time`, `cluster`; `#` comments).
/// Errors name the file, row and field.
pub fn read_truth(path: &Path, projection: &LocalProjection) -> Result<Vec<TrueEvent>> {
    let mut r = csv::ReaderBuilder::new().comment(Some(b'#')).from_path(path).with_context(|| format!("reading {}", path.display()))?;
    let h = r.headers()?.clone();
    let find = |n: &str| h.iter().position(|c| c == n);
    let col = |n: &str| find(n).with_context(|| format!("{}: no column `{n}`", path.display()));
    let (ii, ilat, ilon, idep, ip) = (col("event_id")?, col("latitude")?, col("longitude")?, col("depth")?, col("p_time")?);
    let (is, icl) = (find("s_time"), find("cluster"));
    let mut out = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let rec = rec.with_context(|| format!("{}: row {}", path.display(), i + 1))?;
        let num = |c: usize, n: &str| -> Result<f64> {
            rec.get(c).unwrap_or("").trim().parse::<f64>().with_context(|| format!("{}: row {}: field `{n}`", path.display(), i + 1))
        };
        let time = |c: usize, n: &str| -> Result<DateTime<Utc>> {
            crate::catalog::parse_utc_time(rec.get(c).unwrap_or("")).with_context(|| format!("{}: row {}: field `{n}`", path.display(), i + 1))
        };
        out.push(TrueEvent {
            id: rec.get(ii).unwrap_or("").to_string(),
            cluster: icl.and_then(|c| rec.get(c)).map(str::to_string).filter(|s| !s.is_empty()),
            km: projection.to_local_xyz_km(num(ilon, "longitude")?, num(ilat, "latitude")?, num(idep, "depth")?),
            p_time: time(ip, "p_time")?,
            s_time: is.map(|c| time(c, "s_time")).transpose()?,
        });
    }
    Ok(out)
}
