//! Posterior map of one event (PNG or SVG by the file extension): map view
//! (east, north in km) with
//!
//! - the posterior's 2D marginal density, shaded (from a dense grid
//!   evaluation when given, else a smoothed histogram of the draws);
//! - the 68/90/95 % highest-density contours of that same marginal (exact
//!   for multimodal posteriors, unlike ellipses);
//! - a thinned set of draws; the posterior mean;
//! - the station(s), the 2σ ellipse of every cluster's epicentral marginal
//!   (labelled with its posterior probability);
//! - the S-P shell: the epicentral curve where the predicted S-P time at the
//!   posterior mean depth equals the observed one, with the ±1σ band;
//! - the true hypocentre when known.
//!
//! Axes are km about the local origin; the km scale is the same on both axes.
//! The sections (east–depth, north–depth) are in [`super::sections`], the
//! chain traces in [`super::trace`].

use super::ellipse::confidence_ellipse;
use super::{category_color, PlotError};
use crate::grid_posterior::GridPosterior;
use crate::summary::LocationSummary;
use crate::ClusterGaussian;
use eqnemix_samplers::Draws;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

pub(crate) const FONT: &str = "sans-serif";

/// Result of drawing into a backend; errors carried as text.
pub(crate) type Draw<T = ()> = Result<T, String>;

pub(crate) fn e2s<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// The S-P shell: observed S-P time and its σ (s), with a function giving
/// the predicted S-P time (s) at a hypocentre (km), `None` outside the
/// travel-time domain.
pub struct SpShell<'a> {
    /// Observed S-P (s).
    pub observed_s: f64,
    /// σ of the S-P residual (s).
    pub sigma_s: f64,
    /// Predicted S-P time at `x` (km).
    pub predicted: &'a (dyn Fn([f64; 3]) -> Option<f64> + Sync),
}

/// Everything a posterior figure shows.
pub struct PosteriorFigure<'a> {
    /// Event id (goes in the titles).
    pub event_id: String,
    /// Stations: code and position (km).
    pub stations: Vec<(String, [f64; 3])>,
    /// Cluster Gaussians (ellipses at 2σ).
    pub clusters: &'a [ClusterGaussian],
    /// Summary of the draws (mean, cluster probabilities).
    pub summary: &'a LocationSummary,
    /// Draws (any number of chains, constrained km; weights respected).
    pub chains: &'a [Draws],
    /// Dense grid evaluation of the same posterior, if available.
    pub grid: Option<&'a GridPosterior>,
    /// The S-P shell, if the event has S-P.
    pub sp_shell: Option<SpShell<'a>>,
    /// True hypocentre (synthetic events).
    pub truth_km: Option<[f64; 3]>,
    /// Label of the sampler/model used (subtitle).
    pub subtitle: String,
}

/// Probability levels of the highest-density contours.
pub const LEVELS: [f64; 3] = [0.68, 0.90, 0.95];

/// A 2D density on a regular grid of cell centres, row-major with y fastest.
#[derive(Debug, Clone)]
pub(crate) struct Field2 {
    pub x0: f64,
    pub dx: f64,
    pub nx: usize,
    pub y0: f64,
    pub dy: f64,
    pub ny: usize,
    pub v: Vec<f64>,
}

impl Field2 {
    fn at(&self, i: usize, j: usize) -> f64 {
        self.v[i * self.ny + j]
    }

    /// The 2D marginal of `grid` over axes `a < b`.
    pub fn from_grid(grid: &GridPosterior, a: usize, b: usize) -> Self {
        Field2 {
            x0: grid.origin_km[a],
            dx: grid.spacing_km[a],
            nx: grid.n[a],
            y0: grid.origin_km[b],
            dy: grid.spacing_km[b],
            ny: grid.n[b],
            v: grid.marginal_2d(a, b),
        }
    }

