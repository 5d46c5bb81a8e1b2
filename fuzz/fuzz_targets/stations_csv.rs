//! Station table reader (`stations.csv`: lon/lat/elevation or local km).
#![no_main]
use eqnemix::geo::LocalProjection;
use eqnemix::locate::inputs::stations_from_str;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let projection = LocalProjection::new(-117.6, 35.7).expect("valid origin");
    let _ = stations_from_str(text, Path::new("fuzz.csv"), &projection);
});
