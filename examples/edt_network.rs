//! Network location with one outlier pick: the Gaussian likelihood (origin
//! time marginalised), Student-t (ν = 4, origin time sampled) and the
//! equal-differential-time likelihood ([`eqnemix::likelihood::edt`]) side by
//! side, under a uniform prior over the region box
//! ([`eqnemix::prior::ClusterPrior::uniform`]).
//!
//! `--n` events (100) uniform in `[-15, 15]² km × [2, 20] km depth` under six
//! surface stations, homogeneous medium (vp 6, vs 3.5 km/s), P and S picks at
//! every station with Gaussian noise (P σ 0.1 s, S σ 0.2 s); on every tenth
//! event one P pick (a random station) is 2 s late. Each event is located
//! with each likelihood by `--sampler` (SMC from the uniform box by
//! default) on ONE thread; printed per likelihood: coverage of the 90 %
//! highest-posterior-density region of the hypocentre (over all events and
//! over the outlier events; for the 4D Student-t posterior, the region of
//! its density marginal in x, the origin time integrated out by
//! quadrature), median and 90th percentile of the
//! epicentral error of the posterior mean, and CPU time per event (thread
//! CPU time; the machine may be shared).
//!
//! ```text
//! cargo run --release --example edt_network -- --n 100
//! ```
//!
//! With `--nlloc DIR` (a directory holding NonLinLoc's `NLLoc`, or a
//! checkout of NonLinLoc's public source, which is then built in a temporary
//! directory), NLLoc locates the same picks with its EDT likelihood and
//! oct-tree search over the same box, on P and S TIME grids written by
//! eqnemix's NonLinLoc grid writer (`--nll-spacing` km nodes): its row
//! reports the expectation's epicentral error, the coverage of its 90%
//! confidence ellipsoid (chi²₃ from its covariance, NonLinLoc's own error
//! ellipsoid; it has no density to test a point against) and its CPU per
//! event, with and without writing the grids. Without `--nlloc` the row says
//! why it was skipped.
//!
//! ```text
//! cargo run --release --example edt_network -- --n 100 --medium gradient --nlloc /path/to/NonLinLoc
//! ```

#[path = "common/cpu_time.rs"]
mod cpu_time;
#[path = "common/nlloc_run.rs"]
mod nlloc_run;
use cpu_time::thread_cpu_s;
use clap::Parser as _;
use eqnemix::likelihood::{EdtPower, LikelihoodOptions, OriginTime, ResidualModel};
use eqnemix::picks::{PhasePick, Picks, StationPicks};
use eqnemix::posterior::LocationPosterior;
use eqnemix::samplers::{Draws, LogDensity};
use eqnemix::prior::{ClusterPrior, RegionBox};
use eqnemix::synthetic_region::{epicentral_distance, in_hpd_region, locate_with, median, study_sampler};
use eqnemix::traveltime::{Homogeneous, Layered1D, Phase, Station, TravelTimeModel};
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};

const STATIONS: [[f64; 3]; 6] = [
    [0.0, 0.0, 0.0],
    [20.0, 3.0, 0.0],
    [-15.0, 12.0, 0.0],
    [5.0, -18.0, 0.0],
    [14.0, 16.0, 0.0],
    [-10.0, -9.0, 0.0],
];

/// Command-line flags (module doc).
#[derive(clap::Parser)]
struct Args {
    /// Number of events.
    #[arg(long = "n", default_value_t = 100)]
    n: usize,
    /// Seed of the events, picks and samplers.
    #[arg(long, default_value_t = 17)]
    seed: u64,
    /// Sampler preset: smc, octree, nuts or importance.
    #[arg(long, default_value = "smc")]
    sampler: String,
    /// Medium: `homogeneous` (vp 6, vs 3.5 km/s) or `gradient` (vp 5.5 +
    /// 0.04 z km/s in 1 km layers to 40 km, vp/vs 1.73; travel times from
    /// the layered model's interpolated tables, as from a grid).
    #[arg(long, default_value = "homogeneous")]
    medium: String,
    /// Run only the likelihoods whose row name contains this text.
    #[arg(long)]
    only: Option<String>,
    /// NonLinLoc side by side: a directory holding `NLLoc`, or a NonLinLoc
    /// source checkout to build (module doc).
    #[arg(long)]
    nlloc: Option<std::path::PathBuf>,
    /// Node spacing (km) of the TIME grids written for NLLoc.
    #[arg(long, default_value_t = 0.5)]
    nll_spacing: f64,
}