    /// Weighted histogram of the draws on axes `(a, b)` over the box
    /// `[lo, hi]`, `n × n` cells, smoothed by a Gaussian of one cell.
    pub fn from_draws(chains: &[Draws], a: usize, b: usize, lo: [f64; 2], hi: [f64; 2], n: usize) -> Self {
        let (dx, dy) = ((hi[0] - lo[0]) / n as f64, (hi[1] - lo[1]) / n as f64);
        let mut v = vec![0.0; n * n];
        for c in chains {
            let m = c.n_draws();
            for i in 0..m {
                let w = c.weights.as_ref().map_or(1.0 / m as f64, |w| w[i]);
                let d = c.draw(i);
                let (fi, fj) = ((d[a] - lo[0]) / dx, (d[b] - lo[1]) / dy);
                if fi >= 0.0 && fj >= 0.0 && (fi as usize) < n && (fj as usize) < n {
                    v[fi as usize * n + fj as usize] += w;
                }
            }
        }
        // Separable Gaussian smoothing, σ = 1 cell, radius 3.
        let k: Vec<f64> = (-3..=3).map(|t: i32| (-0.5 * (t * t) as f64).exp()).collect();
        let ks: f64 = k.iter().sum();
        let mut tmp = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                tmp[i * n + j] = (0..7)
                    .filter_map(|t| {
                        let jj = j as i64 + t as i64 - 3;
                        (0..n as i64).contains(&jj).then(|| k[t] * v[i * n + jj as usize])
                    })
                    .sum::<f64>()
                    / ks;
            }
        }
        for i in 0..n {
            for j in 0..n {
                v[i * n + j] = (0..7)
                    .filter_map(|t| {
                        let ii = i as i64 + t as i64 - 3;
                        (0..n as i64).contains(&ii).then(|| k[t] * tmp[ii as usize * n + j])
                    })
                    .sum::<f64>()
                    / ks;
            }
        }
        Field2 { x0: lo[0] + 0.5 * dx, dx, nx: n, y0: lo[1] + 0.5 * dy, dy, ny: n, v }
    }

    /// Density thresholds of the highest-density regions of mass `levels`:
    /// the region `{f >= t}` holds mass `level` (cells sorted by density).
    pub fn hpd_thresholds(&self, levels: &[f64]) -> Vec<f64> {
        let mut s: Vec<f64> = self.v.iter().copied().filter(|v| *v > 0.0).collect();
        s.sort_by(|a, b| b.total_cmp(a));
        let total: f64 = s.iter().sum();
        levels
            .iter()
            .map(|&l| {
                let mut acc = 0.0;
                for &v in &s {
                    acc += v;
                    if acc >= l * total {
                        return v;
                    }
                }
                s.last().copied().unwrap_or(0.0)
            })
            .collect()
    }

    /// Contour segments of `{f = level}` by marching squares with linear
    /// interpolation on the cell-centre lattice (saddles resolved by the
    /// centre value). Hand-written: plotters has no contouring.
    pub fn contour(&self, level: f64) -> Vec<[(f64, f64); 2]> {
        let mut out = Vec::new();
        if self.nx < 2 || self.ny < 2 {
            return out;
        }
        let px = |i: usize| self.x0 + i as f64 * self.dx;
        let py = |j: usize| self.y0 + j as f64 * self.dy;
        for i in 0..self.nx - 1 {
            for j in 0..self.ny - 1 {
                // Corners counter-clockwise: (i,j), (i+1,j), (i+1,j+1), (i,j+1).
                let c = [(i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)];
                let v: [f64; 4] = c.map(|(a, b)| self.at(a, b));
                let inside = v.map(|x| x >= level);
                let n_in = inside.iter().filter(|b| **b).count();
                if n_in == 0 || n_in == 4 {
                    continue;
                }
                let edge_pt = |e: usize| {
                    let (a, b) = (e, (e + 1) % 4);
                    let t = ((level - v[a]) / (v[b] - v[a])).clamp(0.0, 1.0);
                    let (pa, pb) = ((px(c[a].0), py(c[a].1)), (px(c[b].0), py(c[b].1)));
                    (pa.0 + t * (pb.0 - pa.0), pa.1 + t * (pb.1 - pa.1))
                };
                let crossing: Vec<usize> = (0..4).filter(|&e| inside[e] != inside[(e + 1) % 4]).collect();
                if crossing.len() == 2 {
                    out.push([edge_pt(crossing[0]), edge_pt(crossing[1])]);
                } else if crossing.len() == 4 {
                    let centre = v.iter().sum::<f64>() / 4.0;
                    // Pair edges so the centre's side is connected or not.
                    if (centre >= level) == inside[0] {
                        out.push([edge_pt(0), edge_pt(1)]);
                        out.push([edge_pt(2), edge_pt(3)]);
                    } else {
                        out.push([edge_pt(3), edge_pt(0)]);
                        out.push([edge_pt(1), edge_pt(2)]);
                    }
                }
            }
        }
        out
    }
}

