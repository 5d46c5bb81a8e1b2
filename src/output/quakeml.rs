//! QuakeML 1.2 (BED) events: one `event` per located event with one
//! `origin` per posterior mode (see [`crate::summary::modes`]): the
//! preferred origin is the headline location, the highest-density point of
//! the heaviest mode, and each lighter mode listed in the summary adds an
//! origin `<event id>/mode<i>` at its own highest-density point. Each origin
//! has a time (the maximum-likelihood origin time at its point),
//! latitude/longitude (deg), depth (m, QuakeML's unit), each with its
//! standard deviation; an `originUncertainty` with the 68% epicentral
//! ellipse (m) and the 68% confidence ellipsoid (m, deg); and the RMS
//! residual and phase counts in `quality`. Each P and S pick is a `pick`
//! (time, the pick's own σ without the model error, `NET.STA` stream, phase hint) and the preferred origin holds
//! one `arrival` per pick with its residual (s) and weight at the headline
//! location (the `.hyp`'s PHASE lines: origin time the maximum-likelihood
//! one there, as the `.hyp`'s) and, when the stations are given
//! ([`QuakeMlOptions::stations`]), the azimuth (deg) and epicentral
//! distance (deg) of the station; the method is named in `methodID`. The posterior
//! probabilities of the clusters go in a comment.
//!
//! The XML is built by hand (the structure is small and fixed); every text
//! and attribute value coming from data goes through `quick_xml::escape`.
//! Each origin's uncertainties come from its own mode's covariance (a
//! covariance over several modes would describe the space between them);
//! the posterior mean and the mode masses are given in comments.

use super::{origin_parts, write_text, OutputError, KM_PER_DEG_LAT};
use crate::summary::{Ellipse2D, Ellipsoid, LocationSummary};
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
    /// Station positions (km, the summaries' frame) for the arrivals'
    /// `azimuth` and `distance`; arrivals of stations not listed go without.
    pub stations: Vec<eqnemix_traveltime::Station>,
}

impl Default for QuakeMlOptions {
    fn default() -> Self {
        QuakeMlOptions {
            authority: "local/eqnemix".into(),
            agency_id: "eqnemix".into(),
            stations: Vec::new(),
        }
    }
}

/// Resource id of pick `i` of the event `event_id` (escaped).
fn pick_id(auth: &str, event_id: &str, i: usize) -> String {
    format!("smi:{auth}/pick/{}/{i}", escape(event_id))
}

/// `NET.STA` (or `NET.STA.LOC.CHA`) as QuakeML's network and station codes;
/// a code without a dot is a station of an unnamed network.
fn network_station(code: &str) -> (&str, &str) {
    match code.split_once('.') {
        Some((net, rest)) => (net, rest.split('.').next().unwrap_or(rest)),
        None => ("", code),
    }
}

/// The `pick` elements of `s` (one per P or S pick).
fn picks_xml(o: &mut String, s: &LocationSummary, opts: &QuakeMlOptions) {
    let auth = escape(opts.authority.as_str());
    for (i, ph) in s.phases.iter().enumerate() {
        let Some(t) = crate::picks::checked_utc_after(s.reference_time, ph.time_s) else { continue };
        let (net, sta) = network_station(&ph.station);
        let _ = write!(
            o,
            r#"      <pick publicID="{id}">
        <time>
          <value>{time}</value>
          <uncertainty>{sigma}</uncertainty>
        </time>
        <waveformID networkCode="{net}" stationCode="{sta}"/>
        <phaseHint>{phase}</phaseHint>
        <evaluationMode>automatic</evaluationMode>
      </pick>
"#,
            id = pick_id(&auth, &s.event_id, i),
            time = t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            sigma = ph.pick_sigma_s.unwrap_or(ph.sigma_s),
            net = escape(net),
            sta = escape(sta),
            phase = escape(ph.phase.as_str()),
        );
    }
}

/// The `arrival` elements of the preferred origin: each pick's residual
/// (s) and weight at the headline location, and with the station known its
/// azimuth from the epicentre (deg) and epicentral distance (deg).
fn arrivals_xml(o: &mut String, s: &LocationSummary, opts: &QuakeMlOptions) {
    let auth = escape(opts.authority.as_str());
    for (i, ph) in s.phases.iter().enumerate() {
        if crate::picks::checked_utc_after(s.reference_time, ph.time_s).is_none() {
            continue;
        }
        let _ = write!(
            o,
            "        <arrival publicID=\"smi:{auth}/arrival/{}/{i}\">\n          <pickID>{}</pickID>\n          <phase>{}</phase>\n",
            escape(s.event_id.as_str()),
            pick_id(&auth, &s.event_id, i),
            escape(ph.phase.as_str())
        );
        if let Some(st) = opts.stations.iter().find(|st| st.code == ph.station) {
            let (de, dn) = (st.position_km[0] - s.location_km[0], st.position_km[1] - s.location_km[1]);
            let az = de.atan2(dn).to_degrees().rem_euclid(360.0);
            let _ = write!(
                o,
                "          <azimuth>{az}</azimuth>\n          <distance>{}</distance>\n",
                de.hypot(dn) / KM_PER_DEG_LAT
            );
        }
        let _ = write!(
            o,
            "          <timeResidual>{}</timeResidual>\n          <timeWeight>{}</timeWeight>\n        </arrival>\n",
            ph.residual_s, ph.weight
        );
    }
}

