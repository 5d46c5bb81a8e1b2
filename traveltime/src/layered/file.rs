//! Layered model files: a small TOML format and a plain column format.
//!
//! TOML (depths km positive down, velocities km/s):
//!
//! ```toml
//! # optional
//! name = "two layers"
//!
//! [[layer]]
//! top_km = 0.0        # or thickness_km = 30.0 (the next layer's top follows)
//! vp = 6.0
//! vs = 3.5            # or vp_vs = 1.73
//!
//! [[layer]]           # the last layer is the half-space
//! top_km = 30.0
//! vp = 8.0
//! vp_vs = 1.75
//!
//! [table]             # optional, see TableSpec
//! max_distance_km = 200.0
//! ```
//!
//! Text: one layer per line, columns `top_km vp vs`, `#` starts a comment.
//!
//! Errors are [`TravelTimeError::Format`] naming the file, the line and the
//! field.

use super::model::{Layer, Layered1D};
use super::table::TableSpec;
use crate::TravelTimeError;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    #[allow(dead_code)]
    name: Option<String>,
    #[allow(dead_code)]
    description: Option<String>,
    #[serde(default)]
    layer: Vec<Spanned<RawLayer>>,
    table: Option<Spanned<TableSpec>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLayer {
    top_km: Option<Spanned<f64>>,
    thickness_km: Option<Spanned<f64>>,
    #[serde(alias = "vp_km_s")]
    vp: Spanned<f64>,
    #[serde(alias = "vs_km_s")]
    vs: Option<Spanned<f64>>,
    vp_vs: Option<Spanned<f64>>,
}

/// 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|&&b| b == b'\n').count() + 1
}

fn format_err(path: &Path, what: String) -> TravelTimeError {
    TravelTimeError::Format { path: path.to_path_buf(), what }
}

fn read(path: &Path) -> Result<String, TravelTimeError> {
    std::fs::read_to_string(path).map_err(|source| TravelTimeError::Io { path: path.to_path_buf(), source })
}

