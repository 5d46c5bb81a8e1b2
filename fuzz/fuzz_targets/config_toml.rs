//! Configuration TOML: what `eqnemix config --check FILE` does (parse,
//! validate, print in full). A configuration that validates must print and
//! read back to the same configuration.
#![no_main]
use eqnemix::config::LocateConfig;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(cfg) = LocateConfig::from_toml_str(text, "fuzz.toml") else {
        return;
    };
    let printed = cfg.to_toml_string().expect("a valid configuration prints");
    if let Err(e) = LocateConfig::from_toml_str(&printed, "printed.toml") {
        panic!("printed configuration does not read back: {e}\n--- input ---\n{text}\n--- printed ---\n{printed}");
    }
});
