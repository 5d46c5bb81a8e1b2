//! East–depth and north–depth sections of one event's posterior (PNG or
//! SVG by extension): the 2D marginal density shaded, its 68/90/95 %
//! highest-density contours, thinned draws, the clusters' 2σ ellipses in
//! the section plane, the station, the posterior mean and the truth when
//! known. Depth (km) increases downwards; the km scale is the same on both
//! axes when the figure's aspect allows (else depth is stretched).

use super::ellipse::confidence_ellipse;
use super::posterior_map::{e2s, hpd_contours, shade, thinned_draws, Draw, Field2, PosteriorFigure, FONT};
use super::{category_color, PlotError};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// Draw both sections to `path` (`.png` or `.svg`), 1000 × 1000 px.
pub fn draw_sections(path: &Path, fig: &PosteriorFigure<'_>) -> Result<(), PlotError> {
    super::font::ensure_fonts();
    let svg = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("svg"));
    let size = (1000, 1000);
    crate::io::write_atomic_path(path, |tmp| -> Draw {
        if svg {
            let root = SVGBackend::new(tmp, size).into_drawing_area();
            render(&root, fig)?;
            root.present().map_err(e2s)
        } else {
            let root = BitMapBackend::new(tmp, size).into_drawing_area();
            render(&root, fig)?;
            root.present().map_err(e2s)
        }
    })?;
    Ok(())
}

fn render<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, fig: &PosteriorFigure<'_>) -> Draw {
    root.fill(&WHITE).map_err(e2s)?;
    let title = format!("Event {} — depth sections", fig.event_id);
    let root = root.titled(&title, (FONT, 28).into_font().color(&BLACK)).map_err(e2s)?;
    let (top, bottom) = root.split_vertically(root.dim_in_pixel().1 / 2);
    let draws = thinned_draws(fig.chains, 1500);
    section(&top, fig, &draws, 0, "East (km)")?;
    section(&bottom, fig, &draws, 1, "North (km)")?;
    Ok(())
}

fn section<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    fig: &PosteriorFigure<'_>,
    draws: &[[f64; 3]],
    a: usize,
    xlabel: &str,
) -> Draw {
    let rings: Vec<Vec<(f64, f64)>> = fig
        .clusters
        .iter()
        .map(|c| {
            confidence_ellipse(
                [c.mean_km[a], c.mean_km[2]],
                [[c.cov_km2[a][a], c.cov_km2[a][2]], [c.cov_km2[2][a], c.cov_km2[2][2]]],
                2.0,
                120,
            )
            .unwrap_or_default()
        })
        .collect();
    // Extent: draws (1st..99th percentile-ish via all), stations, truth, cluster rings.
    let mut xs: Vec<f64> = draws.iter().map(|d| d[a]).collect();
    let mut zs: Vec<f64> = draws.iter().map(|d| d[2]).collect();
    for (_, p) in &fig.stations {
        xs.push(p[a]);
        zs.push(p[2].max(0.0));
    }
    if let Some(t) = fig.truth_km {
        xs.push(t[a]);
        zs.push(t[2]);
    }
    for p in rings.iter().flatten() {
        xs.push(p.0);
        zs.push(p.1);
    }
    let fmin = |v: &[f64]| v.iter().copied().filter(|x| x.is_finite()).fold(f64::MAX, f64::min);
    let fmax = |v: &[f64]| v.iter().copied().filter(|x| x.is_finite()).fold(f64::MIN, f64::max);
    let (x0, x1) = (fmin(&xs), fmax(&xs));
    let (z0, z1) = (fmin(&zs).min(0.0), fmax(&zs));
    let px = 0.05 * (x1 - x0).max(1.0);
    let pz = 0.08 * (z1 - z0).max(1.0);
    let (xr, zr) = ((x0 - px, x1 + px), (z0.min(0.0) - 0.2 * pz, z1 + pz));
    let mut chart = ChartBuilder::on(area)
        .margin(12)
        .x_label_area_size(50)
        .y_label_area_size(65)
        .build_cartesian_2d(xr.0..xr.1, -zr.1..-zr.0)
        .map_err(e2s)?;
    chart
        .configure_mesh()
        .x_desc(xlabel)
        .y_desc("Depth (km)")
        .axis_desc_style((FONT, 20))
        .label_style((FONT, 16))
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format!("{:.0}", -v + 0.0))
        .bold_line_style(RGBColor(225, 225, 225).stroke_width(1))
        .light_line_style(TRANSPARENT)
        .draw()
        .map_err(e2s)?;
    let field = match fig.grid {
        Some(g) => Field2::from_grid(g, a, 2),
        None => Field2::from_draws(fig.chains, a, 2, [xr.0, zr.0], [xr.1, zr.1], 120),
    };
    shade(&mut chart, &field, true)?;
    for (c, ring) in fig.clusters.iter().zip(&rings) {
        let col = category_color(c.id);
        chart
            .draw_series(std::iter::once(PathElement::new(
                ring.iter().map(|p| (p.0, -p.1)).collect::<Vec<_>>(),
                col.stroke_width(2),
            )))
            .map_err(e2s)?
            .label(format!("cluster {} 2σ", c.id))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], col.stroke_width(2)));
    }
    let dcol = RGBColor(20, 20, 20).mix(0.25);
    chart
        .draw_series(draws.iter().map(|d| Circle::new((d[a], -d[2]), 1, dcol.filled())))
        .map_err(e2s)?
        .label("posterior draws")
        .legend(move |(x, y)| Circle::new((x + 10, y), 3, RGBColor(20, 20, 20).mix(0.6).filled()));
    hpd_contours(&mut chart, &field, true, true)?;
    let m = fig.summary.mean_km;
    chart
        .draw_series(std::iter::once(Cross::new((m[a], -m[2]), 8, RGBColor(200, 0, 0).stroke_width(3))))
        .map_err(e2s)?
        .label("posterior mean")
        .legend(|(x, y)| Cross::new((x + 10, y), 6, RGBColor(200, 0, 0).stroke_width(3)));
    if let Some(t) = fig.truth_km {
        chart
            .draw_series(std::iter::once(Circle::new((t[a], -t[2]), 8, RGBColor(0, 150, 0).stroke_width(3))))
            .map_err(e2s)?
            .label("true hypocentre")
            .legend(|(x, y)| Circle::new((x + 10, y), 6, RGBColor(0, 150, 0).stroke_width(3)));
    }
    for (code, p) in &fig.stations {
        let h = 10;
        chart
            .draw_series(std::iter::once(
                EmptyElement::at((p[a], -p[2]))
                    + Polygon::new(vec![(-h, h * 3 / 4), (h, h * 3 / 4), (0, -h)], BLACK.filled())
                    + Text::new(code.clone(), (12, 2), (FONT, 18)),
            ))
            .map_err(e2s)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(150, 150, 150))
        .label_font((FONT, 14))
        .draw()
        .map_err(e2s)?;
    Ok(())
}
