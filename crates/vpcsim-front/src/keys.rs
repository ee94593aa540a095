//! Test credentials for the topology's principals.
//!
//! Every principal gets an access key pair derived from its account and name, so that the same
//! topology gives the same keys on every machine and run (`vpcsim exec` hands them to the command
//! it runs, and a test can write them down). They are **test keys**: they open nothing but this
//! front, and they never look like a key AWS issued to anyone (the secret says `vpcsimtest`).

use std::collections::HashMap;

use vpcsim_topology::Topology;
use vpcsim_topology::model::PrincipalId;

/// An access key pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPair {
    /// `AKIA` and 16 characters of `A–Z2–7`, as an AWS access key id is written.
    pub access_key_id: String,
    /// 40 characters.
    pub secret_access_key: String,
}

/// FNV-1a, 64 bits: stable across Rust versions and platforms (unlike `std`'s hasher).
fn fnv(parts: &[&str], salt: u64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ salt;
    for p in parts {
        for &b in p.as_bytes().iter().chain(std::iter::once(&0u8)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// The keys of `principal` (account id and name).
pub fn derive(account: &str, name: &str) -> KeyPair {
    let parts = [account, name];
    let mut id = String::from("AKIA");
    let (a, b) = (fnv(&parts, 1), fnv(&parts, 2));
    for i in 0..16 {
        let v = if i < 8 {
            a >> (i * 5)
        } else {
            b >> ((i - 8) * 5)
        };
        id.push(BASE32[(v & 31) as usize] as char);
    }
    let mut secret = String::from("vpcsimtest");
    for salt in 3..7 {
        let v = fnv(&parts, salt);
        for i in 0..8 {
            let c = ((v >> (i * 8)) & 0x3f) as usize;
            let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
            secret.push(alphabet[c] as char);
        }
    }
    secret.truncate(40);
    KeyPair {
        access_key_id: id,
        secret_access_key: secret,
    }
}

/// The keys of one principal of a topology: its `access_key:`, else derived ones.
pub fn of(topo: &Topology, principal: PrincipalId) -> KeyPair {
    let p = &topo.principals[principal.index()];
    if let Some((id, secret)) = &p.access_key {
        return KeyPair {
            access_key_id: id.clone(),
            secret_access_key: secret.clone(),
        };
    }
    let account = topo
        .accounts
        .get(p.account.index())
        .map_or("", |a| a.id.as_str());
    derive(account, &p.name)
}

/// Every principal's keys, by access key id.
#[derive(Clone, Debug, Default)]
pub struct Keys {
    by_id: HashMap<String, (PrincipalId, String)>,
}

impl Keys {
    /// The keys of every principal of `topo`.
    pub fn new(topo: &Topology) -> Keys {
        let mut by_id = HashMap::new();
        for i in 0..topo.principals.len() {
            let id = PrincipalId(i as u32);
            let k = of(topo, id);
            by_id
                .entry(k.access_key_id)
                .or_insert((id, k.secret_access_key));
        }
        Keys { by_id }
    }

    /// The principal and secret of an access key id.
    pub fn get(&self, access_key_id: &str) -> Option<(PrincipalId, &str)> {
        self.by_id.get(access_key_id).map(|(p, s)| (*p, s.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_stable_and_shaped_like_aws_keys() {
        let k = derive("111122223333", "build");
        // Written down: a change here changes every user's keys.
        assert_eq!(k, derive("111122223333", "build"));
        assert_eq!(k.access_key_id.len(), 20);
        assert!(k.access_key_id.starts_with("AKIA"));
        assert!(k.access_key_id[4..].bytes().all(|b| BASE32.contains(&b)));
        assert_eq!(k.secret_access_key.len(), 40);
        assert!(k.secret_access_key.starts_with("vpcsimtest"));
        assert_ne!(k, derive("111122223333", "app"));
        assert_ne!(k, derive("444455556666", "build"));
    }
}
