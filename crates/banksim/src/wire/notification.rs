//! The result notification: `MSG` = base64 of the GBK bytes of
//! `<MSG><Message>M</Message><Signature-Algorithm>A</Signature-Algorithm><Signature>S</Signature></MSG>`,
//! S over the GB2312 bytes of M (see [`super::gb2312`]), as the bank's client verifies it.

use super::{encode_base64, gb2312, gbk_encode};
use unipay_channel_abc::crypto::{PrivateKey, SignatureAlgorithm};

/// The `MSG` value (base64, not yet form-encoded) for the XML M.
pub fn seal(message_xml: &str, key: &PrivateKey, algorithm: SignatureAlgorithm) -> String {
    let signature = encode_base64(&key.sign(algorithm, &gb2312::signed_bytes(message_xml)));
    let envelope = format!(
        "<MSG><Message>{message_xml}</Message><Signature-Algorithm>{}</Signature-Algorithm><Signature>{signature}</Signature></MSG>",
        algorithm.as_str()
    );
    encode_base64(&gbk_encode(&envelope))
}
