//! One synthetic event located with every sampler, side by side with the
//! dense-grid evaluation of the same posterior.
//!
//! ```text
//! cargo run --release --example sampler_comparison -- --out target/sampler_comparison
//! ```
//!
//! The event is event `--event` (default 10) of stream `--stream` (default
//! 11) of the standard synthetic region (`SyntheticRegion::standard`: one
//! station, five clusters, layered crust), located from its S-P time only
//! (`--back-azimuth` adds the back-azimuth), the same event as
//! `tests/samplers_agree.rs`: its S-P shell cuts two clusters on opposite
//! sides of the station, so the posterior is bimodal. Every sampler runs
//! through `eqnemix::locate::locate_event` exactly as `eqnemix locate` runs
//! it (Markov samplers: pilot SMC, chains per mode region, post-stratified;
//! see `src/locate/event.rs`), with the settings of
//! `eqnemix::locate::every_sampler` and 4 chains.
//!
//! Printed and written to `<out>/sampler_comparison.csv`: per sampler and
//! coordinate (east, north, depth, km) the posterior mean and sd, the MCSE
//! of the mean, and the difference to the grid mean in MCSE units; the
//! posterior probability of each cluster and the largest difference to the
//! grid's; the largest R-hat and smallest bulk ESS (for Markov samplers per
//! mode region, combined as in `locate_event`; Kish ESS for the oct-tree's
//! weights; the SMC and ADVI ESS is computed over the particles / draws in
//! order); the wall time (sampling + summary, all threads) and ESS/s.
//! `<out>/sampler_comparison.png`: each sampler's draws (up to 600,
//! resampled by weight) over the grid's map-view marginal.

use anyhow::{Context, Result};
use eqnemix::grid_posterior::GridPosterior;
use eqnemix::io::{write_atomic, write_atomic_path};
use eqnemix::likelihood::LikelihoodOptions;
use eqnemix::locate::{every_sampler, sampler_label, locate_event, EventLocation, LocateOptions};
use eqnemix::prior::PriorOptions;
use eqnemix::samplers::Draws;
use eqnemix::synthetic_region::SyntheticRegion;
use plotters::prelude::*;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Command-line flags (module doc).
#[derive(clap::Parser)]
struct Args {
    /// Index of the synthetic event.
    #[arg(long, default_value_t = 10)]
    event: usize,
    /// Event stream seed.
    #[arg(long, default_value_t = 11)]
    stream: u64,
    /// Sampler seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Add the back-azimuth term.
    #[arg(long)]
    back_azimuth: bool,
    /// Reference grid nodes east, north, depth.
    #[arg(long, value_name = "NE,NN,NZ", default_value = "240,240,60", value_parser = parse_grid)]
    grid: [usize; 3],
    /// Output folder.
    #[arg(long, default_value = "target/sampler_comparison")]
    out: PathBuf,
}

/// `NE,NN,NZ` grid node counts.
fn parse_grid(text: &str) -> Result<[usize; 3]> {
    let v: Vec<usize> = text.split(',').map(str::parse).collect::<Result<_, _>>()?;
    v.try_into().map_err(|_| anyhow::anyhow!("--grid needs NE,NN,NZ"))
}

/// One table row.
struct Row {
    sampler: String,
    loc: EventLocation,
    wall_s: f64,
}

impl Row {
    fn ess(&self) -> f64 {
        self.loc.diagnostics.min_ess_bulk
    }
    /// Difference to the grid mean in MCSE units, per coordinate.
    fn z(&self, grid: &GridPosterior) -> [f64; 3] {
        let d = &self.loc.diagnostics;
        [0, 1, 2].map(|a| (self.loc.summary.mean_km[a] - grid.mean_km[a]) / d.mcse_mean.get(a).copied().unwrap_or(f64::NAN))
    }
    fn max_dp(&self, grid: &GridPosterior) -> f64 {
        self.loc
            .summary
            .cluster_probabilities
            .iter()
            .zip(&grid.cluster_probabilities)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max)
    }
}

/// Up to `n` draws resampled systematically by weight (chains count equally).
fn resampled(chains: &[Draws], n: usize) -> Vec<(f64, f64)> {
    let mut pts = Vec::new();
    let mut w = Vec::new();
    for c in chains {
        let tot: f64 = c.weights.as_ref().map_or(c.n_draws() as f64, |w| w.iter().sum());
        for (i, x) in c.iter().enumerate() {
            pts.push((x[0], x[1]));
            w.push(c.weights.as_ref().map_or(1.0, |w| w[i]) / tot / chains.len() as f64);
        }
    }
    let (mut out, mut acc, mut j) = (Vec::with_capacity(n), 0.0, 0);
    for k in 0..n {
        let u = (k as f64 + 0.5) / n as f64;
        while j < w.len() && acc + w[j] < u {
            acc += w[j];
            j += 1;
        }
        if j < pts.len() {
            out.push(pts[j]);
        }
    }
    out
}

