//! EQTransformer `X_prediction_results.csv` reader (picks of `eqnemix pick`).
#![no_main]
use eqnemix::geo::LocalProjection;
use eqnemix::locate::inputs::eqtransformer_picks_from_str;
use eqnemix::traveltime::Station;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let projection = LocalProjection::new(-117.6, 35.7).expect("valid origin");
    let stations = [Station { code: "CI.CLC".into(), position_km: [1.0, 2.0, -0.7] }];
    if let Ok(events) = eqtransformer_picks_from_str(text, Path::new("fuzz.csv"), &projection, &stations, 0.1) {
        for e in &events {
            let _ = e.validate();
        }
    }
});
