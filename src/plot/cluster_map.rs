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
    /// Depth of each event (km, positive down), for the east-depth section;
    /// may be empty (then only the cluster ellipses are drawn there).
    pub depths_km: &'a [f64],
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
    /// Where the events came from (printed under the figure), if known.
    pub source: Option<String>,
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
    super::font::ensure_fonts();
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
    if !map.depths_km.is_empty() && map.depths_km.len() != map.events_en_km.len() {
        return Err(PlotError::BadInput(format!(
            "{} events but {} depths",
            map.events_en_km.len(),
            map.depths_km.len()
        )));
    }
    let section_rings: Vec<Vec<(f64, f64)>> = map
        .gaussians
        .iter()
        .map(|g| {
            let (mean, cov) = section_marginal(g);
            confidence_ellipse(mean, cov, map.n_sigma, 120)
        })
        .collect::<Result<_, _>>()?;
    write_atomic_path(path, |tmp| -> DrawResult<()> {
        render(tmp, map, &rings, &section_rings)
    })?;
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
/// Width of the legend column (pixels).
const LEGEND_W: u32 = 360;
/// Left/bottom label areas (pixels), shared by map and section so their x axes align.
const Y_LABEL_AREA: u32 = 80;
const X_LABEL_AREA: u32 = 58;
const MARGIN: u32 = 14;

type Chart<'a, 'b> =
    ChartContext<'a, BitMapBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;
type Area<'b> = DrawingArea<BitMapBackend<'b>, plotters::coord::Shift>;
type AreaError<'b> = DrawingAreaErrorKind<<BitMapBackend<'b> as DrawingBackend>::ErrorType>;

fn build_chart<'a, 'b>(
    area: &'a Area<'b>,
    x: (f64, f64),
    y: (f64, f64),
) -> Result<Chart<'a, 'b>, AreaError<'b>> {
    ChartBuilder::on(area)
        .margin(MARGIN)
        .x_label_area_size(X_LABEL_AREA)
        .y_label_area_size(Y_LABEL_AREA)
        .build_cartesian_2d(x.0..x.1, y.0..y.1)
}

/// The (east, -depth) marginal of a cluster Gaussian: mean and covariance.
fn section_marginal(g: &ClusterGaussian) -> ([f64; 2], [[f64; 2]; 2]) {
    let c = &g.cov_km2;
    (
        [g.mean_km[0], -g.mean_km[2]],
        [[c[0][0], -c[0][2]], [-c[2][0], c[2][2]]],
    )
}

fn station_triangle(c: (i32, i32), half: i32) -> Polygon<(i32, i32)> {
    // Inverted triangle (backend y grows downwards).
    Polygon::new(
        vec![
            (c.0 - half, c.1 - half * 3 / 4),
            (c.0 + half, c.1 - half * 3 / 4),
            (c.0, c.1 + half),
        ],
        BLACK.filled(),
    )
}

