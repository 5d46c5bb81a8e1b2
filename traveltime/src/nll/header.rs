//! The NonLinLoc `.hdr` text header: parsing and formatting.
//!
//! Layout (NonLinLoc "3D Grid Header file"):
//!
//! ```text
//! xNum yNum zNum  xOrig yOrig zOrig  dx dy dz  gridType [floatType]
//! label xSrce ySrce zSrce                      (TIME grids only)
//! TRANSFORM ...                                (optional, any later line)
//! ```
//!
//! `xNum yNum zNum` are node counts, `xOrig yOrig zOrig` the position (km)
//! of node (0, 0, 0), `dx dy dz` the node spacing (km), `floatType` is
//! `FLOAT` (default) or `DOUBLE`. The source line of a TIME grid gives the
//! station code and its position (km). Other lines (comments, keywords this
//! crate does not use) are ignored as NonLinLoc ignores them, except
//! `CASCADING_GRID`, whose buffer layout differs and is refused.

use super::grid_type::{NllFloatType, NllGridType};
use crate::GridGeometry;
use std::fmt::Write as _;

/// The source (station) line of a TIME grid header.
#[derive(Debug, Clone, PartialEq)]
pub struct NllSource {
    /// Station code (no spaces).
    pub label: String,
    /// Position `[east, north, depth]` (km).
    pub position_km: [f64; 3],
}

/// A parsed NonLinLoc header.
#[derive(Debug, Clone, PartialEq)]
pub struct NllHeader {
    /// Node counts, origin (km) and spacing (km).
    pub geometry: GridGeometry,
    /// What the values mean.
    pub grid_type: NllGridType,
    /// Binary type of the `.buf` values.
    pub float_type: NllFloatType,
    /// The source of a TIME grid (required for `TIME`, `None` otherwise).
    pub source: Option<NllSource>,
    /// The `TRANSFORM` line without its keyword (e.g. `SIMPLE LatOrig 35.7
    /// LongOrig -117.5 RotCW 0.0`), kept verbatim; `None` when absent.
    pub transform: Option<String>,
}

/// Names of the fields of the first header line, in order.
const FIELD_NAMES: [&str; 11] = [
    "xNum",
    "yNum",
    "zNum",
    "xOrig",
    "yOrig",
    "zOrig",
    "dx",
    "dy",
    "dz",
    "gridType",
    "floatType",
];

impl NllHeader {
    /// The header of a `VELOCITY` grid (km/s, `FLOAT`) on `geometry`.
    pub fn velocity_km_s(geometry: GridGeometry) -> Self {
        NllHeader { geometry, grid_type: NllGridType::Velocity, float_type: NllFloatType::Float, source: None, transform: None }
    }

    /// The header of a `TIME` grid (s, `FLOAT`) on `geometry` of the source
    /// (station) `label` at `position_km`.
    pub fn time_s(geometry: GridGeometry, label: &str, position_km: [f64; 3]) -> Self {
        NllHeader {
            geometry,
            grid_type: NllGridType::Time,
            float_type: NllFloatType::Float,
            source: Some(NllSource { label: label.to_string(), position_km }),
            transform: None,
        }
    }

    /// Parse header text. Errors name the line (1-based) and field.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l))
            .filter(|(_, l)| !l.trim().is_empty());
        let (line_no, first) = lines.next().ok_or_else(|| "empty header (expected `xNum yNum zNum xOrig yOrig zOrig dx dy dz gridType [floatType]`)".to_string())?;
        let fields: Vec<&str> = first.split_whitespace().collect();
        if fields.len() != 10 && fields.len() != 11 {
            return Err(format!(
                "line {line_no}: expected 10 or 11 fields `xNum yNum zNum xOrig yOrig zOrig dx dy dz gridType [floatType]`, found {}",
                fields.len()
            ));
        }
        let mut n = [0usize; 3];
        for (k, slot) in n.iter_mut().enumerate() {
            let word = fields[k];
            let value: i64 = word.parse().map_err(|_| {
                format!(
                    "line {line_no}, field `{}`: `{word}` is not an integer",
                    FIELD_NAMES[k]
                )
            })?;
            if value < 1 {
                return Err(format!(
                    "line {line_no}, field `{}`: node count {value} must be at least 1",
                    FIELD_NAMES[k]
                ));
            }
            *slot = value as usize;
        }
        let mut reals = [0.0f64; 6];
        for (k, slot) in reals.iter_mut().enumerate() {
            let name = FIELD_NAMES[3 + k];
            let word = fields[3 + k];
            let value: f64 = word
                .parse()
                .map_err(|_| format!("line {line_no}, field `{name}`: `{word}` is not a number"))?;
            if !value.is_finite() {
                return Err(format!(
                    "line {line_no}, field `{name}`: `{word}` is not finite"
                ));
            }
            if k >= 3 && value <= 0.0 {
                return Err(format!(
                    "line {line_no}, field `{name}`: spacing {value} km must be positive"
                ));
            }
            *slot = value;
        }
        let grid_type = NllGridType::parse(fields[9])
            .map_err(|p| format!("line {line_no}, field `gridType`: {p}"))?;
        let float_type = match fields.get(10) {
            None | Some(&"FLOAT") => NllFloatType::Float,
            Some(&"DOUBLE") => NllFloatType::Double,
            Some(other) => {
                return Err(format!(
                    "line {line_no}, field `floatType`: `{other}` is neither FLOAT nor DOUBLE"
                ))
            }
        };
        let geometry = GridGeometry {
            n,
            origin_km: [reals[0], reals[1], reals[2]],
            spacing_km: [reals[3], reals[4], reals[5]],
        };

