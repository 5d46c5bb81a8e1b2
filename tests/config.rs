//! The TOML configuration: defaults round trip, the printed example parses
//! into the defaults, validation and syntax errors name the key / line.

use eqnemix::config::{ConfigError, LocateConfig, TravelTimeKind, EXAMPLE_CONFIG};

fn err(text: &str) -> String {
    LocateConfig::from_toml_str(text, "cfg.toml")
        .expect_err("should be rejected")
        .to_string()
}

#[test]
fn defaults_round_trip_through_toml() {
    let d = LocateConfig::default();
    let text = d.to_toml_string().unwrap();
    let back = LocateConfig::from_toml_str(&text, "x.toml").unwrap();
    assert_eq!(back, d);
    // An empty file is the defaults too.
    assert_eq!(LocateConfig::from_toml_str("", "x.toml").unwrap(), d);
    assert_eq!(d.n_chains, 4);
    assert_eq!(d.sampler.kind(), "importance");
}

#[test]
fn example_config_parses_into_the_defaults() {
    let cfg = LocateConfig::from_toml_str(EXAMPLE_CONFIG, "example.toml").unwrap();
    assert_eq!(cfg, LocateConfig::default());
    // Every non-comment line of the example is a key, a table or blank:
    // the example documents each key with a comment above or beside it.
    assert!(EXAMPLE_CONFIG.matches('#').count() > 40);
    // The [sampler] table says where Markov chains start (the pilot of
    // `locate_event`), not prior draws.
    let sampler = EXAMPLE_CONFIG.split("\n[sampler]\n").nth(1).unwrap().split("\n[").next().unwrap();
    assert!(sampler.contains("pilot") && sampler.contains("do not start from prior draws"), "{sampler}");
}

#[test]
fn example_files_in_the_repository_parse() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data/config");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("locate_")) {
            let cfg = LocateConfig::from_file(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            cfg.travel_time.build(&dir).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            n += 1;
        }
    }
    assert!(n >= 2, "expected example configs in {}", dir.display());
}

#[test]
fn sampler_is_swapped_by_its_kind() {
    let c = LocateConfig::from_toml_str(
        "[sampler]\nkind = \"metropolis\"\nn_draws = 300\n",
        "c.toml",
    )
    .unwrap();
    assert_eq!(c.sampler.kind(), "metropolis");
    let c = LocateConfig::from_toml_str("[sampler]\nkind = \"smc\"\nn_particles = 200\n", "c.toml").unwrap();
    assert_eq!(c.sampler.kind(), "smc");
    let c = LocateConfig::from_toml_str(
        "[travel_time]\nkind = \"layered\"\nmodel = \"m.toml\"\n",
        "c.toml",
    )
    .unwrap();
    assert_eq!(c.travel_time.kind, TravelTimeKind::Layered);
}

#[test]
fn validation_errors_name_the_key() {
    let cases = [
        ("[sampler]\nkind = \"nuts\"\nn_draws = 0\n", "sampler.n_draws"),
        ("[sampler]\nkind = \"nuts\"\ntarget_accept = 1.5\n", "sampler.target_accept"),
        ("[sampler]\nkind = \"smc\"\nn_particles = 0\n", "sampler.n_particles"),
        ("n_chains = 0\n", "n_chains"),
        ("[likelihood]\nmodel_error_s = -1.0\n", "likelihood.model_error_s"),
        ("[likelihood]\nabsolute_times = true\n", "likelihood.absolute_times"),
        ("[prior]\ntemperature = 0.0\n", "prior.temperature"),
        ("[prior]\nbackground_weight = 1.0\n", "prior.background_weight"),
        ("[travel_time]\nkind = \"layered\"\n", "travel_time.model"),
        ("[travel_time]\nkind = \"nll_grids\"\n", "travel_time.nll_dir"),
        ("[travel_time]\nvs_km_s = 7.0\n", "travel_time.vs_km_s"),
        ("[region]\ndepth_km = [-1.0, 10.0]\n", "region.depth_km"),
        ("[region]\neast_km = [5.0, 1.0]\n", "region.east_km"),
        ("[region]\norigin_lon_deg = 10.0\n", "region.origin_lat_deg"),
        ("[output]\nlevels = [0.5, 1.5]\n", "output.levels"),
        ("[diagnostics]\nmax_rhat = 0.9\n", "diagnostics.max_rhat"),
    ];
    for (text, key) in cases {
        let e = err(text);
        assert!(e.starts_with(&format!("{key}:")), "{text:?} -> {e}");
    }
}

