//! miniSEED inputs found by `fuzz/` (target `mseed`), fed through the public
//! reader: each must read correctly or be an error naming the file and
//! record, never a panic or a hang.

use eqnemix_models::waveform::{read_mseed_bytes, WaveformError};
use std::sync::mpsc;
use std::time::Duration;

/// A 128-byte v2 record (big-endian header, Blockette 1000 at byte 48, data
/// from byte 64: one 64-byte frame) of `n` samples at 100 Hz.
fn record(encoding: u8, n: u16, data: [u8; 64]) -> Vec<u8> {
    let mut r = Vec::with_capacity(128);
    r.extend_from_slice(b"000001D ");
    r.extend_from_slice(b"FUZZ 00HHZXX");
    r.extend_from_slice(&2020u16.to_be_bytes()); // year
    r.extend_from_slice(&1u16.to_be_bytes()); // day of year
    r.extend_from_slice(&[0, 0, 0, 0]); // h m s, unused
    r.extend_from_slice(&0u16.to_be_bytes()); // 0.0001 s
    r.extend_from_slice(&n.to_be_bytes());
    r.extend_from_slice(&100i16.to_be_bytes()); // rate factor
    r.extend_from_slice(&1i16.to_be_bytes()); // rate multiplier
    r.extend_from_slice(&[0, 0, 0, 1]); // flags, number of blockettes
    r.extend_from_slice(&0i32.to_be_bytes()); // time correction
    r.extend_from_slice(&64u16.to_be_bytes()); // data offset
    r.extend_from_slice(&48u16.to_be_bytes()); // first blockette
    assert_eq!(r.len(), 48);
    r.extend_from_slice(&1000u16.to_be_bytes());
    r.extend_from_slice(&0u16.to_be_bytes()); // next blockette: none
    r.extend_from_slice(&[encoding, 1, 7, 0]); // byte order BE, 2^7 bytes
    r.resize(64, 0);
    r.extend_from_slice(&data);
    r
}

/// One Steim-1 frame: X0, Xn, then each difference as a 32-bit word.
fn steim1_frame(x0: i32, xn: i32, diffs: &[i32]) -> [u8; 64] {
    let mut words = [0u32; 16];
    words[1] = x0 as u32;
    words[2] = xn as u32;
    for (k, &d) in diffs.iter().enumerate() {
        let w = 3 + k;
        words[w] = d as u32;
        words[0] |= 0b11 << (30 - 2 * w); // nibble 11: one 32-bit difference
    }
    let mut out = [0u8; 64];
    for (k, w) in words.iter().enumerate() {
        out[4 * k..4 * k + 4].copy_from_slice(&w.to_be_bytes());
    }
    out
}

/// Steim differences are modulo 2^32: samples 2e9 then -2e9 differ by
/// -4e9, stored as the wrapped i32 294967296. The decoder must wrap the sum
/// back (as libmseed and ObsPy do); it panicked under overflow checks, and
/// the reader then refused the record in dev/test builds only.
#[test]
fn steim1_differences_beyond_the_i32_range_wrap_as_in_libmseed() {
    let (a, b) = (2_000_000_000i32, -2_000_000_000i32);
    let bytes = record(10, 2, steim1_frame(a, b, &[0, b.wrapping_sub(a)]));
    let stream = read_mseed_bytes(&bytes, "wrap.mseed").unwrap();
    assert_eq!(stream.traces.len(), 1);
    assert_eq!(stream.traces[0].data, vec![a as f64, b as f64]);
}

/// A blockette chain that points back to itself after Blockette 1000 made
/// the decoder (walking the chain for Blockette 1001) loop forever.
#[test]
fn blockette_chain_pointing_back_is_an_error_not_a_hang() {
    let mut bytes = record(10, 1, steim1_frame(5, 5, &[0]));
    bytes[50..52].copy_from_slice(&48u16.to_be_bytes()); // B1000's next: itself
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(read_mseed_bytes(&bytes, "loop.mseed").map(|_| ()));
    });
    let result = rx
        .recv_timeout(Duration::from_secs(600)) // a hang, not a slow machine: generous under load
        .expect("the reader must return, not loop");
    match result {
        Err(WaveformError::Corrupt { path, record, offset, message }) => {
            assert_eq!((path.to_str(), record, offset), (Some("loop.mseed"), 0, 0));
            assert!(message.contains("blockette chain loops"), "{message}");
        }
        other => panic!("expected a Corrupt error, got {other:?}"),
    }
}

/// The error a corrupt input must give: `Corrupt` naming the file, record 0
/// at byte 0, with `expected` in its message.
fn assert_corrupt(result: Result<eqnemix_models::waveform::Stream, WaveformError>, name: &str, expected: &str) {
    match result {
        Err(WaveformError::Corrupt { path, record, offset, message }) => {
            assert_eq!((path.to_str(), record, offset), (Some(name), 0, 0));
            assert!(message.contains(expected), "{message}");
        }
        other => panic!("expected a Corrupt error, got {other:?}"),
    }
}

/// A v3 record announcing 2^32 - 1 samples in a 4-byte payload made the
/// decoder reserve room for all of them (16 GB).
#[test]
fn v3_sample_count_beyond_its_payload_is_an_error_not_a_16_gb_allocation() {
    let sid = b"FDSN:XX_FUZZ_00_H_H_Z";
    let mut r = Vec::new();
    r.extend_from_slice(b"MS\x03\x00"); // v3, flags
    r.extend_from_slice(&0u32.to_le_bytes()); // nanoseconds
    r.extend_from_slice(&2020u16.to_le_bytes()); // year
    r.extend_from_slice(&1u16.to_le_bytes()); // day of year
    r.extend_from_slice(&[0, 0, 0, 3]); // h m s, encoding INT32
    r.extend_from_slice(&100f64.to_le_bytes()); // sample rate
    r.extend_from_slice(&u32::MAX.to_le_bytes()); // sample count
    r.extend_from_slice(&0u32.to_le_bytes()); // CRC (unchecked)
    r.push(1); // publication version
    r.push(sid.len() as u8);
    r.extend_from_slice(&0u16.to_le_bytes()); // extra headers
    r.extend_from_slice(&4u32.to_le_bytes()); // payload bytes
    assert_eq!(r.len(), 40);
    r.extend_from_slice(sid);
    r.extend_from_slice(&7i32.to_le_bytes());
    assert_corrupt(read_mseed_bytes(&r, "v3.mseed"), "v3.mseed", "cannot fit in a data payload");
}

/// A multi-byte UTF-8 character in the v2 channel code made the decoder
/// panic (it splits the code at byte positions); codes are ASCII in SEED.
#[test]
fn non_ascii_channel_code_is_an_error_not_a_panic() {
    let mut bytes = record(10, 1, steim1_frame(5, 5, &[0]));
    bytes[15..17].copy_from_slice("ߛ".as_bytes()); // 0xdf 0x9b
    assert_corrupt(read_mseed_bytes(&bytes, "utf8.mseed"), "utf8.mseed", "not ASCII");
}
