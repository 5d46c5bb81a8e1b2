//! `clusters_gaussian.json` reader (the prior of `eqnemix locate`).
#![no_main]
use eqnemix::clustering::io::clusters_gaussian_from_str;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(file) = clusters_gaussian_from_str(text, "fuzz.json") {
        let _ = file.gaussians();
    }
});