fn plot(path: &Path, grid: &GridPosterior, rows: &[Row], title: &str) -> Result<()> {
    eqnemix::plot::font::ensure_fonts();
    let m = grid.marginal_2d(0, 1);
    let peak = m.iter().cloned().fold(0.0, f64::max);
    let (xs, ys) = (grid.axis_km(0), grid.axis_km(1));
    let (hx, hy) = (0.5 * grid.spacing_km[0], 0.5 * grid.spacing_km[1]);
    // Zoom to the cells holding 99.9 % of the map-view mass (plus a margin).
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for (i, x) in xs.iter().enumerate() {
        for (j, y) in ys.iter().enumerate() {
            if m[i * ys.len() + j] > 1e-3 * peak {
                lo = [lo[0].min(*x), lo[1].min(*y)];
                hi = [hi[0].max(*x), hi[1].max(*y)];
            }
        }
    }
    let pad = 3.0;
    let (x0, x1, y0, y1) = (lo[0] - pad, hi[0] + pad, lo[1] - pad, hi[1] + pad);
    write_atomic_path(path, |tmp: &Path| -> Result<()> {
        let root = BitMapBackend::new(tmp, (1600, 900)).into_drawing_area();
        root.fill(&WHITE)?;
        let root = root.titled(title, ("DejaVu Sans", 22))?;
        let panels = root.split_evenly((2, 4));
        let names: Vec<&str> = std::iter::once("grid").chain(rows.iter().map(|r| r.sampler.as_str())).collect();
        for (k, area) in panels.iter().enumerate().take(names.len()) {
            let mut chart = ChartBuilder::on(area)
                .caption(names[k], ("DejaVu Sans", 18))
                .margin(6)
                .x_label_area_size(30)
                .y_label_area_size(40)
                .build_cartesian_2d(x0..x1, y0..y1)?;
            chart.configure_mesh().x_desc("east (km)").y_desc("north (km)").light_line_style(WHITE).draw()?;
            let mut cells = Vec::new();
            for (i, x) in xs.iter().enumerate() {
                for (j, y) in ys.iter().enumerate() {
                    let v = m[i * ys.len() + j] / peak;
                    if v > 1e-3 && *x > x0 && *x < x1 && *y > y0 && *y < y1 {
                        let c = (255.0 * (1.0 - 0.85 * v.sqrt())) as u8;
                        cells.push(Rectangle::new([(x - hx, y - hy), (x + hx, y + hy)], RGBColor(c, c, 255).filled()));
                    }
                }
            }
            chart.draw_series(cells)?;
            if k > 0 {
                let pts = resampled(&rows[k - 1].loc.chains, 600);
                chart.draw_series(pts.iter().map(|&p| Circle::new(p, 1, RED.mix(0.6).filled())))?;
            }
            chart.draw_series(std::iter::once(TriangleMarker::new((0.0, 0.0), 7, BLACK.filled())))?;
        }
        root.present()?;
        Ok(())
    })?;
    Ok(())
}