/// Log of the posterior density marginal in `x` for a 4D (x, origin time)
/// posterior: `ln ∫ p(x, t0) dt0` by the trapezoidal rule on 1201 nodes,
/// 5 ms apart, over ±3 s around the Gaussian origin-time estimate at `x`
/// (the Student-t posterior in t0 is a few hundredths of a second wide,
/// and the estimate moves at most (2 s)/(12 picks) with the outlier).
fn log_marginal_in_x(post: &LocationPosterior, x: &[f64]) -> f64 {
    let x3 = [x[0], x[1], x[2]];
    let Some((c, _)) = post.origin_time_at(x3) else {
        return f64::NEG_INFINITY;
    };
    let h = 0.005;
    let lp: Vec<f64> = (-600..=600).map(|k| post.log_density(&[x[0], x[1], x[2], c + h * k as f64])).collect();
    let m = lp.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !m.is_finite() {
        return f64::NEG_INFINITY;
    }
    let s: f64 = lp.iter().enumerate().map(|(k, l)| if k == 0 || k == lp.len() - 1 { 0.5 } else { 1.0 } * (l - m).exp()).sum();
    m + (s * h).ln()
}

/// [`in_hpd_region`] for the marginal posterior of `x`: the 90 % region of
/// the density marginal in x (origin time integrated out,
/// [`log_marginal_in_x`]) estimated from the draws' x, so a 4D posterior is
/// scored on the same 3D region as the 3D ones.
fn in_hpd_region_marginal(post: &LocationPosterior, chains: &[Draws], truth: [f64; 3], level: f64) -> bool {
    if post.dim() == 3 {
        return in_hpd_region(post, chains, truth, level);
    }
    let mut lp: Vec<(f64, f64)> = Vec::new();
    for c in chains {
        let n = c.n_draws();
        // At most 500 draws per chain: the quadrature costs 1201 densities each.
        let step = n.div_ceil(500).max(1);
        for i in (0..n).step_by(step) {
            let w = c.weights.as_ref().map_or(1.0, |w| w[i] * n as f64) / chains.len() as f64;
            lp.push((log_marginal_in_x(post, c.draw(i)), w));
        }
    }
    lp.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = lp.iter().map(|v| v.1).sum();
    let mut acc = 0.0;
    let mut threshold = f64::NEG_INFINITY;
    for (l, w) in &lp {
        acc += w;
        if acc >= (1.0 - level) * total {
            threshold = *l;
            break;
        }
    }
    log_marginal_in_x(post, &truth) >= threshold
}

fn quantile(v: &[f64], q: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[((s.len() - 1) as f64 * q).round() as usize]
}

fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    let sampler = study_sampler(&a.sampler).ok_or_else(|| anyhow::anyhow!("unknown --sampler {}", a.sampler))?;
    let model: Box<dyn TravelTimeModel> = match a.medium.as_str() {
        "homogeneous" => Box::new(Homogeneous::new(6.0, 3.5)?),
        "gradient" => {
            let layers: Vec<(f64, f64, f64)> = (0..40)
                .map(|i| {
                    let vp = 5.5 + 0.04 * (i as f64 + 0.5);
                    (1.0, vp, vp / 1.73)
                })
                .collect();
            Box::new(Layered1D::from_thicknesses(&layers, (7.2, 7.2 / 1.73))?)
        }
        m => anyhow::bail!("unknown --medium {m} (homogeneous or gradient)"),
    };
    let model = model.as_ref();
    let region = RegionBox::new([-40.0, -40.0, 0.0], [40.0, 40.0, 30.0]);
    let prior = ClusterPrior::uniform(region)?;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(a.seed);
    let origin_s = 20.0;
    let mut events = Vec::new();
    for e in 0..a.n {
        let truth = [rng.gen_range(-15.0..15.0), rng.gen_range(-15.0..15.0), rng.gen_range(2.0..20.0)];
        let outlier = (e % 10 == 9).then(|| rng.gen_range(0..STATIONS.len()));
        let mut stations = Vec::new();
        for (i, p) in STATIONS.iter().enumerate() {
            let station = Station { code: format!("S{i}"), position_km: *p };
            let mut pick = |phase, sigma: f64, extra: f64| -> anyhow::Result<Option<PhasePick>> {
                let t = model.field(&station, phase)?.time(truth)?;
                let noise = Normal::new(0.0, sigma)?.sample(&mut rng);
                Ok(Some(PhasePick { time_s: origin_s + t + noise + extra, sigma_s: sigma }))
            };
            let p = pick(Phase::P, 0.1, if outlier == Some(i) { 2.0 } else { 0.0 })?;
            let s = pick(Phase::S, 0.2, 0.0)?;
            stations.push(StationPicks { station, p, s, back_azimuth: None });
        }
        let picks = Picks { event_id: format!("ev{e}"), reference_time: chrono::DateTime::UNIX_EPOCH, stations };
        events.push((truth, outlier.is_some(), picks));
    }
    let network = LikelihoodOptions { s_minus_p: false, absolute_times: true, back_azimuth: false, ..Default::default() };
    let configs = [
        ("Gaussian (t0 marginalised)", network.clone()),
        (
            "Student-t nu=4 (t0 sampled)",
            LikelihoodOptions {
                residual: ResidualModel::StudentT { nu: 4.0 },
                origin_time: OriginTime::Sampled { min_s: 0.0, max_s: 40.0 },
                ..network.clone()
            },
        ),
        ("EDT (q = n - 1)", LikelihoodOptions { edt: Some(EdtPower::NMinusOne), ..network.clone() }),
        ("EDT (q = n, NonLinLoc)", LikelihoodOptions { edt: Some(EdtPower::N), ..network.clone() }),
        ("EDT calibrated (q = 2(n-1)^2/n)", LikelihoodOptions { edt: Some(EdtPower::Calibrated), ..network.clone() }),
    ];
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    println!(
        "{} events ({} with a +2 s P pick), 6 stations, {} medium, P sigma 0.1 s, S sigma 0.2 s, sampler {}, 1 thread",
        a.n,
        events.iter().filter(|e| e.1).count(),
        a.medium,
        a.sampler
    );
    println!(
        "{:<30} {:>10} {:>12} {:>12} {:>10} {:>12}",
        "likelihood", "cover90", "cover90 out", "epi med km", "epi p90 km", "CPU s/event"
    );
    for (name, opts) in &configs {
        if a.only.as_ref().is_some_and(|o| !name.contains(o.as_str())) {
            continue;
        }
        let (mut cov, mut cov_out, mut n_out, mut epi, mut cpu) = (0usize, 0usize, 0usize, Vec::new(), 0.0);
        for (e, (truth, has_outlier, picks)) in events.iter().enumerate() {
            let post = LocationPosterior::from_picks(prior.clone(), picks, model, opts, region)?;
            let c0 = pool.install(thread_cpu_s);
            let loc = pool.install(|| locate_with(&post, &sampler, 4, a.seed ^ e as u64))?;
            cpu += pool.install(thread_cpu_s) - c0;
            let inside = in_hpd_region_marginal(&post, &loc.chains, *truth, 0.9);
            cov += usize::from(inside);
            if *has_outlier {
                n_out += 1;
                cov_out += usize::from(inside);
            }
            epi.push(epicentral_distance(loc.summary.mean_km, *truth));
        }
        println!(
            "{:<30} {:>10.2} {:>12.2} {:>12.2} {:>10.2} {:>12.3}",
            name,
            cov as f64 / a.n as f64,
            cov_out as f64 / n_out.max(1) as f64,
            median(&epi),
            quantile(&epi, 0.9),
            cpu / a.n as f64
        );
    }
    nlloc_row(&a, model, region, &events)?;
    println!(
        "command: cargo run --release --example edt_network -- --n {} --seed {} --sampler {} --medium {}{}",
        a.n,
        a.seed,
        a.sampler,
        a.medium,
        a.nlloc.as_ref().map_or(String::new(), |d| format!(" --nlloc {} --nll-spacing {}", d.display(), a.nll_spacing))
    );
    Ok(())
}

