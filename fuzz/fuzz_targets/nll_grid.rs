//! NonLinLoc grid reader: the input is the `.hdr` text, a NUL byte, then the
//! `.buf` bytes. A grid that reads is also turned into velocities and, for a
//! TIME grid, into a travel-time field evaluated at its source, as
//! `eqnemix locate` does with `kind = "nll_grids"`.
#![no_main]
use eqnemix::traveltime::nll::nll_grid_from_bytes;
use eqnemix::traveltime::{TimeGrid, TravelTimeField};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let Ok(hdr) = std::str::from_utf8(&data[..split]) else {
        return;
    };
    let buf = data.get(split + 1..).unwrap_or(&[]);
    let Ok(grid) = nll_grid_from_bytes(hdr, Path::new("fuzz.hdr"), buf, Path::new("fuzz.buf")) else {
        return;
    };
    let _ = grid.to_velocity_km_s();
    if let Some(src) = grid.header.source.as_ref() {
        if let Ok(tg) = TimeGrid::from_times(&grid.values(), src.position_km, 5.0) {
            let _ = tg.time_and_gradient(src.position_km);
            let g = grid.geometry();
            let _ = tg.time_and_gradient(g.origin_km);
        }
    }
});