/// Colour of a density value `t` in `[0, 1]` (relative to the maximum):
/// white to deep blue (a light sequential ramp that leaves room for
/// overlays).
pub(crate) fn density_color(t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0).powf(0.6);
    let lerp = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    RGBColor(lerp(255.0, 33.0), lerp(255.0, 102.0), lerp(255.0, 172.0))
}

/// Shade a field into `chart` (cells with density below 1e-3 of the max are
/// left white).
pub(crate) fn shade<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>>,
    f: &Field2,
    flip_y: bool,
) -> Draw {
    let max = f.v.iter().copied().fold(0.0, f64::max);
    if max <= 0.0 {
        return Ok(());
    }
    let sy = if flip_y { -1.0 } else { 1.0 };
    chart
        .draw_series((0..f.nx).flat_map(|i| (0..f.ny).map(move |j| (i, j))).filter_map(|(i, j)| {
            let t = f.at(i, j) / max;
            (t > 1e-3).then(|| {
                let (x, y) = (f.x0 + i as f64 * f.dx, f.y0 + j as f64 * f.dy);
                Rectangle::new(
                    [(x - 0.5 * f.dx, sy * (y - 0.5 * f.dy)), (x + 0.5 * f.dx, sy * (y + 0.5 * f.dy))],
                    density_color(t).filled(),
                )
            })
        }))
        .map_err(e2s)?;
    Ok(())
}

/// Draw the HPD contours of `f` (68/90/95 %: solid, dashed-looking thinner
/// lines by weight), labelled in the legend once.
pub(crate) fn hpd_contours<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>>,
    f: &Field2,
    flip_y: bool,
    legend: bool,
) -> Draw {
    let sy = if flip_y { -1.0 } else { 1.0 };
    let th = f.hpd_thresholds(&LEVELS);
    let styles = [(BLACK, 3u32), (RGBColor(60, 60, 60), 2), (RGBColor(120, 120, 120), 1)];
    for ((level, t), (col, w)) in LEVELS.iter().zip(th).zip(styles) {
        let segs = f.contour(t);
        let s = chart
            .draw_series(
                segs.into_iter()
                    .map(|[a, b]| PathElement::new(vec![(a.0, sy * a.1), (b.0, sy * b.1)], col.stroke_width(w))),
            )
            .map_err(e2s)?;
        if legend {
            s.label(format!("{:.0}% HPD region", level * 100.0)).legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], col.stroke_width(w))
            });
        }
    }
    Ok(())
}

/// Up to `max` draws (equal-weight ones evenly thinned; weighted ones
/// resampled systematically), as km triples.
pub(crate) fn thinned_draws(chains: &[Draws], max: usize) -> Vec<[f64; 3]> {
    let total: usize = chains.iter().map(|c| c.n_draws()).sum();
    let per = (max / chains.len().max(1)).max(1);
    let mut out = Vec::new();
    for c in chains {
        let n = c.n_draws();
        if n == 0 {
            continue;
        }
        match &c.weights {
            None => {
                let step = (n as f64 / per.min(n) as f64).max(1.0);
                let mut t = 0.0;
                while (t as usize) < n && out.len() < max.max(total.min(max)) {
                    let d = c.draw(t as usize);
                    out.push([d[0], d[1], d[2]]);
                    t += step;
                }
            }
            Some(w) => {
                let mut acc = 0.0;
                let mut k = 0;
                for (i, wi) in w.iter().enumerate() {
                    acc += wi;
                    while k < per && (k as f64 + 0.5) / per as f64 <= acc {
                        let d = c.draw(i);
                        out.push([d[0], d[1], d[2]]);
                        k += 1;
                    }
                }
            }
        }
    }
    out
}

