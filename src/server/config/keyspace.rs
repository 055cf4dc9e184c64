//! Where the app keeps its tables: the keyspace's name (checked, since DDL cannot bind it) and
//! how it is replicated when the app creates it.

use std::collections::BTreeMap;

/// A keyspace name. It has to be written into DDL (CQL cannot bind identifiers), so only plain
/// identifiers are accepted: letters, digits and underscores, at most 48 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keyspace(String);

impl Keyspace {
    pub fn parse(name: &str) -> Result<Self, String> {
        let valid = (1..=48).contains(&name.len())
            && name.starts_with(|c: char| c.is_ascii_alphabetic())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if valid {
            Ok(Self(name.to_owned()))
        } else {
            Err(format!("'{name}' is not a keyspace name (letters, digits and _, starting with a letter, at most 48)"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How the keyspace is replicated when the app creates it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Replication {
    Simple { factor: u8 },
    NetworkTopology { factors: BTreeMap<String, u8> },
}

impl Replication {
    /// `SimpleStrategy:1`, or `NetworkTopologyStrategy:dc1=3,dc2=2`.
    pub fn parse(value: &str) -> Result<Self, String> {
        let expected = "expected SimpleStrategy:N or NetworkTopologyStrategy:DC=N,DC=N";
        let (strategy, factors) = value
            .split_once(':')
            .ok_or_else(|| format!("'{value}': {expected}"))?;
        let factor = |n: &str| {
            n.trim()
                .parse::<u8>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| format!("'{n}' is not a replication factor (1-255)"))
        };
        match strategy.trim() {
            "SimpleStrategy" => Ok(Replication::Simple {
                factor: factor(factors)?,
            }),
            "NetworkTopologyStrategy" => {
                let mut map = BTreeMap::new();
                for pair in factors.split(',') {
                    let (dc, n) = pair
                        .split_once('=')
                        .ok_or_else(|| format!("'{pair}': {expected}"))?;
                    let dc = dc.trim();
                    let dc_ok = !dc.is_empty()
                        && dc
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                    if !dc_ok {
                        return Err(format!("'{dc}' is not a datacenter name"));
                    }
                    map.insert(dc.to_owned(), factor(n)?);
                }
                Ok(Replication::NetworkTopology { factors: map })
            }
            other => Err(format!("unknown strategy '{other}': {expected}")),
        }
    }

    /// The CQL map literal for `WITH replication = ...`; built only from validated parts.
    pub fn to_cql(&self) -> String {
        match self {
            Replication::Simple { factor } => {
                format!("{{'class': 'SimpleStrategy', 'replication_factor': {factor}}}")
            }
            Replication::NetworkTopology { factors } => {
                let pairs: Vec<String> = factors
                    .iter()
                    .map(|(dc, n)| format!("'{dc}': {n}"))
                    .collect();
                format!(
                    "{{'class': 'NetworkTopologyStrategy', {}}}",
                    pairs.join(", ")
                )
            }
        }
    }
}
