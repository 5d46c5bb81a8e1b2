//! Map view of catalog clusters: epicentres coloured by cluster, each
//! cluster's k-sigma ellipse (horizontal marginal of its Gaussian) and mean,
//! an optional station, axes in local km with equal scale on both axes.

use std::path::Path;

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::ellipse::{confidence_ellipse, probability_within_n_sigma_2d};
use super::{category_color, format_lat, format_lon, PlotError};
use crate::cluster_gaussian::ClusterGaussian;
use crate::geo::ProjectionOrigin;
use crate::io::write_atomic_path;

/// A station to mark on a map (inverted black triangle).
#[derive(Debug, Clone, PartialEq)]
pub struct StationMarker {
    /// Label (e.g. the station code).
    pub name: String,
    /// Local east (km).
    pub east_km: f64,
    /// Local north (km).
    pub north_km: f64,
}

/// What the cluster map shows.
#[derive(Debug, Clone)]
pub struct ClusterMap<'a> {
    /// Epicentres `[east, north]` (km), one per event.
    pub events_en_km: &'a [[f64; 2]],
    /// Cluster of each event (`0..K`).
    pub labels: &'a [usize],
    /// The cluster Gaussians (their east-north marginals are drawn).
    pub gaussians: &'a [ClusterGaussian],
    /// Projection origin (stated on the figure).
    pub origin: ProjectionOrigin,
    /// Optional station.
    pub station: Option<StationMarker>,
    /// Ellipse scale k (2.0: the 2-sigma ellipse, 86.5 % in 2D).
    pub n_sigma: f64,
    /// Figure title.
    pub title: String,
    /// Image size (pixels).
    pub size_px: (u32, u32),
}

type DrawResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn to_box<E: std::error::Error + Send + Sync + 'static>(
    e: DrawingAreaErrorKind<E>,
) -> Box<dyn std::error::Error + Send + Sync> {
    Box::new(std::io::Error::other(e.to_string()))
}

/// Draw the map to `path` (PNG), atomically.
pub fn draw_cluster_map(path: &Path, map: &ClusterMap) -> Result<(), PlotError> {
    if map.events_en_km.len() != map.labels.len() {
        return Err(PlotError::BadInput(format!(
            "{} events but {} labels",
            map.events_en_km.len(),
            map.labels.len()
        )));
    }
    if let Some(l) = map.labels.iter().find(|&&l| l >= map.gaussians.len()) {
        return Err(PlotError::BadInput(format!(
            "label {l} but only {} clusters",
            map.gaussians.len()
        )));
    }
    let rings: Vec<Vec<(f64, f64)>> = map
        .gaussians
        .iter()
        .map(|g| {
            let cov = [
                [g.cov_km2[0][0], g.cov_km2[0][1]],
                [g.cov_km2[1][0], g.cov_km2[1][1]],
            ];
            confidence_ellipse([g.mean_km[0], g.mean_km[1]], cov, map.n_sigma, 120)
        })
        .collect::<Result<_, _>>()?;
    write_atomic_path(path, |tmp| -> DrawResult<()> { render(tmp, map, &rings) })?;
    Ok(())
}