/// Epicentral curve where the predicted S-P at depth `z` equals `target`:
/// along each of 180 azimuths the first distance (km from the station, up
/// to `r_max`) where the prediction crosses the target, by scanning in
/// 0.25 km steps then bisecting. Points where no crossing exists are
/// skipped (a 3D model may leave gaps).
pub fn sp_curve(shell: &SpShell<'_>, station: [f64; 3], z: f64, target: f64, r_max: f64) -> Vec<(f64, f64)> {
    let mut pts = Vec::new();
    for k in 0..=180 {
        let az = std::f64::consts::TAU * k as f64 / 180.0;
        let (s, c) = az.sin_cos();
        let at = |r: f64| (shell.predicted)([station[0] + r * s, station[1] + r * c, z]).map(|v| v - target);
        let mut r0 = 0.0;
        let Some(mut f0) = at(r0) else { continue };
        if f0 > 0.0 {
            continue;
        }
        let mut found = None;
        let mut r = 0.25;
        while r <= r_max {
            match at(r) {
                Some(f) if f >= 0.0 => {
                    found = Some((r0, r));
                    break;
                }
                Some(f) => {
                    r0 = r;
                    f0 = f;
                }
                None => break,
            }
            r += 0.25;
        }
        let _ = f0;
        if let Some((mut a, mut b)) = found {
            for _ in 0..30 {
                let m = 0.5 * (a + b);
                match at(m) {
                    Some(f) if f >= 0.0 => b = m,
                    Some(_) => a = m,
                    None => break,
                }
            }
            let r = 0.5 * (a + b);
            pts.push((station[0] + r * s, station[1] + r * c));
        }
    }
    pts
}

/// Axis ranges (km) around everything a map view shows, with 8 % padding.
fn map_extent(fig: &PosteriorFigure<'_>, draws: &[[f64; 3]], rings: &[Vec<(f64, f64)>]) -> (f64, f64, f64, f64) {
    let mut pts: Vec<(f64, f64)> = draws.iter().map(|d| (d[0], d[1])).collect();
    pts.extend(fig.stations.iter().map(|s| (s.1[0], s.1[1])));
    pts.extend(rings.iter().flatten().copied());
    if let Some(t) = fig.truth_km {
        pts.push((t[0], t[1]));
    }
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for (x, y) in pts.into_iter().filter(|p| p.0.is_finite() && p.1.is_finite()) {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    if x0 > x1 {
        return (-1.0, 1.0, -1.0, 1.0);
    }
    let p = 0.08 * (x1 - x0).max(y1 - y0).max(1.0);
    (x0 - p, x1 + p, y0 - p, y1 + p)
}

/// Stretch `r` so one km spans the same pixels on both axes of an area of
/// `dims` pixels.
pub(crate) fn equal_aspect(r: (f64, f64, f64, f64), dims: (u32, u32)) -> (f64, f64, f64, f64) {
    let (w, h) = (dims.0.max(1) as f64, dims.1.max(1) as f64);
    let (dx, dy) = (r.1 - r.0, r.3 - r.2);
    let scale = (dx / w).max(dy / h);
    let (cx, cy) = (0.5 * (r.0 + r.1), 0.5 * (r.2 + r.3));
    (cx - 0.5 * scale * w, cx + 0.5 * scale * w, cy - 0.5 * scale * h, cy + 0.5 * scale * h)
}

/// Draw the map view to `path` (`.png` or `.svg`), 1000 × 900 px.
pub fn draw_posterior_map(path: &Path, fig: &PosteriorFigure<'_>) -> Result<(), PlotError> {
    super::font::ensure_fonts();
    let svg = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("svg"));
    let size = (1000, 900);
    crate::io::write_atomic_path(path, |tmp| -> Draw {
        if svg {
            let root = SVGBackend::new(tmp, size).into_drawing_area();
            render_map(&root, fig)?;
            root.present().map_err(e2s)
        } else {
            let root = BitMapBackend::new(tmp, size).into_drawing_area();
            render_map(&root, fig)?;
            root.present().map_err(e2s)
        }
    })?;
    Ok(())
}

