//! QuakeML 1.2 (BED) events: one `event` per located event with one
//! `origin`: time, latitude/longitude (deg), depth (m, QuakeML's unit),
//! each with its standard deviation; an `originUncertainty` with the 68%
//! epicentral ellipse (m) and the 68% confidence ellipsoid (m, deg); and
//! the RMS residual and phase counts in `quality`. The posterior
//! probabilities of the clusters go in a comment.
//!
//! The XML is built by hand (the structure is small and fixed); every text
//! and attribute value coming from data goes through `quick_xml::escape`.
//! The origin is the posterior mean; the MAP is given in a comment.

use super::{origin_parts, write_text, OutputError, KM_PER_DEG_LAT};
use crate::summary::LocationSummary;
use quick_xml::escape::escape;
use std::fmt::Write as _;
use std::path::Path;

/// Options of the QuakeML writer.
#[derive(Debug, Clone, PartialEq)]
pub struct QuakeMlOptions {
    /// Authority part of the resource identifiers (`smi:<authority>/...`).
    pub authority: String,
    /// Agency id in `creationInfo`.
    pub agency_id: String,
}

impl Default for QuakeMlOptions {
    fn default() -> Self {
        QuakeMlOptions {
            authority: "local/eqnemix".into(),
            agency_id: "eqnemix".into(),
        }
    }
}

fn event_xml(
    o: &mut String,
    s: &LocationSummary,
    opts: &QuakeMlOptions,
) -> Result<(), OutputError> {
    if let Some(c) = s.event_id.chars().find(|&c| !is_xml_char(c)) {
        return Err(OutputError::Serialise {
            event: s.event_id.escape_debug().to_string(),
            what: format!("QuakeML: the event id holds U+{:04X}, which XML 1.0 cannot represent", c as u32),
        });
    }
    let parts = origin_parts(s, "QuakeML")?;
    let (ot, geo, ell, el2) = (parts.ot, parts.geo, &parts.ellipsoid, &parts.ellipse);
    let auth = escape(opts.authority.as_str());
    let id = escape(s.event_id.as_str());
    let lat_unc = s.std_km[1] / KM_PER_DEG_LAT;
    let lon_unc = s.std_km[0] / (KM_PER_DEG_LAT * geo.mean_lat_deg.to_radians().cos().max(1e-6));
    let cp = s
        .cluster_probabilities
        .iter()
        .enumerate()
        .map(|(k, p)| format!("{k}:{p:.6}"))
        .collect::<Vec<_>>()
        .join(" ");
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let _ = write!(
        o,
        r#"    <event publicID="smi:{auth}/event/{id}">
      <preferredOriginID>smi:{auth}/origin/{id}</preferredOriginID>
      <type>earthquake</type>
      <origin publicID="smi:{auth}/origin/{id}">
        <time>
          <value>{time}</value>
          <uncertainty>{tu}</uncertainty>
        </time>
        <latitude>
          <value>{lat}</value>
          <uncertainty>{lat_unc}</uncertainty>
        </latitude>
        <longitude>
          <value>{lon}</value>
          <uncertainty>{lon_unc}</uncertainty>
        </longitude>
        <depth>
          <value>{depth_m}</value>
          <uncertainty>{depth_unc_m}</uncertainty>
        </depth>
        <depthType>from location</depthType>
        <methodID>smi:{auth}/method/bayesian-cluster-mixture</methodID>
        <quality>
          <associatedPhaseCount>{nph}</associatedPhaseCount>
          <usedPhaseCount>{nph}</usedPhaseCount>
"#,
        time = ot.utc.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        tu = ot.sigma_s,
        lat = geo.mean_lat_deg,
        lon = geo.mean_lon_deg,
        depth_m = s.mean_km[2] * 1000.0,
        depth_unc_m = s.std_km[2] * 1000.0,
        nph = s.n_arrivals,
    );
    if let Some(rms) = s.rms_residual_s {
        let _ = writeln!(o, "          <standardError>{rms}</standardError>");
    }
    let _ = write!(
        o,
        r#"        </quality>
        <originUncertainty>
          <horizontalUncertainty>{hmaj}</horizontalUncertainty>
          <minHorizontalUncertainty>{hmin}</minHorizontalUncertainty>
          <maxHorizontalUncertainty>{hmaj}</maxHorizontalUncertainty>
          <azimuthMaxHorizontalUncertainty>{haz}</azimuthMaxHorizontalUncertainty>
          <confidenceEllipsoid>
            <semiMajorAxisLength>{a}</semiMajorAxisLength>
            <semiMinorAxisLength>{c}</semiMinorAxisLength>
            <semiIntermediateAxisLength>{b}</semiIntermediateAxisLength>
            <majorAxisPlunge>{pl}</majorAxisPlunge>
            <majorAxisAzimuth>{az}</majorAxisAzimuth>
            <majorAxisRotation>{ro}</majorAxisRotation>
          </confidenceEllipsoid>
          <preferredDescription>confidence ellipsoid</preferredDescription>
          <confidenceLevel>68</confidenceLevel>
        </originUncertainty>
        <evaluationMode>automatic</evaluationMode>
        <comment>
          <text>{comment}</text>
        </comment>
        <creationInfo>
          <agencyID>{agency}</agencyID>
          <creationTime>{now}</creationTime>
        </creationInfo>
      </origin>
    </event>
"#,
        hmaj = el2.semi_major_km * 1000.0,
        hmin = el2.semi_minor_km * 1000.0,
        haz = el2.azimuth_deg,
        a = ell.axes[0].length_km * 1000.0,
        b = ell.axes[1].length_km * 1000.0,
        c = ell.axes[2].length_km * 1000.0,
        pl = ell.axes[0].plunge_deg,
        az = ell.axes[0].azimuth_deg,
        ro = ell.major_rotation_deg,
        comment = escape(
            format!(
                "origin = posterior mean; MAP lat {:.6} lon {:.6} depth {:.3} km; cluster probabilities {cp}; background {:.6}",
                geo.map_lat_deg, geo.map_lon_deg, s.map_km[2], s.background_probability
            )
            .as_str()
        ),
        agency = escape(opts.agency_id.as_str()),
    );
    Ok(())
}

/// Whether XML 1.0 allows `c` in a document (its `Char` production):
/// tab, newline, carriage return and everything from U+0020 except the
/// surrogates (which a `char` cannot be) and U+FFFE, U+FFFF.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
}

/// A QuakeML 1.2 document holding `events`.
pub fn to_quakeml_string(
    events: &[LocationSummary],
    opts: &QuakeMlOptions,
) -> Result<String, OutputError> {
    let mut o = String::new();
    o.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    o.push_str(
        "<q:quakeml xmlns:q=\"http://quakeml.org/xmlns/quakeml/1.2\" xmlns=\"http://quakeml.org/xmlns/bed/1.2\">\n",
    );
    let _ = writeln!(
        o,
        "  <eventParameters publicID=\"smi:{}/catalog\">",
        escape(opts.authority.as_str())
    );
    for s in events {
        event_xml(&mut o, s, opts)?;
    }
    o.push_str("  </eventParameters>\n</q:quakeml>\n");
    Ok(o)
}

/// Write `events` as one QuakeML document to `path` (atomically).
pub fn write_quakeml(
    path: &Path,
    events: &[LocationSummary],
    opts: &QuakeMlOptions,
) -> Result<(), OutputError> {
    write_text(path, &to_quakeml_string(events, opts)?)
}
