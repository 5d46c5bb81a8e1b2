//! Writing the generated data set: one miniSEED file per component,
//! `catalog.csv` (the true events with the first station's true picks and
//! back-azimuth), `picks.csv` (true P and S times at every station),
//! `stations.csv` and `generate.toml` (the full configuration used). Every
//! file is written to a temporary name and renamed.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::io::write_atomic;
use crate::models::waveform::{write_mseed_with, Stream, WriteOptions};

use super::{SynthData, SynthError};

/// Time with microseconds, `2019-07-06T03:19:53.123456Z`.
pub fn format_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// miniSEED file name of a trace: `NET.STA.LOC.CHA.mseed`.
pub fn mseed_name(id: &crate::models::waveform::TraceId) -> String {
    format!(
        "{}.{}.{}.{}.mseed",
        id.network, id.station, id.location, id.channel
    )
}

/// Write everything into `dir` (created if needed); returns the files written.
pub fn write_outputs(data: &SynthData, dir: &Path) -> Result<Vec<PathBuf>, SynthError> {
    let out_err = |path: &Path, message: String| SynthError::Output {
        path: path.to_path_buf(),
        message,
    };
    std::fs::create_dir_all(dir).map_err(|e| out_err(dir, e.to_string()))?;
    let mut files = Vec::new();
    let opts = WriteOptions {
        encoding: data.config.encoding,
        record_length: 4096,
    };
    for tr in &data.stream.traces {
        let path = dir.join(mseed_name(&tr.id));
        write_mseed_with(&path, &Stream::new(vec![tr.clone()]), &opts)?;
        files.push(path);
    }
    let cfg = &data.config;
    let first = &cfg.stations[0];

    let path = dir.join("catalog.csv");
    write_atomic(&path, |w| {
        writeln!(w, "# SYNTHETIC catalog written by `eqnemix generate` (seed {}): not real earthquakes.", cfg.seed)?;
        writeln!(w, "# Picks and back-azimuth (degrees from north, station to source) are the truth at station {} ({}, {}).", first.code, first.longitude, first.latitude)?;
        writeln!(w, "# east_km/north_km: local km about {}; depth km positive down; times UTC.", first.code)?;
        writeln!(w, "event_id,time,latitude,longitude,depth,mag,cluster_id,cluster,east_km,north_km,station,p_time,s_time,back_azimuth,p_incidence,epicentral_km")?;
        for e in &data.events {
            let a = &e.arrivals[0];
            writeln!(
                w,
                "{},{},{:.5},{:.5},{:.3},{:.2},{},{},{:.3},{:.3},{},{},{},{:.2},{:.2},{:.3}",
                e.id,
                format_time(e.origin_time),
                e.latitude,
                e.longitude,
                e.position_km[2],
                e.magnitude,
                e.cluster,
                e.cluster_name,
                e.position_km[0],
                e.position_km[1],
                a.station,
                format_time(a.p_time),
                format_time(a.s_time),
                a.back_azimuth_deg,
                a.p_incidence_deg,
                a.epicentral_km
            )?;
        }
        Ok(())
    })
    .map_err(|e| out_err(&path, e.to_string()))?;
    files.push(path);

    let path = dir.join("picks.csv");
    write_atomic(&path, |w| {
        writeln!(w, "event_id,network,station,phase,time,back_azimuth,incidence,epicentral_km,hypocentral_km,peak_counts")?;
        for e in &data.events {
            for a in &e.arrivals {
                for (ph, t, inc, peak) in [("P", a.p_time, a.p_incidence_deg, a.p_peak_counts), ("S", a.s_time, a.s_incidence_deg, a.s_peak_counts)] {
                    writeln!(
                        w,
                        "{},{},{},{},{},{:.2},{:.2},{:.3},{:.3},{:.1}",
                        e.id,
                        cfg.network,
                        a.station,
                        ph,
                        format_time(t),
                        a.back_azimuth_deg,
                        inc,
                        a.epicentral_km,
                        a.hypocentral_km,
                        peak
                    )?;
                }
            }
        }
        Ok(())
    })
    .map_err(|e| out_err(&path, e.to_string()))?;
    files.push(path);

    let path = dir.join("stations.csv");
    write_atomic(&path, |w| {
        writeln!(
            w,
            "network,station,location,channels,latitude,longitude,elevation_m"
        )?;
        for s in &cfg.stations {
            writeln!(
                w,
                "{},{},{},{}Z {}N {}E,{},{},{}",
                cfg.network,
                s.code,
                cfg.location,
                cfg.channel_prefix,
                cfg.channel_prefix,
                cfg.channel_prefix,
                s.latitude,
                s.longitude,
                s.elevation_m
            )?;
        }
        Ok(())
    })
    .map_err(|e| out_err(&path, e.to_string()))?;
    files.push(path);

    let path = dir.join("generate.toml");
    let text = toml::to_string(cfg).map_err(|e| out_err(&path, e.to_string()))?;
    write_atomic(&path, |w| {
        writeln!(w, "# The configuration `eqnemix generate` used for this folder: `eqnemix generate --config generate.toml --out DIR` reproduces it.")?;
        w.write_all(text.as_bytes())
    })
    .map_err(|e| out_err(&path, e.to_string()))?;
    files.push(path);
    Ok(files)
}
