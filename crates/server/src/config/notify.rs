//! The `[notify]` section: where the URLs merchants give (`notify_url`, `return_url`) may lead.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotifyConfig {
    /// Whether a merchant's URL may lead to a loopback, private, link-local, shared (CGNAT)
    /// or metadata address. Off, such URLs are refused when given, and a name that resolves
    /// to such an address is not called. On only where unipay and the business systems share
    /// one machine or a private network (a demo, the tests).
    pub allow_private_addresses: bool,
}