/// Bounding box of everything drawn, padded.
fn extent(map: &ClusterMap, rings: &[Vec<(f64, f64)>]) -> (f64, f64, f64, f64) {
    let mut pts: Vec<(f64, f64)> = map.events_en_km.iter().map(|p| (p[0], p[1])).collect();
    pts.extend(rings.iter().flatten().copied());
    if let Some(s) = &map.station {
        pts.push((s.east_km, s.north_km));
    }
    let (mut x0, mut x1, mut y0, mut y1) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for (x, y) in pts
        .into_iter()
        .filter(|(x, y)| x.is_finite() && y.is_finite())
    {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    if !x0.is_finite() {
        return (-10.0, 10.0, -10.0, 10.0);
    }
    let pad = 0.06 * (x1 - x0).max(y1 - y0).max(2.0);
    (x0 - pad, x1 + pad, y0 - pad, y1 + pad)
}

/// Widen the shorter range so one km spans the same number of pixels on both axes.
fn equal_aspect(r: (f64, f64, f64, f64), plot_px: (u32, u32)) -> (f64, f64, f64, f64) {
    let (x0, x1, y0, y1) = r;
    let (w, h) = (plot_px.0.max(1) as f64, plot_px.1.max(1) as f64);
    let km_per_px = ((x1 - x0) / w).max((y1 - y0) / h);
    let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    let (hw, hh) = (km_per_px * w / 2.0, km_per_px * h / 2.0);
    (cx - hw, cx + hw, cy - hh, cy + hh)
}

const FONT: &str = "sans-serif";

type Chart<'a, 'b> =
    ChartContext<'a, BitMapBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

fn build_chart<'a, 'b>(
    body: &'a DrawingArea<BitMapBackend<'b>, plotters::coord::Shift>,
    title: &str,
    r: (f64, f64, f64, f64),
) -> Result<Chart<'a, 'b>, DrawingAreaErrorKind<<BitMapBackend<'b> as DrawingBackend>::ErrorType>> {
    ChartBuilder::on(body)
        .caption(title, (FONT, 30).into_font().style(FontStyle::Bold))
        .margin(18)
        .margin_right(36)
        .x_label_area_size(64)
        .y_label_area_size(84)
        .build_cartesian_2d(r.0..r.1, r.2..r.3)
}

