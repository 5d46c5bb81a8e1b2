//! `eqnemix info`: what this build offers — the travel-time models, every
//! sampler with its configuration keys and defaults (serialised from the
//! samplers' default configurations, so the list cannot drift from the
//! code), the likelihood terms and the neural networks found.

use crate::config::samplers::{sampler_kinds, sampler_toml};
use crate::config::{LikelihoodConfig, TravelTimeKind};
use clap::Args;
#[cfg(feature = "networks")]
use std::path::Path;

/// Arguments of `eqnemix info` (none).
#[derive(Debug, Args)]
pub struct InfoArgs {}

#[cfg(feature = "networks")]
fn found(p: &Path) -> &'static str {
    if p.is_file() {
        "found"
    } else {
        "not found"
    }
}

impl InfoArgs {
    /// Print the version and the components of this build.
    pub fn run(self) -> anyhow::Result<()> {
        outln!("eqnemix {}", env!("CARGO_PKG_VERSION"));
        outln!("");
        outln!("travel-time models ([travel_time] kind):");
        let models = [
            (TravelTimeKind::Homogeneous, "constant vp_km_s and vs_km_s (the default)"),
            (TravelTimeKind::Layered, "layered 1D model file (model), tabulated"),
            (TravelTimeKind::Eikonal, "3D eikonal solution on a grid (a layered model or vp_grid/vs_grid)"),
            (TravelTimeKind::NllGrids, "precomputed NonLinLoc TIME grids (nll_dir, nll_root)"),
        ];
        for (kind, about) in models {
            let name = toml::Value::try_from(kind).map(|v| v.as_str().unwrap_or("?").to_string()).unwrap_or_default();
            outln!("  {name:<12} {about}");
        }
        outln!("");
        outln!("samplers ([sampler] kind; every key with its default):");
        for k in sampler_kinds() {
            outln!("  {}: {}", k.config.kind(), k.about);
            let table = sampler_toml(&k.config)?;
            for line in table.lines().filter(|l| !l.is_empty()) {
                outln!("      {line}");
            }
        }
        outln!("");
        outln!("likelihoods ([likelihood]; defaults below):");
        outln!("  s_minus_p       S-P time of every station with both picks (single station; on by default)");
        outln!("  absolute_times  absolute P and S times (networks); origin_time = \"marginalise\" | \"sample\"");
        outln!("  back_azimuth    von Mises term where the picks carry a back-azimuth");
        outln!("  residual        \"gaussian\" | \"student_t\" (student_t_nu degrees of freedom)");
        let defaults = toml::to_string(&LikelihoodConfig::default())?;
        for line in defaults.lines().filter(|l| !l.is_empty()) {
            outln!("      {line}");
        }
        outln!("");
        #[cfg(not(feature = "networks"))]
        outln!("networks: not in this build (rebuild with the default cargo feature `networks`)");
        #[cfg(feature = "networks")]
        {
            outln!("networks (ONNX, run through ONNX Runtime):");
            let nets = [
                ("EQTransformer (picker)", eqnemix_models::eqtransformer::EqTransformer::bundled_model_path()),
                ("EQTransformer, MC dropout", eqnemix_models::eqtransformer::EqTransformer::bundled_mc_model_path()),
                ("ConvNetQuake (classifier)", eqnemix_models::convnetquake::ConvNetQuake::bundled_model_path()),
                ("ONNX Runtime library", eqnemix_models::runtime::library_path()),
            ];
            for (name, path) in nets {
                outln!("  {name:<26} {} ({})", path.display(), found(&path));
            }
        }
        outln!("");
        match crate::pipeline::sample::sample_root() {
            Ok(src) => outln!("sample data (`eqnemix run` without a configuration): {src}"),
            Err(e) => outln!("sample data (`eqnemix run` without a configuration): cannot be placed: {e}"),
        }
        outln!("  (looked for in $EQNEMIX_DATA_DIR, then eqnemix-data/ next to the executable, else extracted into the cache folder)");
        Ok(())
    }
}
