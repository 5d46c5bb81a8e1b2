//! Chain trace plots (PNG or SVG by extension): one panel per coordinate
//! (east, north, depth in km; origin time in s when sampled), one colour per
//! chain, draw index on the x axis (post-warm-up draws only).

use super::posterior_map::{e2s, Draw, FONT};
use super::{category_color, PlotError};
use eqnemix_samplers::Draws;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// Draw the traces of `chains` (coordinate names with units in `names`) to
/// `path`, titled with the event id and sampler name.
pub fn draw_traces(path: &Path, title: &str, chains: &[Draws], names: &[&str]) -> Result<(), PlotError> {
    super::font::ensure_fonts();
    let dim = chains.first().map_or(0, |c| c.dim);
    if dim == 0 || chains.iter().any(|c| c.dim != dim) || names.len() < dim {
        return Err(PlotError::BadInput(format!(
            "trace plot: {} chains of dimension {dim} need {dim} names (got {})",
            chains.len(),
            names.len()
        )));
    }
    let svg = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("svg"));
    let size = (1100, 260 * dim as u32 + 60);
    crate::io::write_atomic_path(path, |tmp| -> Draw {
        if svg {
            let root = SVGBackend::new(tmp, size).into_drawing_area();
            render(&root, title, chains, names, dim)?;
            root.present().map_err(e2s)
        } else {
            let root = BitMapBackend::new(tmp, size).into_drawing_area();
            render(&root, title, chains, names, dim)?;
            root.present().map_err(e2s)
        }
    })?;
    Ok(())
}

fn render<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    chains: &[Draws],
    names: &[&str],
    dim: usize,
) -> Draw {
    root.fill(&WHITE).map_err(e2s)?;
    let root = root.titled(title, (FONT, 26).into_font().color(&BLACK)).map_err(e2s)?;
    let panels = root.split_evenly((dim, 1));
    let n_max = chains.iter().map(|c| c.n_draws()).max().unwrap_or(0).max(2);
    for (a, panel) in panels.iter().enumerate() {
        let vals = chains.iter().flat_map(|c| c.iter().map(move |d| d[a]));
        let (lo, hi) = vals.fold((f64::MAX, f64::MIN), |(l, h), v| (l.min(v), h.max(v)));
        let pad = 0.05 * (hi - lo).max(1e-6);
        let mut chart = ChartBuilder::on(panel)
            .margin(8)
            .x_label_area_size(if a + 1 == dim { 45 } else { 25 })
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..(n_max - 1) as f64, (lo - pad)..(hi + pad))
            .map_err(e2s)?;
        let mut mesh = chart.configure_mesh();
        mesh.y_desc(names[a])
            .axis_desc_style((FONT, 18))
            .label_style((FONT, 14))
            .bold_line_style(RGBColor(230, 230, 230).stroke_width(1))
            .light_line_style(TRANSPARENT)
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| format!("{v:.1}"));
        if a + 1 == dim {
            mesh.x_desc("draw (after warm-up)");
        }
        mesh.draw().map_err(e2s)?;
        for (c, ch) in chains.iter().enumerate() {
            let col = category_color(c);
            let s = chart
                .draw_series(LineSeries::new(
                    ch.iter().enumerate().map(|(i, d)| (i as f64, d[a])),
                    col.mix(0.75).stroke_width(1),
                ))
                .map_err(e2s)?;
            if a == 0 {
                s.label(format!("chain {c}"))
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], col.stroke_width(3)));
            }
        }
        if a == 0 {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .background_style(WHITE.mix(0.85))
                .border_style(RGBColor(150, 150, 150))
                .label_font((FONT, 14))
                .draw()
                .map_err(e2s)?;
        }
    }
    Ok(())
}