        let mut source = None;
        let mut transform = None;
        for (idx, (line_no, line)) in lines.enumerate() {
            let words: Vec<&str> = line.split_whitespace().collect();
            match words[0] {
                "TRANSFORM" => {
                    transform = Some(words[1..].join(" "));
                }
                "CASCADING_GRID" => {
                    return Err(format!(
                        "line {line_no}: cascading grids (CASCADING_GRID) are not supported"
                    ))
                }
                _ if idx == 0 && grid_type == NllGridType::Time => {
                    source = Some(parse_source(line_no, &words)?);
                }
                _ => {}
            }
        }
        if grid_type == NllGridType::Time && source.is_none() {
            return Err(
                "line 2: a TIME grid needs a source line `label xSrce ySrce zSrce` after the grid line".to_string()
            );
        }
        Ok(NllHeader {
            geometry,
            grid_type,
            float_type,
            source,
            transform,
        })
    }

    /// The header text as NonLinLoc writes it (floats in Rust's shortest
    /// representation that reads back exactly).
    pub fn format(&self) -> String {
        let g = &self.geometry;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{} {} {}  {} {} {}  {} {} {} {} {}",
            g.n[0],
            g.n[1],
            g.n[2],
            g.origin_km[0],
            g.origin_km[1],
            g.origin_km[2],
            g.spacing_km[0],
            g.spacing_km[1],
            g.spacing_km[2],
            self.grid_type.name(),
            self.float_type.name()
        );
        if let Some(src) = &self.source {
            let p = src.position_km;
            let _ = writeln!(s, "{} {} {} {}", src.label, p[0], p[1], p[2]);
        }
        if let Some(t) = &self.transform {
            let _ = writeln!(s, "TRANSFORM  {t}");
        }
        s
    }

    /// Check the header can be written: a TIME grid has a source (and only a
    /// TIME grid), the label has no whitespace, numbers are finite, counts
    /// and spacings positive.
    pub fn validate(&self) -> Result<(), String> {
        let g = &self.geometry;
        if g.n.contains(&0) {
            return Err(format!("node counts {:?} must be at least 1", g.n));
        }
        if g.spacing_km.iter().any(|&d| !(d.is_finite() && d > 0.0)) {
            return Err(format!(
                "spacings {:?} km must be positive and finite",
                g.spacing_km
            ));
        }
        if g.origin_km.iter().any(|v| !v.is_finite()) {
            return Err(format!("origin {:?} km must be finite", g.origin_km));
        }
        match (&self.source, self.grid_type) {
            (None, NllGridType::Time) => {
                return Err("a TIME grid needs a source (station)".to_string())
            }
            (Some(_), t) if t != NllGridType::Time => {
                return Err(format!("a {t} grid cannot carry a source line"))
            }
            (Some(src), _) => {
                if src.label.is_empty() || src.label.chars().any(char::is_whitespace) {
                    return Err(format!(
                        "station label `{}` must be non-empty without spaces",
                        src.label
                    ));
                }
                if src.position_km.iter().any(|v| !v.is_finite()) {
                    return Err(format!(
                        "station position {:?} km must be finite",
                        src.position_km
                    ));
                }
            }
            _ => {}
        }
        if let Some(t) = &self.transform {
            if t.contains('\n') {
                return Err("the TRANSFORM text must be a single line".to_string());
            }
        }
        Ok(())
    }
}

