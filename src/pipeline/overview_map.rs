//! The overview map of a run: every located event at its headline location
//! (the highest-density point of its heaviest mode) with the outline of its 95% highest-density epicentral region (from a
//! smoothed histogram of the draws, [`super::hpd`], so a posterior with two
//! modes shows two islands, where a covariance ellipse would cover both and
//! the space between),
//! the cluster Gaussians' 2-sigma ellipses, the stations and, for synthetic
//! data, the true epicentres. Axes in local km (x east, y north).

use crate::io::write_atomic_path;
use crate::plot::ellipse::confidence_ellipse;
use crate::ClusterGaussian;
use plotters::prelude::*;
use std::path::Path;

type DrawResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// One event on the overview map.
pub struct OverviewEvent {
    /// Headline epicentre `[east, north]` (km): the highest-density point
    /// of the heaviest mode.
    pub location_en_km: [f64; 2],
    /// Outline of the 95% highest-density epicentral region, as segments (km);
    /// see [`super::hpd::EpicentralDensity::outline`].
    pub hpd95_segments: Vec<[(f64, f64); 2]>,
    /// Reference epicentre (km), if known: the truth for synthetic data, or
    /// another program's answer (named in the caption).
    pub truth_en_km: Option<[f64; 2]>,
    /// Flagged untrustworthy by R-hat, ESS or divergences (drawn in grey).
    pub untrustworthy: bool,
    /// Flagged prior-dominated: the data add little to the prior (drawn in
    /// orange; the location is the prior's, typically its cluster).
    pub prior_dominated: bool,
}

/// The caption of a run's overview map ([`draw_overview_map`]).
pub const OVERVIEW_CAPTION: &str =
    "headline location and 95% highest-density epicentral region (red; orange: prior-dominated; grey: untrustworthy); x: truth; triangle: station";

/// Draw the overview map into `path` (PNG), with `caption` under it.
pub fn draw_overview_map(
    path: &Path,
    title: &str,
    caption: &str,
    events: &[OverviewEvent],
    clusters: &[ClusterGaussian],
    stations: &[(String, [f64; 3])],
) -> anyhow::Result<()> {
    crate::plot::font::ensure_fonts();
    let mut cl_rings = Vec::new();
    for g in clusters {
        let cov = [[g.cov_km2[0][0], g.cov_km2[0][1]], [g.cov_km2[1][0], g.cov_km2[1][1]]];
        cl_rings.push(confidence_ellipse([g.mean_km[0], g.mean_km[1]], cov, 2.0, 90).ok());
    }
    let mut pts: Vec<(f64, f64)> = stations.iter().map(|s| (s.1[0], s.1[1])).collect();
    pts.extend(events.iter().flat_map(|e| e.hpd95_segments.iter().flat_map(|s| s.iter().copied())));
    pts.extend(cl_rings.iter().flatten().flatten().copied());
    pts.extend(events.iter().map(|e| (e.location_en_km[0], e.location_en_km[1])));
    pts.extend(events.iter().filter_map(|e| e.truth_en_km.map(|t| (t[0], t[1]))));
    let (mut x0, mut x1, mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
    for (x, y) in &pts {
        if x.is_finite() && y.is_finite() {
            x0 = x0.min(*x);
            x1 = x1.max(*x);
            y0 = y0.min(*y);
            y1 = y1.max(*y);
        }
    }
    if !(x0.is_finite() && y0.is_finite()) {
        (x0, x1, y0, y1) = (-10.0, 10.0, -10.0, 10.0);
    }
    // Equal scale on both axes, 8% margin.
    let span = (x1 - x0).max(y1 - y0).max(1.0) * 1.08;
    let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    let (x0, x1, y0, y1) = (cx - span / 2.0, cx + span / 2.0, cy - span / 2.0, cy + span / 2.0);
    write_atomic_path(path, |tmp| -> DrawResult<()> {
        let root = BitMapBackend::new(tmp, (900, 900)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 22))
            .margin(15)
            .margin_bottom(40)
            .x_label_area_size(40)
            .y_label_area_size(55)
            .build_cartesian_2d(x0..x1, y0..y1)?;
        chart.configure_mesh().x_desc("east (km)").y_desc("north (km)").light_line_style(TRANSPARENT).draw()?;
        for (i, r) in cl_rings.iter().enumerate() {
            if let Some(r) = r {
                let c = crate::plot::category_color(i);
                chart
                    .draw_series(std::iter::once(Polygon::new(r.clone(), c.mix(0.12))))?
                    .label(format!("cluster {i} (2 sigma)"))
                    .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 15, y + 5)], c.mix(0.4).filled()));
            }
        }
        for e in events {
            let col = match (e.untrustworthy, e.prior_dominated) {
                (true, _) => RGBColor(150, 150, 150),
                (false, true) => RGBColor(230, 130, 20),
                (false, false) => RGBColor(200, 30, 30),
            };
            chart.draw_series(e.hpd95_segments.iter().map(|s| PathElement::new(vec![s[0], s[1]], col.stroke_width(2))))?;
            chart.draw_series(std::iter::once(Circle::new((e.location_en_km[0], e.location_en_km[1]), 4, col.filled())))?;
            if let Some(t) = e.truth_en_km {
                chart.draw_series(std::iter::once(Cross::new((t[0], t[1]), 5, BLACK.stroke_width(2))))?;
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(t[0], t[1]), (e.location_en_km[0], e.location_en_km[1])],
                    BLACK.mix(0.4),
                )))?;
            }
        }
        for (code, p) in stations {
            chart.draw_series(std::iter::once(TriangleMarker::new((p[0], p[1]), 9, BLUE.filled())))?;
            chart.draw_series(std::iter::once(Text::new(code.clone(), (p[0], p[1]), ("sans-serif", 15))))?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw()?;
        root.draw(&Text::new(
            caption,
            (20, 880),
            ("sans-serif", 14),
        ))?;
        root.present()?;
        Ok(())
    })?;
    Ok(())
}
