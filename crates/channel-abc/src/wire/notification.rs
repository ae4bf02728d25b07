//! Result notification: `MSG` = base64 of the GBK bytes of
//! `<MSG><Message>M</Message><Signature-Algorithm>A</Signature-Algorithm><Signature>S</Signature></MSG>`.

use super::{
    Envelope, MAX_MESSAGE_BYTES, WireError, gb2312_signed_bytes, gbk_decode, gbk_encode, malformed,
    verify,
};
use crate::crypto::{Certificate, PrivateKey, SignatureAlgorithm};
use base64::Engine;

const ENVELOPE: Envelope = Envelope {
    head: b"<MSG><Message>",
    algorithm: b"</Message><Signature-Algorithm>",
    signature: b"</Signature-Algorithm><Signature>",
    tail: b"</Signature></MSG>",
    name: "notification",
};

/// The longest base64 text whose decoding can fit [`MAX_MESSAGE_BYTES`].
pub const MAX_NOTIFICATION_BASE64: usize = MAX_MESSAGE_BYTES.div_ceil(3) * 4;

/// Result notification: base64 (standard, padded, one line) of the GBK bytes of
/// `<MSG><Message>M</Message><Signature-Algorithm>A</Signature-Algorithm><Signature>S</Signature></MSG>`,
/// where S signs the GB2312 bytes of M, the text inside `<Message>` (see [`gb2312_signed_bytes`]).
pub fn build_notification(
    message_xml: &str,
    key: &PrivateKey,
    algorithm: SignatureAlgorithm,
) -> String {
    let message = gbk_encode(message_xml);
    let envelope = ENVELOPE.seal(&message, &gb2312_signed_bytes(&message), key, algorithm);
    base64::engine::general_purpose::STANDARD.encode(envelope)
}

#[derive(Debug)]
pub struct SignedNotification {
    /// M (the XML inside `<Message>`) decoded to text.
    pub message: String,
    /// The exact GBK bytes of M, as sent.
    pub message_gbk: Vec<u8>,
    pub algorithm: SignatureAlgorithm,
    pub signature: Vec<u8>,
    /// The whole decoded envelope as text (for storing, masked).
    pub envelope: String,
}

/// Decodes the `MSG` form value (already percent-decoded) and cuts it apart.
///
/// Surrounding whitespace is tolerated; whitespace inside is not. In particular a space where a
/// `+` was (a form sent without percent-encoding) fails as base64, as on the real platform:
/// turning spaces back into `+` would accept a message whose form was altered.
pub fn cut_notification(msg_base64: &str) -> Result<SignedNotification, WireError> {
    let text = msg_base64.trim_matches(|c: char| c.is_ascii_whitespace());
    if text.len() > MAX_NOTIFICATION_BASE64 {
        return Err(WireError::TooLarge);
    }
    let envelope_gbk = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| malformed("MSG is not standard padded base64"))?;
    super::check_size(envelope_gbk.len())?;
    let parts = ENVELOPE.cut(&envelope_gbk)?;
    Ok(SignedNotification {
        message: gbk_decode(parts.message)?,
        message_gbk: parts.message.to_vec(),
        algorithm: parts.algorithm,
        signature: parts.signature,
        envelope: gbk_decode(&envelope_gbk)?,
    })
}

impl SignedNotification {
    pub fn verify(&self, certificate: &Certificate) -> Result<(), WireError> {
        verify(
            certificate,
            self.algorithm,
            &gb2312_signed_bytes(&self.message_gbk),
            &self.signature,
        )
    }
}
