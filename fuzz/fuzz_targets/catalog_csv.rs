//! Catalog CSV reader (`eqnemix cluster --src`).
#![no_main]
use eqnemix::catalog::Catalog;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(catalog) = Catalog::from_reader(data, "fuzz.csv") {
        let _ = catalog.centroid_lonlat();
    }
});
