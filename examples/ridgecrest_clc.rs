//! Real data: the 1125 EQTransformer detections of the EQNeMix study at
//! station CI.CLC (Ridgecrest, July 2019), located from their S-P times
//! through the Hadley & Kanamori (1977) layered model, and compared with the
//! original's published posterior means.
//!
//! ```text
//! cargo run --release --example ridgecrest_clc -- --out target/ridgecrest_clc
//! ```
//!
//! Inputs (all in the repository, converted from the original's CC0 files by
//! `scripts/data/convert_ridgecrest_clc.py`; see
//! `examples/data/ridgecrest_clc/README.md`): the picks, the ConvNetQuake
//! cluster probabilities of each detection, the six cluster Gaussians in the
//! station's local frame, the configuration
//! `examples/data/config/locate_ridgecrest_clc.toml` (the same one
//! `eqnemix locate` takes) and the original's means of the 610 events it
//! located. `--sampler KIND` replaces the configured sampler by that kind
//! with the settings of `eqnemix::locate::every_sampler`; `--n N` locates
//! the first N detections only.
//!
//! Written to `--out`: `ridgecrest_events.csv` (one row per detection: the
//! S-P time, the headline location, mean and MAP, the dominant cluster and
//! its probability, the modes, flags and reasons, R-hat and ESS, and the
//! original's mean and the distance to it), `ridgecrest_summary.md` (the
//! table the README quotes) and `ridgecrest_map.png` (the headline
//! locations, coloured by flag, with the original's means and the clusters'
//! 2-sigma ellipses). The table is printed too.
//!
//! There is no independent catalog here: the original's means are the
//! original's answer to the same question (with its known defects: an S-P
//! offset of about 1.5 s from a misplaced eikonal source, a nearest-node
//! lookup, one short chain), not the truth.

