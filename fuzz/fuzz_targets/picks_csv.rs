//! Picks CSV reader (`event_id,station,phase,time_utc,sigma_s[,back_azimuth_deg,sigma_back_azimuth_deg]`).
#![no_main]
use eqnemix::picks::read_picks_from;
use eqnemix::traveltime::Station;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let stations = [
        Station { code: "SYN1".into(), position_km: [0.0, 0.0, 0.0] },
        Station { code: "STA".into(), position_km: [10.0, -5.0, -0.5] },
        Station { code: "XX.SYN2".into(), position_km: [-3.0, 4.0, 0.0] },
    ];
    if let Ok(events) = read_picks_from(data, Path::new("fuzz.csv"), &stations) {
        for e in &events {
            let _ = e.validate();
            let _ = e.first_p_utc();
        }
    }
});