fn render_map<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, fig: &PosteriorFigure<'_>) -> Draw {
    root.fill(&WHITE).map_err(e2s)?;
    let title = format!("Event {} — posterior map view", fig.event_id);
    let root = root.titled(&title, (FONT, 28).into_font().color(&BLACK)).map_err(e2s)?;
    let draws = thinned_draws(fig.chains, 1500);
    let rings: Vec<Vec<(f64, f64)>> = fig
        .clusters
        .iter()
        .map(|c| {
            confidence_ellipse(
                [c.mean_km[0], c.mean_km[1]],
                [[c.cov_km2[0][0], c.cov_km2[0][1]], [c.cov_km2[1][0], c.cov_km2[1][1]]],
                2.0,
                120,
            )
            .unwrap_or_default()
        })
        .collect();
    let raw = map_extent(fig, &draws, &rings);
    let build = |r: (f64, f64, f64, f64)| {
        ChartBuilder::on(&root)
            .margin(15)
            .caption(&fig.subtitle, (FONT, 18).into_font().color(&RGBColor(80, 80, 80)))
            .x_label_area_size(55)
            .y_label_area_size(65)
            .build_cartesian_2d(r.0..r.1, r.2..r.3)
    };
    let dims = build(raw).map_err(e2s)?.plotting_area().dim_in_pixel();
    let r = equal_aspect(raw, dims);
    let mut chart = build(r).map_err(e2s)?;
    chart
        .configure_mesh()
        .x_desc("East (km)")
        .y_desc("North (km)")
        .axis_desc_style((FONT, 20))
        .label_style((FONT, 16))
        .bold_line_style(RGBColor(225, 225, 225).stroke_width(1))
        .light_line_style(TRANSPARENT)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .draw()
        .map_err(e2s)?;

    // Density and HPD contours.
    let field = match fig.grid {
        Some(g) => Field2::from_grid(g, 0, 1),
        None => Field2::from_draws(fig.chains, 0, 1, [r.0, r.2], [r.1, r.3], 120),
    };
    shade(&mut chart, &field, false)?;

    // Cluster ellipses.
    for (k, (c, ring)) in fig.clusters.iter().zip(&rings).enumerate() {
        let col = category_color(c.id);
        let p = fig.summary.cluster_probabilities.get(k).copied().unwrap_or(f64::NAN);
        chart
            .draw_series(std::iter::once(PathElement::new(ring.clone(), col.stroke_width(2))))
            .map_err(e2s)?
            .label(format!("cluster {} 2σ (P = {:.2})", c.id, p))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], col.stroke_width(2)));
    }

    // S-P shell at the posterior mean depth.
    if let (Some(shell), Some(st)) = (&fig.sp_shell, fig.stations.first()) {
        let z = fig.summary.mean_km[2];
        let r_max = 2.0 * ((r.1 - r.0).abs() + (r.3 - r.2).abs());
        let orange = RGBColor(0, 115, 115);
        for (dt, w, lab) in [(0.0, 2, true), (-shell.sigma_s, 1, false), (shell.sigma_s, 1, false)] {
            let pts = sp_curve(shell, st.1, z, shell.observed_s + dt, r_max);
            if pts.len() < 2 {
                continue;
            }
            let s = chart
                .draw_series(std::iter::once(PathElement::new(pts, orange.stroke_width(w))))
                .map_err(e2s)?;
            if lab {
                s.label(format!("S-P = {:.2} ± {:.2} s at z = {:.1} km", shell.observed_s, shell.sigma_s, z))
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], orange.stroke_width(2)));
            }
        }
    }

    // Draws.
    let dcol = RGBColor(20, 20, 20).mix(0.25);
    chart
        .draw_series(draws.iter().map(|d| Circle::new((d[0], d[1]), 1, dcol.filled())))
        .map_err(e2s)?
        .label(format!("posterior draws ({})", draws.len()))
        .legend(move |(x, y)| Circle::new((x + 10, y), 3, RGBColor(20, 20, 20).mix(0.6).filled()));
    hpd_contours(&mut chart, &field, false, true)?;

    let m = fig.summary.mean_km;
    chart
        .draw_series(std::iter::once(Cross::new((m[0], m[1]), 8, RGBColor(200, 0, 0).stroke_width(3))))
        .map_err(e2s)?
        .label("posterior mean")
        .legend(|(x, y)| Cross::new((x + 10, y), 6, RGBColor(200, 0, 0).stroke_width(3)));
    if let Some(t) = fig.truth_km {
        chart
            .draw_series(std::iter::once(Circle::new((t[0], t[1]), 8, RGBColor(0, 150, 0).stroke_width(3))))
            .map_err(e2s)?
            .label("true hypocentre")
            .legend(|(x, y)| Circle::new((x + 10, y), 6, RGBColor(0, 150, 0).stroke_width(3)));
    }
    for (code, p) in &fig.stations {
        let tri = |c: (i32, i32), h: i32| {
            Polygon::new(vec![(c.0 - h, c.1 + h * 3 / 4), (c.0 + h, c.1 + h * 3 / 4), (c.0, c.1 - h)], BLACK.filled())
        };
        chart
            .draw_series(std::iter::once(
                EmptyElement::at((p[0], p[1])) + tri((0, 0), 10) + Text::new(code.clone(), (12, 2), (FONT, 18)),
            ))
            .map_err(e2s)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(150, 150, 150))
        .label_font((FONT, 15))
        .draw()
        .map_err(e2s)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gaussian_field(n: usize, s: f64) -> Field2 {
        let d = 10.0 / n as f64;
        let x0 = -5.0 + 0.5 * d;
        let mut v = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                let (x, y) = (x0 + i as f64 * d, x0 + j as f64 * d);
                v[i * n + j] = (-(x * x + y * y) / (2.0 * s * s)).exp() / (2.0 * std::f64::consts::PI * s * s);
            }
        }
        Field2 { x0, dx: d, nx: n, y0: x0, dy: d, ny: n, v }
    }

    #[test]
    fn hpd_contour_of_a_gaussian_is_the_circle_of_its_mass() {
        // The 90% HPD region of N(0, s² I) is the circle r = s √(-2 ln 0.1).
        let s = 1.2;
        let f = gaussian_field(200, s);
        let t = f.hpd_thresholds(&[0.9])[0];
        let segs = f.contour(t);
        assert!(segs.len() > 100);
        let r_exact = s * (-2.0 * 0.1f64.ln()).sqrt();
        for [a, _] in segs {
            let r = a.0.hypot(a.1);
            assert!((r - r_exact).abs() < 0.06, "r {r} vs {r_exact}");
        }
    }

    #[test]
    fn sp_curve_is_the_circle_of_a_homogeneous_model() {
        // Homogeneous: S-P = d (1/vs - 1/vp) with d the hypocentral distance.
        let (vp, vs) = (6.0, 3.5);
        let k = 1.0 / vs - 1.0 / vp;
        let pred = move |x: [f64; 3]| Some((x[0] * x[0] + x[1] * x[1] + x[2] * x[2]).sqrt() * k);
        let shell = SpShell { observed_s: 2.0, sigma_s: 0.1, predicted: &pred };
        let z = 5.0;
        let pts = sp_curve(&shell, [0.0; 3], z, 2.0, 100.0);
        assert_eq!(pts.len(), 181);
        let r = ((2.0 / k).powi(2) - z * z).sqrt();
        for p in pts {
            assert!((p.0.hypot(p.1) - r).abs() < 1e-6);
        }
    }
}