use anyhow::{bail, Context, Result};
use eqnemix::clustering::read_clusters_gaussian;
use eqnemix::config::LocateConfig;
use eqnemix::geo::LocalProjection;
use eqnemix::io::write_atomic_path;
use eqnemix::locate::batch::Batch;
use eqnemix::locate::inputs::{read_cluster_probabilities, read_eqtransformer_picks};
use eqnemix::locate::{every_sampler, sampler_label, EventLocation};
use eqnemix::pipeline::overview_map::{draw_overview_map, OverviewEvent};
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Command-line flags (module doc).
#[derive(clap::Parser)]
struct Args {
    /// Output folder.
    #[arg(long, default_value = "target/ridgecrest_clc")]
    out: PathBuf,
    /// Sampler kind (nuts, hmc, metropolis, advi, smc, smc-uniform, tempering, octree, importance);
    /// default: the configuration's.
    #[arg(long)]
    sampler: Option<String>,
    /// Locate only the first N detections.
    #[arg(long)]
    n: Option<usize>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

const DATA: &str = "examples/data/ridgecrest_clc";
const CONFIG: &str = "examples/data/config/locate_ridgecrest_clc.toml";

fn main() -> Result<()> {
    let args = <Args as clap::Parser>::parse();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = root.join(DATA);
    let config_path = root.join(CONFIG);
    let mut cfg = LocateConfig::from_file(&config_path).with_context(|| format!("configuration {}", config_path.display()))?;
    if let Some(kind) = &args.sampler {
        cfg.sampler = match every_sampler().into_iter().find(|s| sampler_label(s) == kind) {
            Some(s) => s,
            None => bail!("--sampler {kind}: not one of {:?}", every_sampler().iter().map(|s| sampler_label(s)).collect::<Vec<_>>()),
        };
    }
    let clusters_path = data.join("clusters_gaussian.json");
    let clusters_file = read_clusters_gaussian(&clusters_path)?;
    let clusters = clusters_file.gaussians();
    let projection = LocalProjection::new(clusters_file.origin.lon_deg, clusters_file.origin.lat_deg)?;
    let mut events = read_eqtransformer_picks(&data.join("picks.csv"), &projection, &[], cfg.likelihood.default_pick_sigma_s)?;
    if let Some(n) = args.n {
        events.truncate(n);
    }
    let probabilities = read_cluster_probabilities(&data.join("probabilities.csv"))?;
    let original = read_original_means(&data.join("original_means.csv"))?;
    let region = cfg.region.region_box(&clusters)?;
    let model = cfg.travel_time.build(config_path.parent().unwrap_or(root))?;
    let batch = Batch {
        config: &cfg,
        clusters: &clusters,
        probabilities: &probabilities,
        model: model.as_ref(),
        region,
        projection: Some(projection),
    };
    std::fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;

    let bar = if args.quiet { ProgressBar::hidden() } else { ProgressBar::new(events.len() as u64) };
    bar.set_style(ProgressStyle::with_template("locating {bar:40} {pos}/{len} [{elapsed_precise} < {eta_precise}]")?);
    let t0 = std::time::Instant::now();
    let results = batch.locate_all(&events, &|_| bar.inc(1));
    bar.finish_and_clear();
    let wall_s = t0.elapsed().as_secs_f64();

    let mut rows = Vec::new();
    let mut failures = Vec::new();
    for (picks, r) in events.iter().zip(results) {
        match r {
            Ok(loc) => rows.push(Row::new(picks, loc, &original)),
            Err(f) => failures.push(f),
        }
    }
    write_events_csv(&args.out.join("ridgecrest_events.csv"), &rows)?;
    let summary = summary_markdown(&cfg, &rows, failures.len(), events.len(), wall_s);
    print!("{summary}");
    for f in failures.iter().take(10) {
        println!("failed: {}: {}", f.event_id, f.reason);
    }
    write_atomic_path(&args.out.join("ridgecrest_summary.md"), |tmp| std::fs::write(tmp, &summary))?;
    let map_events: Vec<OverviewEvent> = rows
        .iter()
        .map(|r| OverviewEvent {
            location_en_km: [r.loc.summary.location_km[0], r.loc.summary.location_km[1]],
            hpd95_segments: Vec::new(),
            truth_en_km: r.original.map(|o| [o[0], o[1]]),
            untrustworthy: r.loc.flags.untrustworthy,
            prior_dominated: r.loc.flags.prior_dominated,
        })
        .collect();
    let station = ("CI.CLC".to_string(), [0.0, 0.0, -0.775]);
    draw_overview_map(
        &args.out.join("ridgecrest_map.png"),
        &format!("CI.CLC, Ridgecrest 2019: {} detections located from S-P ({})", rows.len(), sampler_label(&cfg.sampler)),
        "headline location (red: trusted; orange: prior-dominated; grey: untrustworthy); x: the original's mean; triangle: CI.CLC",
        &map_events,
        &clusters,
        &[station],
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("wrote {}", args.out.display());
    Ok(())
}

/// The original's posterior means (local km east, north, depth) by event id.
fn read_original_means(path: &Path) -> Result<HashMap<String, [f64; 3]>> {
    let mut rdr = csv::Reader::from_path(path).with_context(|| format!("{}", path.display()))?;
    let mut out = HashMap::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.with_context(|| format!("{}: line {}", path.display(), i + 2))?;
        let num = |c: usize, name: &str| -> Result<f64> {
            rec.get(c)
                .and_then(|s| s.parse::<f64>().ok())
                .with_context(|| format!("{}: line {}: field {name}", path.display(), i + 2))
        };
        out.insert(rec[0].to_string(), [num(4, "east_km")?, num(5, "north_km")?, num(3, "depth_km")?]);
    }
    Ok(out)
}

/// One located detection with what is compared.
struct Row {
    s_minus_p_s: f64,
    loc: EventLocation,
    original: Option<[f64; 3]>,
}

impl Row {
    fn new(picks: &eqnemix::picks::Picks, loc: EventLocation, original: &HashMap<String, [f64; 3]>) -> Self {
        let st = &picks.stations[0];
        let s_minus_p_s = match (st.p, st.s) {
            (Some(p), Some(s)) => s.time_s - p.time_s,
            _ => f64::NAN,
        };
        Row { s_minus_p_s, original: original.get(&loc.event_id).copied(), loc }
    }
}

fn epi(a: &[f64; 3]) -> f64 {
    a[0].hypot(a[1])
}

fn dist2(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    (a[0] - b[0]).hypot(a[1] - b[1])
}

/// Median of the finite values (NaN if none).
fn median(v: Vec<f64>) -> f64 {
    let finite: Vec<f64> = v.into_iter().filter(|x| x.is_finite()).collect();
    eqnemix::synthetic_region::median(&finite)
}

fn write_events_csv(path: &Path, rows: &[Row]) -> Result<()> {
    write_atomic_path(path, |tmp| -> Result<()> {
        let mut w = csv::Writer::from_path(tmp)?;
        w.write_record([
            "event_id",
            "s_minus_p_s",
            "location_east_km",
            "location_north_km",
            "location_depth_km",
            "mean_east_km",
            "mean_north_km",
            "mean_depth_km",
            "map_east_km",
            "map_north_km",
            "map_depth_km",
            "n_modes",
            "dominant_mode_mass",
            "dominant_cluster",
            "cluster_probabilities",
            "untrustworthy",
            "prior_dominated",
            "reasons",
            "max_rhat",
            "min_ess_bulk",
            "rms_residual_s",
            "original_east_km",
            "original_north_km",
            "original_depth_km",
            "epicentral_distance_to_original_km",
        ])?;
        for r in rows {
            let s = &r.loc.summary;
            let f = |v: f64| format!("{v:.4}");
            let o = r.original;
            let dom = s.modes.first();
            w.write_record([
                r.loc.event_id.clone(),
                f(r.s_minus_p_s),
                f(s.location_km[0]),
                f(s.location_km[1]),
                f(s.location_km[2]),
                f(s.mean_km[0]),
                f(s.mean_km[1]),
                f(s.mean_km[2]),
                f(s.map_km[0]),
                f(s.map_km[1]),
                f(s.map_km[2]),
                s.modes.len().to_string(),
                dom.map_or(String::new(), |m| f(m.mass)),
                dom.and_then(|m| m.cluster).map_or(String::new(), |c| c.to_string()),
                s.cluster_probabilities.iter().map(|p| format!("{p:.4}")).collect::<Vec<_>>().join(";"),
                r.loc.flags.untrustworthy.to_string(),
                r.loc.flags.prior_dominated.to_string(),
                r.loc.flags.reasons.join("; "),
                f(r.loc.diagnostics.max_rhat),
                f(r.loc.diagnostics.min_ess_bulk),
                s.rms_residual_s.map_or(String::new(), f),
                o.map_or(String::new(), |o| f(o[0])),
                o.map_or(String::new(), |o| f(o[1])),
                o.map_or(String::new(), |o| f(o[2])),
                o.map_or(String::new(), |o| f(dist2(&s.location_km, &o))),
            ])?;
        }
        w.flush()?;
        Ok(())
    })?;
    Ok(())
}

/// The summary table (markdown).
fn summary_markdown(cfg: &LocateConfig, rows: &[Row], n_failed: usize, n_events: usize, wall_s: f64) -> String {
    let n = rows.len();
    let count = |p: &dyn Fn(&Row) -> bool| rows.iter().filter(|r| p(r)).count();
    let pct = |k: usize| if n > 0 { 100.0 * k as f64 / n as f64 } else { f64::NAN };
    let untrust = count(&|r| r.loc.flags.untrustworthy);
    let prior_dom = count(&|r| r.loc.flags.prior_dominated);
    let multimodal = count(&|r| r.loc.summary.modes.len() > 1);
    let with_orig: Vec<&Row> = rows.iter().filter(|r| r.original.is_some()).collect();
    let mut reasons: HashMap<String, usize> = HashMap::new();
    for r in rows {
        for why in &r.loc.flags.reasons {
            let key = why.split(|c: char| c.is_ascii_digit()).next().unwrap_or(why).trim().to_string();
            *reasons.entry(key).or_default() += 1;
        }
    }
    let mut reasons: Vec<_> = reasons.into_iter().collect();
    reasons.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut s = String::new();
    let _ = writeln!(s, "## CI.CLC, Ridgecrest 2019: {n_events} EQTransformer detections (sampler `{}`)\n", sampler_label(&cfg.sampler));
    let _ = writeln!(s, "| quantity | value |\n|---|---|");
    let _ = writeln!(s, "| located | {n} of {n_events} ({n_failed} failed) |");
    let _ = writeln!(s, "| wall time (2 cores, all events) | {wall_s:.1} s |");
    let _ = writeln!(s, "| flagged untrustworthy | {untrust} ({:.1}%) |", pct(untrust));
    let _ = writeln!(s, "| flagged prior-dominated | {prior_dom} ({:.1}%) |", pct(prior_dom));
    let _ = writeln!(s, "| more than one mode (≥ 1% mass) | {multimodal} ({:.1}%) |", pct(multimodal));
    let _ = writeln!(s, "| median S-P (s) | {:.2} |", median(rows.iter().map(|r| r.s_minus_p_s).collect()));
    let _ = writeln!(s, "| median epicentral distance from the station, headline location (km) | {:.1} |", median(rows.iter().map(|r| epi(&r.loc.summary.location_km)).collect()));
    let _ = writeln!(s, "| median epicentral distance from the station, posterior mean (km) | {:.1} |", median(rows.iter().map(|r| epi(&r.loc.summary.mean_km)).collect()));
    let _ = writeln!(s, "| median headline depth (km) | {:.1} |", median(rows.iter().map(|r| r.loc.summary.location_km[2]).collect()));
    let _ = writeln!(s, "| events the original located | {} |", with_orig.len());
    let _ = writeln!(s, "| median epicentral distance from the station, original's mean (km) | {:.1} |", median(with_orig.iter().map(|r| epi(&r.original.unwrap())).collect()));
    let _ = writeln!(s, "| median original depth (km) | {:.1} |", median(with_orig.iter().map(|r| r.original.unwrap()[2]).collect()));
    let _ = writeln!(s, "| median epicentral distance headline ↔ original's mean (km) | {:.1} |", median(with_orig.iter().map(|r| dist2(&r.loc.summary.location_km, &r.original.unwrap())).collect()));
    let _ = writeln!(s, "| median epicentral distance posterior mean ↔ original's mean (km) | {:.1} |", median(with_orig.iter().map(|r| dist2(&r.loc.summary.mean_km, &r.original.unwrap())).collect()));
    // chainless samplers (importance) have no R-hat: "-" rather than NaN
    let rhat = median(rows.iter().map(|r| r.loc.diagnostics.max_rhat).collect());
    let _ = writeln!(s, "| median max R-hat | {} |", if rhat.is_finite() { format!("{rhat:.3}") } else { "-".into() });
    let _ = writeln!(s, "| median min bulk ESS | {:.0} |", median(rows.iter().map(|r| r.loc.diagnostics.min_ess_bulk).collect()));
    let _ = writeln!(s, "\nFlag reasons (events; a flag may give several):\n");
    for (why, k) in reasons {
        let _ = writeln!(s, "- {why}: {k}");
    }
    s
}