fn main() -> Result<()> {
    let args = <Args as clap::Parser>::parse();
    std::fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    let region = SyntheticRegion::standard()?;
    let ev = region.draw_event(args.event, args.stream)?;
    let opts = LikelihoodOptions { back_azimuth: args.back_azimuth, ..Default::default() };
    let post = region.posterior(&ev, &opts, &PriorOptions::default())?;
    eprintln!("grid {:?} ...", args.grid);
    let t0 = std::time::Instant::now();
    let grid = GridPosterior::evaluate(&post, args.grid)?;
    let grid_s = t0.elapsed().as_secs_f64();
    let mut rows = Vec::new();
    for cfg in every_sampler() {
        eprintln!("{} ...", sampler_label(&cfg));
        let t0 = std::time::Instant::now();
        let loc = locate_event(&post, &cfg, &LocateOptions { seed: args.seed, ..Default::default() })?;
        rows.push(Row { sampler: sampler_label(&cfg).to_string(), loc, wall_s: t0.elapsed().as_secs_f64() });
    }
    let k = region.n_clusters();
    let cols = ["e", "n", "z"];
    let mut header = vec!["sampler".to_string()];
    for c in cols {
        header.extend([format!("mean_{c}_km"), format!("sd_{c}_km"), format!("mcse_{c}_km"), format!("diff_{c}_mcse")]);
    }
    header.extend((0..k).map(|j| format!("p_cluster{j}")));
    header.extend(["max_abs_dp", "max_rhat", "min_ess_bulk", "wall_s", "ess_per_s", "modes"].map(String::from));
    let mut csv = vec![header.join(",")];
    let gsd = [0, 1, 2].map(|a| grid.cov_km2[a][a].sqrt());
    let mut grid_row = vec!["grid".to_string()];
    for a in 0..3 {
        grid_row.extend([format!("{:.4}", grid.mean_km[a]), format!("{:.4}", gsd[a]), "0".into(), "0".into()]);
    }
    grid_row.extend(grid.cluster_probabilities.iter().map(|p| format!("{p:.4}")));
    grid_row.extend(["0".into(), "".into(), "".into(), format!("{grid_s:.3}"), "".into(), "".into()]);
    csv.push(grid_row.join(","));

    println!(
        "\nevent {} (true cluster {}, S-P{}), grid {:?} cells of {:?} km; {} chains per mode for Markov samplers\n",
        ev.id,
        ev.cluster,
        if args.back_azimuth { " + back-azimuth" } else { " only" },
        args.grid,
        grid.spacing_km.map(|v| (v * 100.0).round() / 100.0),
        LocateOptions::default().n_chains
    );
    println!(
        "{:<11} {:>15} {:>15} {:>15} {:>22} {:>30} {:>7} {:>6} {:>7} {:>7} {:>8}",
        "sampler", "east mean±sd", "north mean±sd", "depth mean±sd", "Δ/MCSE (e, n, z)", "cluster probabilities", "max|Δp|", "R-hat", "ESS", "wall s", "ESS/s"
    );
    let fmt_p = |p: &[f64]| p.iter().map(|v| format!("{v:.3}")).collect::<Vec<_>>().join(" ");
    println!(
        "{:<11} {:>15} {:>15} {:>15} {:>22} {:>30} {:>7} {:>6} {:>7} {:>7.2} {:>8}",
        "grid",
        format!("{:.2}±{:.2}", grid.mean_km[0], gsd[0]),
        format!("{:.2}±{:.2}", grid.mean_km[1], gsd[1]),
        format!("{:.2}±{:.2}", grid.mean_km[2], gsd[2]),
        "",
        fmt_p(&grid.cluster_probabilities),
        "",
        "",
        "",
        grid_s,
        ""
    );
    for r in &rows {
        let s = &r.loc.summary;
        let d = &r.loc.diagnostics;
        let z = r.z(&grid);
        let ess_s = r.ess() / r.wall_s;
        println!(
            "{:<11} {:>15} {:>15} {:>15} {:>22} {:>30} {:>7.3} {:>6.3} {:>7.0} {:>7.2} {:>8.0}",
            r.sampler,
            format!("{:.2}±{:.2}", s.mean_km[0], s.std_km[0]),
            format!("{:.2}±{:.2}", s.mean_km[1], s.std_km[1]),
            format!("{:.2}±{:.2}", s.mean_km[2], s.std_km[2]),
            format!("{:.1} {:.1} {:.1}", z[0], z[1], z[2]),
            fmt_p(&s.cluster_probabilities),
            r.max_dp(&grid),
            d.max_rhat,
            r.ess(),
            r.wall_s,
            ess_s
        );
        let mut row = vec![r.sampler.clone()];
        for a in 0..3 {
            row.extend([
                format!("{:.4}", s.mean_km[a]),
                format!("{:.4}", s.std_km[a]),
                format!("{:.4}", d.mcse_mean.get(a).copied().unwrap_or(f64::NAN)),
                format!("{:.3}", z[a]),
            ]);
        }
        row.extend(s.cluster_probabilities.iter().map(|p| format!("{p:.4}")));
        let modes = d.modes.iter().map(|m| format!("{}:{:.3}", m.cluster.map_or("bg".into(), |c| c.to_string()), m.mass)).collect::<Vec<_>>().join(" ");
        row.extend([
            format!("{:.4}", r.max_dp(&grid)),
            format!("{:.4}", d.max_rhat),
            format!("{:.1}", r.ess()),
            format!("{:.3}", r.wall_s),
            format!("{ess_s:.1}"),
            modes,
        ]);
        csv.push(row.join(","));
    }
    let csv_path = args.out.join("sampler_comparison.csv");
    write_atomic(&csv_path, |w| {
        for l in &csv {
            writeln!(w, "{l}")?;
        }
        Ok(())
    })?;
    let png = args.out.join("sampler_comparison.png");
    let title = format!("{}: draws (red) over the dense-grid map-view marginal (blue), S-P{}", ev.id, if args.back_azimuth { " + back-azimuth" } else { " only" });
    plot(&png, &grid, &rows, &title)?;
    println!("\nwrote {} and {}", csv_path.display(), png.display());
    Ok(())
}