/// One `origin` element: what differs between the origins of one event.
struct OriginXml<'a> {
    /// Resource id suffix (`<event id>` or `<event id>/mode<i>`).
    id: String,
    /// Whether this is the preferred origin (it gets the arrivals).
    preferred: bool,
    /// The maximum-likelihood origin time at its point (the posterior
    /// mean origin time when unknown).
    time: Option<chrono::DateTime<chrono::Utc>>,
    lat_deg: f64,
    lon_deg: f64,
    depth_km: f64,
    /// Covariance the uncertainties come from (km²).
    cov_km2: &'a [[f64; 3]; 3],
    comment: String,
}

/// Append one `origin` element (uncertainties from its covariance: the
/// coordinates' sd, the 68% epicentral ellipse and confidence ellipsoid).
fn origin_xml(o: &mut String, s: &LocationSummary, origin: &OriginXml, opts: &QuakeMlOptions, now: &str) -> Result<(), OutputError> {
    let parts = origin_parts(s, "QuakeML")?;
    let ot = parts.ot;
    let not_psd = || OutputError::Missing { event: s.event_id.clone(), format: "QuakeML", what: "a positive semi-definite covariance" };
    let ell = Ellipsoid::from_covariance(origin.cov_km2, 0.68).ok_or_else(not_psd)?;
    let el2 = Ellipse2D::from_covariance(origin.cov_km2, 0.68).ok_or_else(not_psd)?;
    let sd = [0, 1, 2].map(|a| origin.cov_km2[a][a].max(0.0).sqrt());
    let auth = escape(opts.authority.as_str());
    let id = escape(origin.id.as_str());
    let lat_unc = sd[1] / KM_PER_DEG_LAT;
    let lon_unc = sd[0] / (KM_PER_DEG_LAT * origin.lat_deg.to_radians().cos().max(1e-6));
    let _ = write!(
        o,
        r#"      <origin publicID="smi:{auth}/origin/{id}">
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
        <methodID>smi:{auth}/method/eqnemix-bayesian-cluster-mixture-posterior</methodID>
        <quality>
          <associatedPhaseCount>{nph}</associatedPhaseCount>
          <usedPhaseCount>{nph}</usedPhaseCount>
"#,
        time = origin.time.unwrap_or(ot.utc).to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        tu = ot.sigma_s,
        lat = origin.lat_deg,
        lon = origin.lon_deg,
        depth_m = origin.depth_km * 1000.0,
        depth_unc_m = sd[2] * 1000.0,
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
        comment = escape(origin.comment.as_str()),
        agency = escape(opts.agency_id.as_str()),
    );
    if origin.preferred {
        arrivals_xml(o, s, opts);
    }
    o.push_str("      </origin>\n");
    Ok(())
}

fn event_xml(o: &mut String, s: &LocationSummary, opts: &QuakeMlOptions) -> Result<(), OutputError> {
    if let Some(c) = s.event_id.chars().find(|&c| !is_xml_char(c)) {
        return Err(OutputError::Serialise {
            event: s.event_id.escape_debug().to_string(),
            what: format!("QuakeML: the event id holds U+{:04X}, which XML 1.0 cannot represent", c as u32),
        });
    }
    let parts = origin_parts(s, "QuakeML")?;
    let geo = parts.geo;
    let auth = escape(opts.authority.as_str());
    let id = escape(s.event_id.as_str());
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
        "    <event publicID=\"smi:{auth}/event/{id}\">\n      <preferredOriginID>smi:{auth}/origin/{id}</preferredOriginID>\n      <type>earthquake</type>\n"
    );
    let name = |c: Option<usize>| c.map_or("the background".to_string(), |c| format!("cluster {c}"));
    let mode_of = |m: &crate::summary::PosteriorMode| format!("{}, mass {:.4}", name(m.cluster), m.mass);
    let headline = s.modes.first();
    origin_xml(
        o,
        s,
        &OriginXml {
            id: s.event_id.clone(),
            preferred: true,
            time: s.location_origin_time,
            lat_deg: geo.location_lat_deg,
            lon_deg: geo.location_lon_deg,
            depth_km: s.location_km[2],
            cov_km2: headline.map_or(&s.cov_km2, |m| &m.cov_km2),
            comment: format!(
                "origin = highest-density point of the heaviest posterior mode ({}; uncertainties from that mode); {} mode(s); posterior mean lat {:.6} lon {:.6} depth {:.3} km; cluster probabilities {cp}; background {:.6}",
                headline.map_or("one mode".to_string(), mode_of),
                s.modes.len().max(1),
                geo.mean_lat_deg,
                geo.mean_lon_deg,
                s.mean_km[2],
                s.background_probability
            ),
        },
        opts,
        &now,
    )?;
    for (i, m) in s.modes.iter().enumerate().skip(1) {
        let Some([lon, lat]) = m.lon_lat_deg else { continue };
        origin_xml(
            o,
            s,
            &OriginXml {
                id: format!("{}/mode{i}", s.event_id),
                preferred: false,
                time: m.origin_time_utc,
                lat_deg: lat,
                lon_deg: lon,
                depth_km: m.highest_density_km[2],
                cov_km2: &m.cov_km2,
                comment: format!("posterior mode {i} ({}): its highest-density point, uncertainties from the mode", mode_of(m)),
            },
            opts,
            &now,
        )?;
    }
    picks_xml(o, s, opts);
    o.push_str("    </event>\n");
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
