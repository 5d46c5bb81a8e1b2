//! Station identity as seismologists write it: `NET.STA.LOC.CHA` (SEED / FDSN
//! stream identifiers), or any leading part of it, or a bare station code.
//!
//! Every command names a station by a [`StationId`] and finds it in a station
//! table with [`find_station`]: a pick of `XX.SYN1` (what `eqnemix pick` and
//! `classify` write) finds the row `network=XX, station=SYN1, location=00` of
//! `stations.csv` or StationXML, and a bare `SYN1` finds it too. Two
//! identifiers name the same station when their station codes are equal and
//! their network and location codes are equal wherever both give one (the
//! channel names a sensor, not a station, and is ignored). A bare code that
//! fits two rows (`SYN1` with `XX.SYN1` and `YY.SYN1`) is an error naming
//! both, never a silent choice.
//!
//! ```
//! use eqnemix::station_id::StationId;
//! let a = StationId::parse("XX.SYN1.00.HHZ");
//! assert_eq!((a.network.as_deref(), a.station.as_str(), a.location.as_deref()), (Some("XX"), "SYN1", Some("00")));
//! assert!(a.same_station(&StationId::parse("XX.SYN1")));
//! assert!(a.same_station(&StationId::parse("SYN1")));
//! assert!(!a.same_station(&StationId::parse("YY.SYN1")));
//! ```

use eqnemix_traveltime::Station;

/// The parts of a station identifier (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StationId {
    /// Network code (`CI`), if given.
    pub network: Option<String>,
    /// Station code (`CLC`).
    pub station: String,
    /// Location code (`00`; SEED's empty location is `Some("")`, written
    /// `--` by some tools), if given.
    pub location: Option<String>,
    /// Channel code (`HHZ`), if given.
    pub channel: Option<String>,
}

impl StationId {
    /// Splits `code` at dots: one part is a station, two `NET.STA`, three
    /// `NET.STA.LOC`, four `NET.STA.LOC.CHA`. More than four parts keep the
    /// whole text as the station code (no SEED identifier has them).
    pub fn parse(code: &str) -> StationId {
        let parts: Vec<&str> = code.split('.').collect();
        let own = |s: &str| s.to_string();
        let loc = |s: &str| if s == "--" { String::new() } else { s.to_string() };
        match parts.as_slice() {
            [n, s] => StationId { network: Some(own(n)), station: own(s), location: None, channel: None },
            [n, s, l] => StationId { network: Some(own(n)), station: own(s), location: Some(loc(l)), channel: None },
            [n, s, l, c] => StationId { network: Some(own(n)), station: own(s), location: Some(loc(l)), channel: Some(own(c)) },
            _ => StationId { network: None, station: code.to_string(), location: None, channel: None },
        }
    }

    /// The identifier of a station table row: `NET.STA`, with `.LOC` when
    /// the location code is not empty (`network` and `location` may be
    /// empty).
    pub fn from_parts(network: &str, station: &str, location: &str) -> StationId {
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
        StationId { network: opt(network), station: station.to_string(), location: opt(location), channel: None }
    }

    /// The code eqnemix writes for the station: `NET.STA[.LOC]`, or `STA`.
    pub fn code(&self) -> String {
        let mut s = match &self.network {
            Some(n) => format!("{n}.{}", self.station),
            None => self.station.clone(),
        };
        if let (Some(_), Some(l)) = (&self.network, &self.location) {
            if !l.is_empty() {
                s.push('.');
                s.push_str(l);
            }
        }
        s
    }

    /// Whether `self` and `other` name the same station (module docs).
    pub fn same_station(&self, other: &StationId) -> bool {
        fn agree(a: &Option<String>, b: &Option<String>) -> bool {
            match (a, b) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
        }
        self.station == other.station && agree(&self.network, &other.network) && agree(&self.location, &other.location)
    }
}

/// The index of the station of `stations` that `code` names: an exact code
/// match first, else the one row that [`StationId::same_station`] accepts.
/// The error says whether none or several fit (naming them).
pub fn find_station(stations: &[Station], code: &str) -> Result<usize, String> {
    if let Some(i) = stations.iter().position(|s| s.code == code) {
        return Ok(i);
    }
    let id = StationId::parse(code);
    let fits: Vec<usize> = (0..stations.len()).filter(|&i| StationId::parse(&stations[i].code).same_station(&id)).collect();
    match fits.as_slice() {
        [i] => Ok(*i),
        [] => Err(format!("unknown station `{code}`")),
        many => Err(format!(
            "station `{code}` is ambiguous: it fits {} (give NET.STA or NET.STA.LOC)",
            many.iter().map(|&i| format!("`{}`", stations[i].code)).collect::<Vec<_>>().join(" and ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(code: &str) -> Station {
        Station { code: code.into(), position_km: [0.0; 3] }
    }

    #[test]
    fn parses_every_length() {
        assert_eq!(StationId::parse("CLC"), StationId { network: None, station: "CLC".into(), location: None, channel: None });
        assert_eq!(StationId::parse("CI.CLC").code(), "CI.CLC");
        assert_eq!(StationId::parse("CI.CLC.--.HHZ").location.as_deref(), Some(""));
        assert_eq!(StationId::parse("CI.CLC..HHZ").code(), "CI.CLC");
        assert_eq!(StationId::parse("CI.CLC.10.HHZ").code(), "CI.CLC.10");
        assert_eq!(StationId::parse("a.b.c.d.e").station, "a.b.c.d.e");
        assert_eq!(StationId::from_parts("XX", "SYN1", "00").code(), "XX.SYN1.00");
        assert_eq!(StationId::from_parts("", "SYN1", "00").code(), "SYN1");
    }

    #[test]
    fn finds_rows_by_any_part_and_refuses_ambiguity() {
        let table = [st("XX.SYN1.00"), st("YY.SYN2"), st("ZZ.SYN2"), st("BARE")];
        assert_eq!(find_station(&table, "XX.SYN1"), Ok(0));
        assert_eq!(find_station(&table, "SYN1"), Ok(0));
        assert_eq!(find_station(&table, "XX.SYN1.00.HHZ"), Ok(0));
        assert!(find_station(&table, "XX.SYN1.10").unwrap_err().contains("unknown station"));
        assert_eq!(find_station(&table, "YY.SYN2"), Ok(1));
        let err = find_station(&table, "SYN2").unwrap_err();
        assert!(err.contains("ambiguous") && err.contains("YY.SYN2") && err.contains("ZZ.SYN2"), "{err}");
        assert_eq!(find_station(&table, "QQ.BARE"), Ok(3));
        assert!(find_station(&table, "WW.SYN1").is_err());
    }
}
