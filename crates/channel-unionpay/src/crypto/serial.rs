//! A certificate's serial number as UnionPay names it: `certId` is the serial in decimal
//! (Java's `BigInteger.toString()`), and serials run to 20 bytes, beyond any machine integer.

/// Decimal text of a big-endian unsigned integer.
pub(super) fn decimal(big_endian: &[u8]) -> String {
    let mut number: Vec<u8> = big_endian
        .iter()
        .copied()
        .skip_while(|&byte| byte == 0)
        .collect();
    if number.is_empty() {
        return "0".to_string();
    }
    let mut digits = Vec::new();
    // Long division by ten, most significant byte first, until nothing is left.
    while !number.is_empty() {
        let mut remainder: u16 = 0;
        for byte in number.iter_mut() {
            let value = remainder << 8 | u16::from(*byte);
            *byte = u8::try_from(value / 10).unwrap_or(u8::MAX);
            remainder = value % 10;
        }
        digits.push(char::from(b'0' + u8::try_from(remainder).unwrap_or(0)));
        let leading_zeros = number.iter().take_while(|&&byte| byte == 0).count();
        number.drain(..leading_zeros);
    }
    digits.iter().rev().collect()
}

#[cfg(test)]
mod tests {
    use super::decimal;

    #[test]
    fn serials_print_as_java_big_integers() {
        assert_eq!(decimal(&[]), "0");
        assert_eq!(decimal(&[0x00, 0x0a]), "10");
        // The 2015 test signing certificate: 0x1002653215 is certId 68759663125.
        assert_eq!(decimal(&[0x10, 0x02, 0x65, 0x32, 0x15]), "68759663125");
        let twenty = [0xff; 20];
        assert_eq!(
            decimal(&twenty),
            "1461501637330902918203684832716283019655932542975"
        );
    }
}