/// The NLLoc row (module doc), or the reason it is skipped.
fn nlloc_row(
    a: &Args,
    model: &dyn TravelTimeModel,
    region: RegionBox,
    events: &[([f64; 3], bool, Picks)],
) -> anyhow::Result<()> {
    let name = "NLLoc EDT_OT_WT (oct-tree)";
    let Some(dir) = &a.nlloc else {
        println!("{name:<30} skipped: pass --nlloc DIR (NLLoc's directory or NonLinLoc's source) to run it");
        return Ok(());
    };
    let work = tempfile::tempdir()?;
    let program = match nlloc_run::nlloc_program(dir, work.path()) {
        Ok(p) => p,
        Err(why) => {
            println!("{name:<30} skipped: {why}");
            return Ok(());
        }
    };
    let stations: Vec<Station> = STATIONS
        .iter()
        .enumerate()
        .map(|(i, p)| Station { code: format!("S{i}"), position_km: *p })
        .collect();
    let picks: Vec<&Picks> = events.iter().map(|e| &e.2).collect();
    let run = nlloc_run::run_nlloc(&program, work.path(), &stations, model, region, a.nll_spacing, &picks)?;
    let (mut cov, mut cov_out, mut n_out, mut epi, mut located) = (0usize, 0usize, 0usize, Vec::new(), 0usize);
    for ((truth, has_outlier, _), loc) in events.iter().zip(&run.locations) {
        n_out += usize::from(*has_outlier);
        let Some(loc) = loc else { continue };
        located += 1;
        let inside = nlloc_run::in_ellipsoid(loc, *truth, 6.2514);
        cov += usize::from(inside);
        cov_out += usize::from(inside && *has_outlier);
        epi.push(epicentral_distance(loc.expectation_km, *truth));
    }
    let n = events.len() as f64;
    println!(
        "{:<30} {:>10.2} {:>12.2} {:>12.2} {:>10.2} {:>12.3}  ({} of {} located; with writing the grids {:.3} s/event)",
        name,
        cov as f64 / n,
        cov_out as f64 / n_out.max(1) as f64,
        median(&epi),
        quantile(&epi, 0.9),
        run.nlloc_cpu_s / n,
        located,
        events.len(),
        (run.nlloc_cpu_s + run.grid_cpu_s) / n
    );
    Ok(())
}