fn render(path: &Path, map: &ClusterMap, rings: &[Vec<(f64, f64)>]) -> DrawResult<()> {
    let root = BitMapBackend::new(path, map.size_px).into_drawing_area();
    root.fill(&WHITE).map_err(to_box)?;
    let (body, footer) = root.split_vertically(map.size_px.1.saturating_sub(34));
    // First pass measures the plotting area; the second sets equal km scales.
    let raw = extent(map, rings);
    let dims = build_chart(&body, &map.title, raw)
        .map_err(to_box)?
        .plotting_area()
        .dim_in_pixel();
    let r = equal_aspect(raw, dims);
    body.fill(&WHITE).map_err(to_box)?;
    let mut chart = build_chart(&body, &map.title, r).map_err(to_box)?;

    chart
        .configure_mesh()
        .x_desc("East of origin (km)")
        .y_desc("North of origin (km)")
        .axis_desc_style((FONT, 22))
        .label_style((FONT, 18))
        .bold_line_style(RGBColor(215, 215, 215).stroke_width(1))
        .light_line_style(TRANSPARENT)
        .x_labels(9)
        .y_labels(9)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .draw()
        .map_err(to_box)?;

    let k = map.gaussians.len();
    // Events, one series per cluster (drawn first so ellipses stay visible).
    for (j, g) in map.gaussians.iter().enumerate() {
        let color = category_color(j);
        let pts: Vec<(f64, f64)> = map
            .events_en_km
            .iter()
            .zip(map.labels)
            .filter(|(_, &l)| l == j)
            .map(|(p, _)| (p[0], p[1]))
            .collect();
        chart
            .draw_series(
                pts.iter()
                    .map(|&p| Circle::new(p, 3, color.mix(0.55).filled())),
            )
            .map_err(to_box)?
            .label(format!(
                "Cluster {j}: n = {}, depth {:.1} ± {:.1} km",
                g.n_events,
                g.mean_km[2],
                g.cov_km2[2][2].sqrt()
            ))
            .legend(move |(x, y)| Circle::new((x + 10, y), 6, color.filled()));
    }
    // Ellipses and means.
    for (j, (g, ring)) in map.gaussians.iter().zip(rings).enumerate() {
        let color = category_color(j);
        chart
            .draw_series(std::iter::once(PathElement::new(
                ring.clone(),
                color.stroke_width(2),
            )))
            .map_err(to_box)?;
        let m = (g.mean_km[0], g.mean_km[1]);
        chart
            .draw_series(std::iter::once(
                EmptyElement::at(m)
                    + Cross::new((0, 0), 7, BLACK.stroke_width(3))
                    + Text::new(
                        format!("{j}"),
                        (10, -30),
                        (FONT, 22).into_font().style(FontStyle::Bold).color(&BLACK),
                    ),
            ))
            .map_err(to_box)?;
    }
    // Legend entries for the ellipse and mean symbols.
    let p = probability_within_n_sigma_2d(map.n_sigma) * 100.0;
    chart
        .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())
        .map_err(to_box)?
        .label(format!(
            "{}σ ellipse ({p:.1} % of a 2D Gaussian)",
            trim_float(map.n_sigma)
        ))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(3)));
    chart
        .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())
        .map_err(to_box)?
        .label("Cluster mean")
        .legend(|(x, y)| Cross::new((x + 10, y), 6, BLACK.stroke_width(3)));
    if let Some(s) = &map.station {
        let tri = |c: (i32, i32)| {
            // Inverted triangle (backend y grows downwards).
            Polygon::new(
                vec![(c.0 - 11, c.1 - 8), (c.0 + 11, c.1 - 8), (c.0, c.1 + 11)],
                BLACK.filled(),
            )
        };
        chart
            .draw_series(std::iter::once(
                EmptyElement::at((s.east_km, s.north_km))
                    + tri((0, 0))
                    + Text::new(
                        s.name.clone(),
                        (13, 4),
                        (FONT, 20).into_font().style(FontStyle::Bold).color(&BLACK),
                    ),
            ))
            .map_err(to_box)?
            .label(format!("Station {}", s.name))
            .legend(move |(x, y)| tri((x + 10, y)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .margin(12)
        .legend_area_size(30)
        .label_font((FONT, 18))
        .background_style(WHITE.mix(0.88))
        .border_style(BLACK)
        .draw()
        .map_err(to_box)?;

    let note = format!(
        "{} events, K = {k}. Origin (0, 0): {}, {} (WGS84, azimuthal equidistant); equal km scale on both axes.",
        map.events_en_km.len(),
        format_lon(map.origin.lon_deg),
        format_lat(map.origin.lat_deg),
    );
    footer
        .draw_text(
            &note,
            &(FONT, 17).into_font().color(&RGBColor(70, 70, 70)),
            (20, 6),
        )
        .map_err(to_box)?;
    root.present().map_err(to_box)?;
    Ok(())
}

fn trim_float(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_aspect_gives_equal_km_per_pixel() {
        let r = equal_aspect((-10.0, 30.0, 0.0, 10.0), (800, 600));
        let kx = (r.1 - r.0) / 800.0;
        let ky = (r.3 - r.2) / 600.0;
        assert!((kx - ky).abs() < 1e-12);
        assert!(r.0 <= -10.0 && r.1 >= 30.0 && r.2 <= 0.0 && r.3 >= 10.0);
    }

    #[test]
    fn rejects_inconsistent_input() {
        let dir = tempfile::tempdir().unwrap();
        let g = ClusterGaussian {
            id: 0,
            n_events: 2,
            mean_km: [0.0; 3],
            cov_km2: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        };
        let map = ClusterMap {
            events_en_km: &[[0.0, 0.0], [1.0, 1.0]],
            labels: &[0, 1],
            gaussians: std::slice::from_ref(&g),
            origin: ProjectionOrigin {
                lon_deg: 0.0,
                lat_deg: 0.0,
            },
            station: None,
            n_sigma: 2.0,
            title: "t".into(),
            size_px: (400, 300),
        };
        let path = dir.path().join("m.png");
        assert!(matches!(
            draw_cluster_map(&path, &map),
            Err(PlotError::BadInput(_))
        ));
        assert!(!path.exists());
    }
}