impl Layered1D {
    /// Read a TOML model file (format in the module docs of
    /// `eqnemix_traveltime::layered::file`).
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("m.toml");
    /// std::fs::write(&path, "[[layer]]\ntop_km = 0\nvp = 6.0\nvs = 3.5\n\n[[layer]]\ntop_km = 30\nvp = 8.0\nvp_vs = 1.75\n")?;
    /// let m = eqnemix_traveltime::Layered1D::from_toml_file(&path)?;
    /// assert_eq!(m.layers().len(), 2);
    /// assert!((m.layers()[1].vs_km_s - 8.0 / 1.75).abs() < 1e-12);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_toml_file(path: impl AsRef<Path>) -> Result<Self, TravelTimeError> {
        let path = path.as_ref();
        Self::from_toml_str(&read(path)?, path)
    }

    /// Parse TOML `text`; `path` names the source in errors.
    pub fn from_toml_str(text: &str, path: impl AsRef<Path>) -> Result<Self, TravelTimeError> {
        let path = path.as_ref();
        let raw: RawModel = toml::from_str(text).map_err(|e| {
            let at = e.span().map(|s| format!("line {}: ", line_of(text, s.start))).unwrap_or_default();
            format_err(path, format!("{at}{}", e.message().trim_end()))
        })?;
        if raw.layer.is_empty() {
            return Err(format_err(path, "no [[layer]] tables: a layered model needs at least one layer".into()));
        }
        let line = |span: std::ops::Range<usize>| line_of(text, span.start);
        let n = raw.layer.len();
        let mut layers: Vec<Layer> = Vec::with_capacity(n);
        let mut prev_thickness: Option<(f64, usize)> = None;
        for (i, sl) in raw.layer.iter().enumerate() {
            let l = sl.get_ref();
            let at = |s: std::ops::Range<usize>, field: &str, msg: String| {
                format_err(path, format!("line {}: layer {i}: {field} {msg}", line(s)))
            };
            let positive = |v: &Spanned<f64>, field: &str| -> Result<f64, TravelTimeError> {
                let x = *v.get_ref();
                if x.is_finite() && x > 0.0 {
                    Ok(x)
                } else {
                    Err(at(v.span(), field, format!("= {x} must be positive and finite")))
                }
            };
            let vp = positive(&l.vp, "vp")?;
            let vs = match (&l.vs, &l.vp_vs) {
                (Some(vs), None) => positive(vs, "vs")?,
                (None, Some(r)) => vp / positive(r, "vp_vs")?,
                (Some(vs), Some(_)) => return Err(at(vs.span(), "vs", "and vp_vs are both given; give one".into())),
                (None, None) => return Err(at(sl.span(), "vs", "is missing (give vs or vp_vs)".into())),
            };
            crate::velocity::check_vp_vs(vp, vs, ["vp", if l.vs.is_some() { "vs" } else { "vs (vp / vp_vs)" }]).map_err(|what| {
                let span = if what.starts_with("vp ") { l.vp.span() } else { l.vs.as_ref().or(l.vp_vs.as_ref()).map_or(l.vp.span(), |v| v.span()) };
                format_err(path, format!("line {}: layer {i}: {what}", line(span)))
            })?;
            if let Some(h) = &l.thickness_km {
                if i + 1 == n {
                    return Err(at(h.span(), "thickness_km", "is not allowed on the last layer (the half-space)".into()));
                }
                positive(h, "thickness_km")?;
            }
            let top = match (&l.top_km, prev_thickness) {
                (Some(t), above) => {
                    let x = *t.get_ref();
                    if !x.is_finite() {
                        return Err(at(t.span(), "top_km", format!("= {x} must be finite")));
                    }
                    if let Some(prev) = layers.last() {
                        if x <= prev.top_km {
                            return Err(at(
                                t.span(),
                                "top_km",
                                format!("= {x} must be below the previous layer's top ({} km)", prev.top_km),
                            ));
                        }
                        if let Some((h, _)) = above {
                            if (prev.top_km + h - x).abs() > 1e-9 {
                                return Err(at(
                                    t.span(),
                                    "top_km",
                                    format!("= {x} disagrees with the previous layer's top + thickness_km ({})", prev.top_km + h),
                                ));
                            }
                        }
                    }
                    x
                }
                (None, Some((h, _))) => layers.last().map(|p| p.top_km).unwrap_or(0.0) + h,
                (None, None) if i == 0 => 0.0,
                (None, None) => {
                    return Err(at(
                        sl.span(),
                        "top_km",
                        "is missing (give top_km, or thickness_km on the layer above)".into(),
                    ))
                }
            };
            prev_thickness = l.thickness_km.as_ref().map(|h| (*h.get_ref(), i));
            layers.push(Layer::new(top, vp, vs));
        }
        let model = Layered1D::new(layers).map_err(|e| format_err(path, e.to_string()))?;
        match raw.table {
            Some(t) => {
                let ln = line(t.span());
                model.with_table(t.into_inner()).map_err(|e| format_err(path, format!("line {ln}: [table]: {e}")))
            }
            None => Ok(model),
        }
    }

    /// Read a plain text model: one layer per line, whitespace-separated
    /// columns `top_km vp vs` (km, km/s, km/s); `#` starts a comment.
    pub fn from_text_file(path: impl AsRef<Path>) -> Result<Self, TravelTimeError> {
        let path = path.as_ref();
        Self::from_text_str(&read(path)?, path)
    }

    /// Parse the plain text format from `text`; `path` names it in errors.
    pub fn from_text_str(text: &str, path: impl AsRef<Path>) -> Result<Self, TravelTimeError> {
        let path = path.as_ref();
        let mut layers = Vec::new();
        for (ln, raw_line) in text.lines().enumerate() {
            let content = raw_line.split('#').next().unwrap_or("").trim();
            if content.is_empty() {
                continue;
            }
            let cols: Vec<&str> = content.split_whitespace().collect();
            if cols.len() != 3 {
                return Err(format_err(
                    path,
                    format!("line {}: expected 3 columns (top_km vp vs), found {}", ln + 1, cols.len()),
                ));
            }
            let mut vals = [0.0; 3];
            for (k, name) in ["top_km", "vp", "vs"].iter().enumerate() {
                vals[k] = cols[k]
                    .parse::<f64>()
                    .map_err(|_| format_err(path, format!("line {}: {name} = {:?} is not a number", ln + 1, cols[k])))?;
            }
            let i = layers.len();
            for (k, name) in [(1, "vp"), (2, "vs")] {
                if !(vals[k].is_finite() && vals[k] > 0.0) {
                    return Err(format_err(
                        path,
                        format!("line {}: layer {i}: {name} = {} must be positive and finite", ln + 1, vals[k]),
                    ));
                }
            }
            crate::velocity::check_vp_vs(vals[1], vals[2], ["vp", "vs"])
                .map_err(|what| format_err(path, format!("line {}: layer {i}: {what}", ln + 1)))?;
            if !vals[0].is_finite() {
                return Err(format_err(path, format!("line {}: layer {i}: top_km = {} must be finite", ln + 1, vals[0])));
            }
            if let Some(prev) = layers.last().map(|l: &Layer| l.top_km) {
                if vals[0] <= prev {
                    return Err(format_err(
                        path,
                        format!("line {}: layer {i}: top_km = {} must be below the previous top ({prev} km)", ln + 1, vals[0]),
                    ));
                }
            }
            layers.push(Layer::new(vals[0], vals[1], vals[2]));
        }
        if layers.is_empty() {
            return Err(format_err(path, "no layers (expected lines of: top_km vp vs)".into()));
        }
        Layered1D::new(layers).map_err(|e| format_err(path, e.to_string()))
    }

    /// Read a model file, TOML if the name ends in `.toml`, else the text
    /// format.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, TravelTimeError> {
        let path: PathBuf = path.as_ref().to_path_buf();
        if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("toml")) {
            Self::from_toml_file(&path)
        } else {
            Self::from_text_file(&path)
        }
    }
}
