//! A served zone: apex, SOA parameters with a live serial, NS and static
//! records compiled from the configuration.

use std::{
    collections::BTreeMap,
    sync::atomic::{AtomicU32, Ordering},
};

use sha2::{Digest, Sha256};

use crate::{
    config::ZoneConfig,
    names::{self, key_of},
    records::{self, Rrset, TYPE_NS, TYPE_SOA},
};

#[derive(Debug, thiserror::Error)]
pub enum ZoneError {
    #[error("zone `{zone}`: {reason}")]
    Invalid { zone: String, reason: String },
}

/// TTL and RDATA values of one RRset while the configuration is compiled.
type RdataSet = (u32, Vec<Vec<u8>>);

/// Static records of a zone, grouped by owner key and sorted by type.
pub type StaticNodes = BTreeMap<Vec<u8>, Vec<Rrset>>;

#[derive(Debug)]
pub struct Zone {
    /// Apex in presentation form, lowercase, no trailing dot.
    pub name: String,
    /// Apex wire key.
    pub apex: Box<[u8]>,
    /// TTL of host records that do not set their own.
    pub host_ttl: u32,
    soa_ttl: u32,
    /// MNAME and RNAME, uncompressed.
    soa_names: Box<[u8]>,
    /// REFRESH, RETRY, EXPIRE, MINIMUM (the part after SERIAL).
    soa_timers: [u8; 16],
    negative_ttl: u32,
    serial: AtomicU32,
    /// The serial again, for those who wait for it to change (NOTIFY).
    serial_changes: tokio::sync::watch::Sender<u32>,
}

impl Zone {
    /// Compiles a zone and its static records (including the apex NS set).
    pub fn from_config(cfg: &ZoneConfig) -> Result<(Self, StaticNodes), ZoneError> {
        let invalid = |reason: String| ZoneError::Invalid {
            zone: cfg.name.clone(),
            reason,
        };
        let name = cfg.name.trim_end_matches('.').to_ascii_lowercase();
        names::check_domain(&name).map_err(|e| invalid(e.to_string()))?;
        let apex = key_of(&name);
        let mname = cfg
            .ns
            .first()
            .ok_or_else(|| invalid("needs at least one ns".into()))?;
        for ns in &cfg.ns {
            names::check_domain(ns).map_err(|e| invalid(format!("ns `{ns}`: {e}")))?;
        }
        names::check_domain(&cfg.hostmaster).map_err(|e| invalid(format!("hostmaster: {e}")))?;

        let mut soa_names = records::name_wire(&mname.to_ascii_lowercase());
        soa_names.extend(records::name_wire(&cfg.hostmaster.to_ascii_lowercase()));
        let mut soa_timers = [0u8; 16];
        for (slot, value) in soa_timers.chunks_exact_mut(4).zip([
            cfg.refresh,
            cfg.retry,
            cfg.expire,
            cfg.negative_ttl,
        ]) {
            slot.copy_from_slice(&value.to_be_bytes());
        }

        let mut nodes: BTreeMap<Vec<u8>, BTreeMap<u16, RdataSet>> = BTreeMap::new();
        let ns_rdatas = cfg
            .ns
            .iter()
            .map(|ns| records::name_wire(&ns.to_ascii_lowercase()))
            .collect();
        nodes
            .entry(apex.clone())
            .or_default()
            .insert(TYPE_NS, (cfg.ttl, ns_rdatas));
        for record in &cfg.records {
            let owner = match record.name.trim_end_matches('.') {
                "@" | "" => name.clone(),
                relative => format!("{relative}.{name}"),
            };
            names::check_domain(&owner)
                .map_err(|e| invalid(format!("record `{}`: {e}", record.name)))?;
            let (rtype, rdata) = records::rdata_from_text(&record.rtype, &record.value)
                .map_err(|e| invalid(e.to_string()))?;
            if rtype == TYPE_NS && owner != name {
                return Err(invalid(
                    "delegations (NS below the apex) are not supported".into(),
                ));
            }
            let ttl = record.ttl.unwrap_or(cfg.ttl);
            let set = nodes
                .entry(key_of(&owner))
                .or_default()
                .entry(rtype)
                .or_insert((ttl, Vec::new()));
            // One TTL per RRset (RFC 2181 §5.2): the lowest wins.
            set.0 = set.0.min(ttl);
            if !set.1.contains(&rdata) {
                set.1.push(rdata);
            }
        }
        let nodes = nodes
            .into_iter()
            .map(|(key, sets)| {
                let rrsets = sets
                    .into_iter()
                    .map(|(rtype, (ttl, rdatas))| {
                        Rrset::new(rtype, ttl, rdatas.iter().map(Vec::as_slice))
                    })
                    .collect();
                (key, rrsets)
            })
            .collect();

        let zone = Self {
            name,
            apex: apex.into_boxed_slice(),
            host_ttl: cfg.host_ttl,
            soa_ttl: cfg.ttl,
            soa_names: soa_names.into_boxed_slice(),
            soa_timers,
            negative_ttl: cfg.negative_ttl.min(cfg.ttl),
            serial: AtomicU32::new(1),
            serial_changes: tokio::sync::watch::Sender::new(1),
        };
        Ok((zone, nodes))
    }

    pub fn serial(&self) -> u32 {
        self.serial.load(Ordering::Acquire)
    }

    pub fn set_serial(&self, serial: u32) {
        self.serial.store(serial, Ordering::Release);
        self.serial_changes.send_replace(serial);
    }