#[test]
fn unknown_keys_and_syntax_errors_name_file_and_line() {
    let e = LocateConfig::from_toml_str("seed = 1\n\n[likelihood]\ns_minus_q = true\n", "my.toml").unwrap_err();
    assert!(matches!(e, ConfigError::Syntax { line: 4, .. }), "{e}");
    assert!(e.to_string().starts_with("my.toml:4:") && e.to_string().contains("s_minus_q"), "{e}");
    // Inside the sampler table (an internally tagged enum).
    let e = err("[sampler]\nkind = \"nuts\"\nn_draw = 10\n");
    assert!(e.contains("cfg.toml:3") && e.contains("sampler.n_draw"), "{e}");
    let e = err("[sampler]\nkind = \"nuts\"\n[sampler.windows]\ninit_bufer = 3\n");
    assert!(e.contains("sampler.windows.init_bufer") && e.contains(":4"), "{e}");
    // Plain syntax error.
    let e = err("seed = 1\n[output\n");
    assert!(e.starts_with("cfg.toml:2:"), "{e}");
    // Wrong type.
    let e = err("n_chains = \"four\"\n");
    assert!(e.starts_with("cfg.toml:1:"), "{e}");
    // Unknown sampler kind.
    let e = err("[sampler]\nkind = \"gibbs\"\n");
    assert!(e.contains("gibbs"), "{e}");
}

#[test]
fn missing_file_is_named() {
    let e = LocateConfig::from_file("/nonexistent/dir/c.toml").unwrap_err().to_string();
    assert!(e.contains("/nonexistent/dir/c.toml"), "{e}");
}

#[test]
fn edt_residual_parses_round_trips_and_is_documented() {
    use eqnemix::config::ResidualKind;
    use eqnemix::likelihood::EdtPower;
    let text = "[likelihood]\ns_minus_p = false\nabsolute_times = true\nresidual = \"edt\"\nedt_power = \"n\"\n";
    let cfg = LocateConfig::from_toml_str(text, "cfg.toml").unwrap();
    assert_eq!(cfg.likelihood.residual, ResidualKind::Edt);
    assert_eq!(cfg.likelihood.edt_power, EdtPower::N);
    let o = cfg.likelihood.options();
    assert_eq!(o.edt, Some(EdtPower::N));
    assert!(o.absolute_times);
    // Round trip through the printed form (`config --check`).
    let printed = cfg.to_toml_string().unwrap();
    assert!(printed.contains("residual = \"edt\""), "{printed}");
    assert!(printed.contains("edt_power = \"n\""), "{printed}");
    assert_eq!(LocateConfig::from_toml_str(&printed, "x.toml").unwrap(), cfg);
    // The default power is the calibrated one; gaussian leaves EDT off.
    let d = LocateConfig::from_toml_str("[likelihood]\nresidual = \"edt\"\n", "c.toml").unwrap();
    assert_eq!(d.likelihood.options().edt, Some(EdtPower::Calibrated));
    assert_eq!(LocateConfig::default().likelihood.options().edt, None);
    // EDT has no origin time to sample.
    let e = err("[likelihood]\ns_minus_p = false\nabsolute_times = true\nresidual = \"edt\"\norigin_time = \"sample\"\n");
    assert!(e.contains("likelihood.origin_time") && e.contains("edt"), "{e}");
    let e = err("[likelihood]\nedt_power = \"n_plus_one\"\n");
    assert!(e.contains("cfg.toml:2") && e.contains("n_minus_one") && e.contains("calibrated"), "{e}");
    // `config --example` documents it.
    assert!(EXAMPLE_CONFIG.contains("edt_power") && EXAMPLE_CONFIG.contains("| edt"));
}

#[test]
fn uniform_prior_kind_parses_round_trips_and_is_documented() {
    use eqnemix::config::PriorKind;
    let cfg = LocateConfig::from_toml_str("[prior]\nkind = \"uniform\"\n", "cfg.toml").unwrap();
    assert_eq!(cfg.prior.kind, PriorKind::Uniform);
    let printed = cfg.to_toml_string().unwrap();
    assert!(printed.contains("kind = \"uniform\""), "{printed}");
    assert_eq!(LocateConfig::from_toml_str(&printed, "x.toml").unwrap(), cfg);
    assert_eq!(LocateConfig::default().prior.kind, PriorKind::Clusters);
    let e = err("[prior]\nkind = \"flat\"\n");
    assert!(e.contains("cfg.toml:2") && e.contains("uniform"), "{e}");
    let prior = EXAMPLE_CONFIG.split("\n[prior]\n").nth(1).unwrap().split("\n[").next().unwrap();
    assert!(prior.contains("kind = \"clusters\"") && prior.contains("uniform"), "{prior}");
}