fn parse_source(line_no: usize, words: &[&str]) -> Result<NllSource, String> {
    if words.len() != 4 {
        return Err(format!(
            "line {line_no}: expected the source line `label xSrce ySrce zSrce` (4 fields), found {} fields",
            words.len()
        ));
    }
    let mut p = [0.0; 3];
    for (k, name) in ["xSrce", "ySrce", "zSrce"].iter().enumerate() {
        let w = words[1 + k];
        let v: f64 = w
            .parse()
            .map_err(|_| format!("line {line_no}, field `{name}`: `{w}` is not a number"))?;
        if !v.is_finite() {
            return Err(format!(
                "line {line_no}, field `{name}`: `{w}` is not finite"
            ));
        }
        p[k] = v;
    }
    Ok(NllSource {
        label: words[0].to_string(),
        position_km: p,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_velocity_header_written_by_vel2grid() {
        let h = NllHeader::parse("101 121 41  -50.0 -60.0 -2.0  1.0 1.0 0.5 SLOW_LEN FLOAT\nTRANSFORM  SIMPLE LatOrig 35.700000  LongOrig -117.500000  RotCW 0.000000\n").unwrap();
        assert_eq!(h.geometry.n, [101, 121, 41]);
        assert_eq!(h.geometry.origin_km, [-50.0, -60.0, -2.0]);
        assert_eq!(h.geometry.spacing_km, [1.0, 1.0, 0.5]);
        assert_eq!(h.grid_type, NllGridType::SlowLen);
        assert_eq!(h.float_type, NllFloatType::Float);
        assert_eq!(h.source, None);
        assert_eq!(
            h.transform.as_deref(),
            Some("SIMPLE LatOrig 35.700000 LongOrig -117.500000 RotCW 0.000000")
        );
    }

    #[test]
    fn parses_a_time_header_without_float_type() {
        let h = NllHeader::parse("2 51 31 0 0 0 0.5 0.5 0.5 TIME\nCCC 1.5 -2.25 -0.7\n").unwrap();
        assert_eq!(h.float_type, NllFloatType::Float);
        let s = h.source.unwrap();
        assert_eq!(s.label, "CCC");
        assert_eq!(s.position_km, [1.5, -2.25, -0.7]);
    }

    #[test]
    fn format_then_parse_is_identity() {
        let h = NllHeader {
            geometry: GridGeometry {
                n: [3, 4, 5],
                origin_km: [-1.1, 0.1, -0.3],
                spacing_km: [0.1, 0.2, 0.3],
            },
            grid_type: NllGridType::Time,
            float_type: NllFloatType::Double,
            source: Some(NllSource {
                label: "CI.WRC2".into(),
                position_km: [0.123456789, -7.0, -1.05],
            }),
            transform: Some("NONE".into()),
        };
        h.validate().unwrap();
        assert_eq!(NllHeader::parse(&h.format()).unwrap(), h);
    }

    #[test]
    fn errors_name_line_and_field() {
        let cases = [
            ("10 10 10 0 0 0 1 1 VELOCITY", "expected 10 or 11 fields"),
            (
                "10 x 10 0 0 0 1 1 1 VELOCITY",
                "field `yNum`: `x` is not an integer",
            ),
            ("10 10 0 0 0 0 1 1 1 VELOCITY", "field `zNum`: node count 0"),
            (
                "10 10 10 0 abc 0 1 1 1 VELOCITY",
                "field `yOrig`: `abc` is not a number",
            ),
            (
                "10 10 10 0 0 0 1 -1 1 VELOCITY",
                "field `dy`: spacing -1 km must be positive",
            ),
            ("10 10 10 0 0 0 1 1 0 VELOCITY", "field `dz`: spacing 0 km"),
            ("10 10 10 0 0 0 1 1 1 VELOCITY HALF", "field `floatType`"),
            ("10 10 10 0 0 0 1 1 1 WIBBLE", "unknown grid type `WIBBLE`"),
            ("10 10 10 0 0 0 1 1 1 TIME2D", "`TIME2D` is not supported"),
            ("10 10 10 0 0 0 1 1 1 TIME", "needs a source line"),
            (
                "10 10 10 0 0 0 1 1 1 TIME\nSTA 1 2",
                "line 2: expected the source line",
            ),
            (
                "10 10 10 0 0 0 1 1 1 TIME\nSTA 1 2 z",
                "line 2, field `zSrce`",
            ),
            ("", "empty header"),
        ];
        for (text, want) in cases {
            let err = NllHeader::parse(text).unwrap_err();
            assert!(err.contains(want), "{text:?}: got `{err}`, want `{want}`");
            if !text.is_empty() {
                assert!(err.starts_with("line "), "{err}");
            }
        }
    }
}