    /// Sees every new serial (the latest one when several come at once).
    pub fn watch_serial(&self) -> tokio::sync::watch::Receiver<u32> {
        self.serial_changes.subscribe()
    }

    /// TTL of the SOA in negative answers (RFC 2308 §5: min of SOA TTL and MINIMUM).
    pub fn negative_ttl(&self) -> u32 {
        self.negative_ttl
    }

    pub fn soa_ttl(&self) -> u32 {
        self.soa_ttl
    }

    /// SOA RDATA with the current serial.
    pub fn soa_rdata(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.soa_names.len() + 20);
        self.write_soa_rdata(&mut out, self.serial());
        out
    }

    fn write_soa_rdata(&self, out: &mut Vec<u8>, serial: u32) {
        out.extend_from_slice(&self.soa_names);
        out.extend_from_slice(&serial.to_be_bytes());
        out.extend_from_slice(&self.soa_timers);
    }

    /// Appends the SOA RR with the given owner (a compression pointer) and TTL.
    pub fn write_soa_rr(&self, out: &mut Vec<u8>, owner: [u8; 2], ttl: u32) {
        out.extend_from_slice(&owner);
        self.write_soa_record(out, ttl, self.serial());
    }

    /// The SOA RR after its owner, with `serial` (zone transfers write the
    /// serials of earlier versions too).
    pub fn write_soa_record(&self, out: &mut Vec<u8>, ttl: u32, serial: u32) {
        out.extend_from_slice(&TYPE_SOA.to_be_bytes());
        out.extend_from_slice(&records::CLASS_IN.to_be_bytes());
        out.extend_from_slice(&ttl.to_be_bytes());
        let rdlen = (self.soa_names.len() + 20) as u16;
        out.extend_from_slice(&rdlen.to_be_bytes());
        self.write_soa_rdata(out, serial);
    }

    /// A fingerprint of everything in the zone that comes from the configuration,
    /// so a restart with changed static data bumps the serial.
    pub fn fingerprint(&self, nodes: &StaticNodes) -> [u8; 32] {
        let mut hash = Sha256::new();
        hash.update(&self.apex);
        hash.update(&self.soa_names);
        hash.update(self.soa_timers);
        hash.update(self.soa_ttl.to_be_bytes());
        for (key, sets) in nodes {
            hash.update(key);
            for set in sets {
                hash.update(set.as_ref().wire());
            }
        }
        hash.finalize().into()
    }
}

/// `dyn.example` with one name server and nothing else: the zone of unit
/// tests elsewhere in the crate.
#[cfg(test)]
pub(crate) fn test_zone() -> (Zone, StaticNodes) {
    let cfg: ZoneConfig = toml::from_str(
        r#"
        name = "dyn.example"
        ns = ["ns1.example."]
        hostmaster = "hostmaster.example"
        "#,
    )
    .expect("test zone config");
    Zone::from_config(&cfg).expect("test zone")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::StaticRecord;

    fn config() -> ZoneConfig {
        ZoneConfig {
            name: "Dyn.Example.".into(),
            ns: vec!["ns1.example.".into(), "ns2.example.".into()],
            hostmaster: "hostmaster.example".into(),
            ttl: 3600,
            refresh: 1,
            retry: 2,
            expire: 3,
            negative_ttl: 60,
            host_ttl: 30,
            records: vec![
                StaticRecord {
                    name: "www".into(),
                    rtype: "A".into(),
                    value: "192.0.2.1".into(),
                    ttl: Some(300),
                },
                StaticRecord {
                    name: "www".into(),
                    rtype: "A".into(),
                    value: "192.0.2.2".into(),
                    ttl: Some(100),
                },
            ],
            secondaries: Vec::new(),
            allow_transfer: Vec::new(),
        }
    }

    #[test]
    fn compiles_apex_ns_and_static_records() {
        let (zone, nodes) = Zone::from_config(&config()).unwrap();
        assert_eq!(zone.name, "dyn.example");
        let apex = &nodes[&zone.apex.to_vec()];
        assert_eq!(apex[0].rtype(), TYPE_NS);
        assert_eq!(apex[0].as_ref().count(), 2);
        let www = &nodes[&key_of("www.dyn.example")];
        assert_eq!(www[0].as_ref().count(), 2);
        assert_eq!(
            www[0].as_ref().ttl(),
            100,
            "an RRset has one TTL, the lowest"
        );
        assert_eq!(zone.negative_ttl(), 60);
    }

    #[test]
    fn soa_rdata_carries_the_live_serial() {
        let (zone, _) = Zone::from_config(&config()).unwrap();
        zone.set_serial(42);
        let rdata = zone.soa_rdata();
        let names_len = records::name_wire("ns1.example").len()
            + records::name_wire("hostmaster.example").len();
        assert_eq!(&rdata[names_len..names_len + 4], &42u32.to_be_bytes());
        assert_eq!(rdata.len(), names_len + 20);
    }

    #[test]
    fn delegations_and_bad_values_are_rejected() {
        let mut cfg = config();
        cfg.records[0].rtype = "NS".into();
        cfg.records[0].value = "ns.elsewhere.".into();
        assert!(Zone::from_config(&cfg).is_err());
        let mut cfg = config();
        cfg.records[0].value = "999.1.1.1".into();
        assert!(Zone::from_config(&cfg).is_err());
    }
}
