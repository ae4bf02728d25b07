use super::*;

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

#[test]
fn internal_addresses_are_not_public() {
    for text in [
        "0.0.0.0",
        "127.0.0.1",
        "127.255.0.9",
        "10.1.2.3",
        "172.16.0.1",
        "172.31.255.255",
        "192.168.1.1",
        "169.254.169.254", // AWS, GCP, Azure metadata
        "169.254.0.1",
        "100.64.0.1",      // CGNAT
        "100.100.100.200", // Alibaba metadata
        "100.127.255.255",
        "192.0.0.192", // Oracle metadata
        "192.0.2.1",
        "198.18.0.1",
        "224.0.0.1",
        "255.255.255.255",
        "::",
        "::1",
        "fd00:ec2::254", // AWS metadata over IPv6
        "fc00::1",
        "fe80::1",
        "febf::1",
        "ff02::1",
        "::ffff:127.0.0.1", // IPv4-mapped
        "::ffff:169.254.169.254",
        "::ffff:10.0.0.1",
        "::127.0.0.1",    // IPv4-compatible
        "64:ff9b::a00:1", // NAT64 of 10.0.0.1
        "2002:7f00:1::",  // 6to4 of 127.0.0.1
        "2001:db8::1",
        "2001::1",
    ] {
        assert!(!is_public(ip(text)), "{text} passed as public");
    }
}

#[test]
fn internet_addresses_are_public() {
    for text in [
        "1.1.1.1",
        "8.8.8.8",
        "100.63.255.255",
        "100.128.0.1",
        "172.15.0.1",
        "172.32.0.1",
        "169.253.1.1",
        "203.0.114.1",
        "2606:4700:4700::1111",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
        "2002:808:808::",
    ] {
        assert!(is_public(ip(text)), "{text} refused");
    }
}

#[test]
fn loopback_urls_are_told_apart() {
    let loopback = |text: &str| is_loopback(&HttpUrl::parse(text).unwrap());
    assert!(loopback("http://127.0.0.1:8080/trx"));
    assert!(loopback("http://[::1]/trx"));
    assert!(loopback("http://localhost:1/trx"));
    assert!(!loopback("http://10.0.0.1/trx"));
    assert!(!loopback("https://pay.abchina.com/trx"));
}

#[test]
fn urls_are_checked_by_their_host_in_any_spelling() {
    let check = |text: &str| check_url(&HttpUrl::parse(text).unwrap());
    for text in [
        "http://127.0.0.1:8080/notify",
        "http://2130706433/", // 127.0.0.1 as one number
        "http://0x7f.1/",
        "http://017700000001/",
        "http://[::1]/",
        "http://[::ffff:a9fe:a9fe]/latest/meta-data", // 169.254.169.254
        "http://[fd00:ec2::254]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost/",
        "http://LOCALHOST./",
        "http://shop.localhost/",
        "https://10.0.0.5/return",
    ] {
        assert_eq!(check(text), Err(InternalDestination), "{text}");
    }
    for text in [
        "https://shop.example/notify",
        "http://8.8.8.8/",
        "https://[2606:4700:4700::1111]/",
    ] {
        assert_eq!(check(text), Ok(()), "{text}");
    }
}
