//! Where a URL a merchant gives us may lead. A `notify_url` is called by the server itself,
//! from inside the operator's network; pointed at loopback, a private range or a cloud's
//! metadata service, it would make unipay a probe of that network. Such addresses are refused
//! unless the operator allows them (a demo or a test on one machine).

use crate::http_url::HttpUrl;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The URL leads, or may lead, somewhere only the operator's own network should reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must not lead to a loopback, private, link-local or otherwise internal address")]
pub struct InternalDestination;

/// Whether `address` is one anyone on the internet could be: not loopback, private,
/// link-local, shared (CGNAT), multicast, documentation or reserved, and not one of those
/// written in an IPv6 form (IPv4-mapped, IPv4-compatible, NAT64, 6to4).
pub fn is_public(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(address: Ipv4Addr) -> bool {
    let [a, b, c, _] = address.octets();
    let internal = a == 0 // "this network"
        || a == 10
        || a == 127
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT), Alibaba's metadata
        || (a == 169 && b == 254) // link-local, most clouds' metadata
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments, Oracle's metadata
        || (a == 192 && b == 0 && c == 2) // documentation
        || (a == 192 && b == 88 && c == 99) // 6to4 relay
        || (a == 192 && b == 168)
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || (a == 198 && b == 51 && c == 100) // documentation
        || (a == 203 && b == 0 && c == 113) // documentation
        || a >= 224; // multicast, reserved, broadcast
    !internal
}

fn is_public_v6(address: Ipv6Addr) -> bool {
    let segments = address.segments();
    if let Some(v4) = embedded_v4(address) {
        return is_public_v4(v4);
    }
    let internal = address.is_unspecified()
        || address.is_loopback()
        || (segments[0] & 0xfe00) == 0xfc00 // unique local, incl. AWS's metadata fd00:ec2::254
        || (segments[0] & 0xffc0) == 0xfe80 // link-local
        || (segments[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (segments[0] & 0xff00) == 0xff00 // multicast
        || (segments[0] == 0x2001 && segments[1] == 0x0db8) // documentation
        || (segments[0] == 0x2001 && segments[1] == 0) // Teredo: tunnels to anywhere
        || (segments[0] == 0x0100 && segments[1..4] == [0, 0, 0]); // discard
    !internal
}

/// The IPv4 address an IPv6 address stands for, in the forms that reach one.
fn embedded_v4(address: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = address.segments();
    let last_two = |high: u16, low: u16| {
        let [a, b] = high.to_be_bytes();
        let [c, d] = low.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    match s {
        // IPv4-mapped ::ffff:a.b.c.d
        [0, 0, 0, 0, 0, 0xffff, high, low] => Some(last_two(high, low)),
        // IPv4-compatible ::a.b.c.d (deprecated), but not :: and ::1
        [0, 0, 0, 0, 0, 0, high, low] if high != 0 => Some(last_two(high, low)),
        // NAT64 64:ff9b::a.b.c.d
        [0x0064, 0xff9b, 0, 0, 0, 0, high, low] => Some(last_two(high, low)),
        // 6to4 2002:a.b.c.d::/48
        [0x2002, high, low, ..] => Some(last_two(high, low)),
        _ => None,
    }
}

/// Checks what can be known of `url` without asking DNS: a literal address must be public,
/// and `localhost` names loopback. A name is checked again, address by address, when it is
/// called (`unipay-server`'s resolver), since it may resolve differently by then.
pub fn check_url(url: &HttpUrl) -> Result<(), InternalDestination> {
    let parsed = url::Url::parse(url.as_str()).map_err(|_| InternalDestination)?;
    match parsed.host() {
        Some(url::Host::Ipv4(v4)) if is_public_v4(v4) => Ok(()),
        Some(url::Host::Ipv6(v6)) if is_public_v6(v6) => Ok(()),
        Some(url::Host::Domain(name)) if !is_local_name(name) => Ok(()),
        _ => Err(InternalDestination),
    }
}

/// Whether `url` leads to this machine: a loopback address, or `localhost`.
pub fn is_loopback(url: &HttpUrl) -> bool {
    match url::Url::parse(url.as_str())
        .ok()
        .as_ref()
        .and_then(url::Url::host)
    {
        Some(url::Host::Ipv4(v4)) => v4.is_loopback(),
        Some(url::Host::Ipv6(v6)) => {
            v6.is_loopback() || embedded_v4(v6).is_some_and(|v4| v4.is_loopback())
        }
        Some(url::Host::Domain(name)) => is_local_name(name),
        None => false,
    }
}

/// Names that resolve to the machine itself wherever they are asked.
fn is_local_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

#[cfg(test)]
mod tests;