fn render(
    path: &Path,
    map: &ClusterMap,
    rings: &[Vec<(f64, f64)>],
    section_rings: &[Vec<(f64, f64)>],
) -> DrawResult<()> {
    let width = map.size_px.0;
    let root = BitMapBackend::new(path, map.size_px).into_drawing_area();
    root.fill(&WHITE).map_err(to_box)?;
    let root = root
        .titled(&map.title, (FONT, 30).into_font().color(&BLACK))
        .map_err(to_box)?;
    let body_h = root.dim_in_pixel().1.saturating_sub(30);
    let (body, footer) = root.split_vertically(body_h);
    let (left, legend) = body.split_horizontally(width.saturating_sub(LEGEND_W));
    let map_h = body_h * 73 / 100;
    let (map_area, section_area) = left.split_vertically(map_h);

    // Map view: measure the plotting area, then set equal km scales.
    let raw = extent(map, rings);
    let dims = build_chart(&map_area, (raw.0, raw.1), (raw.2, raw.3))
        .map_err(to_box)?
        .plotting_area()
        .dim_in_pixel();
    let r = equal_aspect(raw, dims);
    map_area.fill(&WHITE).map_err(to_box)?;
    let mut chart = build_chart(&map_area, (r.0, r.1), (r.2, r.3)).map_err(to_box)?;
    chart
        .configure_mesh()
        .x_desc("East of origin (km)")
        .y_desc("North of origin (km)")
        .axis_desc_style((FONT, 21))
        .label_style((FONT, 17))
        .bold_line_style(RGBColor(220, 220, 220).stroke_width(1))
        .light_line_style(TRANSPARENT)
        .x_labels(9)
        .y_labels(9)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .draw()
        .map_err(to_box)?;
    for j in 0..map.gaussians.len() {
        let color = category_color(j);
        chart
            .draw_series(
                map.events_en_km
                    .iter()
                    .zip(map.labels)
                    .filter(|(_, &l)| l == j)
                    .map(|(p, _)| Circle::new((p[0], p[1]), 3, color.mix(0.55).filled())),
            )
            .map_err(to_box)?;
    }
    for (j, (g, ring)) in map.gaussians.iter().zip(rings).enumerate() {
        let color = category_color(j);
        chart
            .draw_series(std::iter::once(PathElement::new(
                ring.clone(),
                color.stroke_width(2),
            )))
            .map_err(to_box)?;
        chart
            .draw_series(std::iter::once(
                EmptyElement::at((g.mean_km[0], g.mean_km[1]))
                    + Cross::new((0, 0), 7, BLACK.stroke_width(3))
                    + Text::new(
                        format!("{j}"),
                        (10, -30),
                        (FONT, 22).into_font().color(&BLACK),
                    ),
            ))
            .map_err(to_box)?;
    }
    if let Some(s) = &map.station {
        chart
            .draw_series(std::iter::once(
                EmptyElement::at((s.east_km, s.north_km))
                    + station_triangle((0, 0), 11)
                    + Text::new(
                        s.name.clone(),
                        (13, 4),
                        (FONT, 19).into_font().color(&BLACK),
                    ),
            ))
            .map_err(to_box)?;
    }

    // East-depth section under the map, same x range, depth down (plotted as -depth).
    let zs = map
        .depths_km
        .iter()
        .copied()
        .chain(section_rings.iter().flatten().map(|p| -p.1))
        .filter(|z| z.is_finite());
    let (zmin, zmax) = zs.fold((0.0f64, 1.0f64), |(lo, hi), z| (lo.min(z), hi.max(z)));
    let pad = 0.06 * (zmax - zmin);
    let mut sec = build_chart(
        &section_area,
        (r.0, r.1),
        (-(zmax + pad), -(zmin - pad).min(0.0)),
    )
    .map_err(to_box)?;
    sec.configure_mesh()
        .x_desc("East of origin (km)")
        .y_desc("Depth (km)")
        .axis_desc_style((FONT, 21))
        .label_style((FONT, 17))
        .bold_line_style(RGBColor(220, 220, 220).stroke_width(1))
        .light_line_style(TRANSPARENT)
        .x_labels(9)
        .y_labels(5)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format!("{:.0}", -v + 0.0))
        .draw()
        .map_err(to_box)?;
    {
        for j in 0..map.gaussians.len() {
            let color = category_color(j);
            sec.draw_series(
                map.events_en_km
                    .iter()
                    .zip(map.depths_km)
                    .zip(map.labels)
                    .filter(|(_, &l)| l == j)
                    .map(|((p, z), _)| Circle::new((p[0], -z), 3, color.mix(0.55).filled())),
            )
            .map_err(to_box)?;
        }
    }
    for (j, (g, ring)) in map.gaussians.iter().zip(section_rings).enumerate() {
        let (mean, _) = section_marginal(g);
        sec.draw_series(std::iter::once(PathElement::new(
            ring.clone(),
            category_color(j).stroke_width(2),
        )))
        .map_err(to_box)?;
        sec.draw_series(std::iter::once(Cross::new(
            (mean[0], mean[1]),
            6,
            BLACK.stroke_width(3),
        )))
        .map_err(to_box)?;
    }
    if let Some(s) = &map.station {
        sec.draw_series(std::iter::once(
            EmptyElement::at((s.east_km, 0.0)) + station_triangle((0, -8), 9),
        ))
        .map_err(to_box)?;
    }

    // Legend column.
    let mut y = 40;
    let text = |area: &Area, s: &str, x: i32, y: i32, size: u32| {
        area.draw_text(s, &(FONT, size).into_font().color(&BLACK), (x, y))
    };
    text(&legend, "Clusters (mean depth ± 1σ)", 12, y, 20).map_err(to_box)?;
    y += 36;
    for (j, g) in map.gaussians.iter().enumerate() {
        legend
            .draw(&Circle::new((24, y + 9), 7, category_color(j).filled()))
            .map_err(to_box)?;
        let label = format!(
            "{j}:  n = {},  {:.1} ± {:.1} km",
            g.n_events,
            g.mean_km[2],
            g.cov_km2[2][2].sqrt()
        );
        text(&legend, &label, 42, y, 18).map_err(to_box)?;
        y += 30;
    }
    y += 10;
    let p = probability_within_n_sigma_2d(map.n_sigma) * 100.0;
    legend
        .draw(&PathElement::new(
            vec![(14, y + 9), (36, y + 9)],
            BLACK.stroke_width(2),
        ))
        .map_err(to_box)?;
    text(
        &legend,
        &format!("{}σ ellipse ({p:.1} %)", trim_float(map.n_sigma)),
        42,
        y,
        18,
    )
    .map_err(to_box)?;
    y += 30;
    legend
        .draw(&Cross::new((25, y + 9), 6, BLACK.stroke_width(3)))
        .map_err(to_box)?;
    text(&legend, "Cluster mean", 42, y, 18).map_err(to_box)?;
    y += 30;
    if let Some(s) = &map.station {
        legend
            .draw(&station_triangle((25, y + 9), 10))
            .map_err(to_box)?;
        text(&legend, &format!("Station {}", s.name), 42, y, 18).map_err(to_box)?;
        y += 30;
    }
    y += 24;
    let grey = (FONT, 16).into_font().color(&RGBColor(70, 70, 70));
    let notes = [
        format!(
            "{} events, K = {}",
            map.events_en_km.len(),
            map.gaussians.len()
        ),
        "Origin (0, 0) of the local frame:".to_string(),
        format!(
            "  {}, {}",
            format_lon(map.origin.lon_deg),
            format_lat(map.origin.lat_deg)
        ),
        "WGS84 azimuthal equidistant;".to_string(),
        "equal km scale in map view.".to_string(),
        "Section: depth vs east, all events.".to_string(),
        format!("Ellipses: {}σ of each cluster's", trim_float(map.n_sigma)),
        "Gaussian marginal (2D).".to_string(),
    ];
    for line in notes {
        legend.draw_text(&line, &grey, (12, y)).map_err(to_box)?;
        y += 22;
    }
    if let Some(src) = &map.source {
        footer
            .draw_text(&format!("Catalog: {src}"), &grey, (MARGIN as i32 + 6, 4))
            .map_err(to_box)?;
    }
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
            depths_km: &[],
            labels: &[0, 1],
            gaussians: std::slice::from_ref(&g),
            origin: ProjectionOrigin {
                lon_deg: 0.0,
                lat_deg: 0.0,
            },
            station: None,
            n_sigma: 2.0,
            title: "t".into(),
            source: None,
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
