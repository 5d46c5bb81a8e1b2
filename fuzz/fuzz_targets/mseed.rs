//! miniSEED reader: any bytes give a stream or an error, never a panic.
#![no_main]
use eqnemix::models::waveform::mseed::read_mseed_bytes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(stream) = read_mseed_bytes(data, "fuzz.mseed") {
        // What `eqnemix pick` looks at next: ids, times, lengths of the traces.
        for t in &stream.traces {
            let _ = (t.id.to_string(), t.time_of(t.len()), t.len());
        }
    }
});
