//! Addresses and numbers written into text without the formatting machinery: explained traces
//! write a few dozen of them each, and `Display` through `format!` costs several times more than
//! the digits. Each writes exactly what the type's `Display` writes (a test holds them to it).

use std::net::{IpAddr, Ipv4Addr};

use ipnet::IpNet;

/// Appends `ip` as `Display` writes it (IPv6 through `Display`, rare on a path).
pub fn push_ip(out: &mut String, ip: IpAddr) {
    match ip {
        IpAddr::V4(v4) => push_ipv4(out, v4),
        IpAddr::V6(v6) => {
            use std::fmt::Write;
            let _ = write!(out, "{v6}");
        }
    }
}

/// Appends `ip` as `Display` writes it: four decimal octets.
pub fn push_ipv4(out: &mut String, ip: Ipv4Addr) {
    let mut buf = [0u8; 15];
    let mut n = 0;
    for (i, octet) in ip.octets().into_iter().enumerate() {
        if i > 0 {
            buf[n] = b'.';
            n += 1;
        }
        if octet >= 100 {
            buf[n] = b'0' + octet / 100;
            n += 1;
        }
        if octet >= 10 {
            buf[n] = b'0' + octet / 10 % 10;
            n += 1;
        }
        buf[n] = b'0' + octet % 10;
        n += 1;
    }
    out.push_str(std::str::from_utf8(&buf[..n]).unwrap_or_default());
}

/// Appends `net` as `Display` writes it: `ADDRESS/LENGTH`.
pub fn push_net(out: &mut String, net: &IpNet) {
    push_ip(out, net.addr());
    out.push('/');
    push_u32(out, u32::from(net.prefix_len()));
}

/// Appends `n` in decimal.
pub fn push_u32(out: &mut String, n: u32) {
    let mut digits = [0u8; 10];
    let mut i = digits.len();
    let mut n = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&digits[i..]).unwrap_or_default());
}

/// `ip` as text ([`push_ip`]).
pub fn ip(ip: IpAddr) -> String {
    let mut out = String::with_capacity(15);
    push_ip(&mut out, ip);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_what_display_writes() {
        for a in [
            "0.0.0.0",
            "10.0.1.9",
            "172.16.100.255",
            "255.255.255.255",
            "1.20.100.109",
            "2001:db8::1",
            "::",
        ] {
            let ip: IpAddr = a.parse().unwrap();
            assert_eq!(super::ip(ip), ip.to_string());
        }
        for n in ["10.0.0.0/16", "0.0.0.0/0", "192.0.2.7/32", "2001:db8::/32"] {
            let net: IpNet = n.parse().unwrap();
            let mut out = String::new();
            push_net(&mut out, &net);
            assert_eq!(out, net.to_string());
        }
        for n in [0, 7, 10, 443, 65535, u32::MAX] {
            let mut out = String::new();
            push_u32(&mut out, n);
            assert_eq!(out, n.to_string());
        }
    }
}
