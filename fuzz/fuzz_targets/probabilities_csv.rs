//! ConvNetQuake cluster-probabilities CSV reader (`start_time,end_time,clusters_prob,noise_prob`).
#![no_main]
use eqnemix::locate::inputs::cluster_probabilities_from_str;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(p) = cluster_probabilities_from_str(text, Path::new("fuzz.csv")) {
        if let Some(w) = p.windows.first() {
            let _ = p.window_at(w.start);
        }
    }
});
