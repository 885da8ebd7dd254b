//! The interfaces of the namespace the calling thread is in (netlink, through getifaddrs).
//!
//! Not `pnet_datalink::interfaces()`, though it reads the same getifaddrs list (name, index,
//! flags, addresses with prefix lengths, MAC) in the calling thread's namespace: it returns an
//! empty list when getifaddrs fails, so "cannot list interfaces" and its cause would be lost,
//! and it builds names with `from_utf8_unchecked`, while a container (root in its own
//! namespace) can name an interface with bytes that are not UTF-8.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::IpAddr;

use anyhow::{Context, Result};
use nix::ifaddrs::getifaddrs;
use nix::net::if_::InterfaceFlags;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfInfo {
    pub index: u32,
    pub name: String,
    pub flags: InterfaceFlags,
    pub mac: Option<[u8; 6]>,
    /// Addresses with prefix length.
    pub addrs: Vec<(IpAddr, u8)>,
}

impl IfInfo {
    pub fn up(&self) -> bool {
        self.flags.contains(InterfaceFlags::IFF_UP)
    }

    pub fn loopback(&self) -> bool {
        self.flags.contains(InterfaceFlags::IFF_LOOPBACK)
    }

    /// One `-D` line, tcpdump style plus addresses: `2.eth0 [Up, Running] 10.0.0.2/24`.
    pub fn line(&self) -> String {
        // Names come from another namespace: escaped, as everything printed from outside.
        let mut s = format!(
            "{}.{}",
            self.index,
            crate::escape::name(self.name.as_bytes())
        );
        let mut states = Vec::new();
        if self.up() {
            states.push("Up");
        }
        if self.flags.contains(InterfaceFlags::IFF_RUNNING) {
            states.push("Running");
        }
        if self.loopback() {
            states.push("Loopback");
        }
        if states.is_empty() {
            states.push("Down");
        }
        let _ = write!(s, " [{}]", states.join(", "));
        for (a, p) in &self.addrs {
            let _ = write!(s, " {a}/{p}");
        }
        s
    }
}

fn prefix_len(mask: &nix::sys::socket::SockaddrStorage) -> u8 {
    if let Some(v4) = mask.as_sockaddr_in() {
        return v4.ip().to_bits().count_ones() as u8;
    }
    if let Some(v6) = mask.as_sockaddr_in6() {
        return v6.ip().to_bits().count_ones() as u8;
    }
    0
}

/// Every interface of the calling thread's network namespace, by index.
pub fn list() -> Result<Vec<IfInfo>> {
    let mut by_name: BTreeMap<String, IfInfo> = BTreeMap::new();
    for ifa in getifaddrs().context("cannot list interfaces")? {
        let e = by_name
            .entry(ifa.interface_name.clone())
            .or_insert_with(|| IfInfo {
                index: nix::net::if_::if_nametoindex(ifa.interface_name.as_str()).unwrap_or(0),
                name: ifa.interface_name.clone(),
                flags: ifa.flags,
                mac: None,
                addrs: Vec::new(),
            });
        let Some(addr) = ifa.address else { continue };
        if let Some(link) = addr.as_link_addr() {
            e.mac = link.addr().filter(|m| m.iter().any(|&b| b != 0));
        } else if let Some(v4) = addr.as_sockaddr_in() {
            let p = ifa.netmask.as_ref().map_or(32, prefix_len);
            e.addrs.push((IpAddr::V4(v4.ip()), p));
        } else if let Some(v6) = addr.as_sockaddr_in6() {
            let p = ifa.netmask.as_ref().map_or(128, prefix_len);
            e.addrs.push((IpAddr::V6(v6.ip()), p));
        }
    }
    let mut v: Vec<IfInfo> = by_name.into_values().collect();
    v.sort_by_key(|i| i.index);
    Ok(v)
}

/// The interface tcpdump would pick: the first one that is up and not loopback.
pub fn default_of(ifs: &[IfInfo]) -> Option<&IfInfo> {
    ifs.iter().find(|i| i.up() && !i.loopback())
}

/// `eth0, lo` — for error messages.
pub fn names(ifs: &[IfInfo]) -> String {
    if ifs.is_empty() {
        return "none".into();
    }
    ifs.iter()
        .map(|i| crate::escape::name(i.name.as_bytes()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_loopback_of_this_namespace() {
        let ifs = list().unwrap();
        let lo = ifs.iter().find(|i| i.name == "lo").expect("lo exists");
        assert!(lo.loopback());
        assert_eq!(lo.index, 1);
        assert!(lo.line().starts_with("1.lo ["), "{}", lo.line());
    }

    #[test]
    fn default_skips_loopback_and_down() {
        let mk = |index, name: &str, flags| IfInfo {
            index,
            name: name.into(),
            flags,
            mac: None,
            addrs: vec![],
        };
        let ifs = vec![
            mk(
                1,
                "lo",
                InterfaceFlags::IFF_UP | InterfaceFlags::IFF_LOOPBACK,
            ),
            mk(2, "eth1", InterfaceFlags::empty()),
            mk(3, "eth0", InterfaceFlags::IFF_UP),
        ];
        assert_eq!(default_of(&ifs).unwrap().name, "eth0");
        assert_eq!(names(&ifs), "lo, eth1, eth0");
        assert_eq!(ifs[1].line(), "2.eth1 [Down]");
    }
}
