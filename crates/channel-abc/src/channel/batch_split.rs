//! Splitting a batch of ours into bank batches. The bank (and its own client) takes no request
//! over 8,000 bytes, batches included: about fifty refund lines, or a dozen debit lines with
//! the keys the client sends, fit in one. The plan is the number of lines, taken in order,
//! of each consecutive part.
//!
//! A part's size is measured, not guessed: the request without lines, with its count and sum
//! at their largest (those of the whole batch), plus each line as it is written, plus the
//! envelope around the message (whose signature's length depends only on the key).

use super::account::AbcAccount;
use super::pay::unfit;
use crate::messages::RequestMessage;
use crate::wire::{MAX_MESSAGE_BYTES, build_request};
use serde::Serialize;
use unipay_core::channel::ChannelError;

/// The bytes the envelope and signature add to a message of this account's.
fn envelope_bytes(account: &AbcAccount) -> usize {
    // The body ends in a line end the bank does not count.
    build_request("M", &account.key, account.algorithm).len() - 2
}

/// The plan for a request whose message without lines is `empty` (written with its largest
/// count and sum) and whose lines are `lines`.
pub(super) fn plan<R: Serialize, L: Serialize>(
    account: &AbcAccount,
    empty: R,
    lines: &[L],
) -> Result<Vec<usize>, ChannelError> {
    let empty_bytes = RequestMessage::new(&account.merchant_id, empty)
        .to_json()
        .map_err(|e| unfit(e.to_string()))?
        .len();
    let line_bytes = lines
        .iter()
        .map(|line| serde_json::to_string(line).map(|text| text.len()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| unfit(e.to_string()))?;
    pack(
        MAX_MESSAGE_BYTES,
        envelope_bytes(account) + empty_bytes,
        &line_bytes,
    )
}

/// Greedy packing: as many lines as fit in each part, in order. Lines are separated by one
/// comma each.
fn pack(limit: usize, fixed: usize, line_bytes: &[usize]) -> Result<Vec<usize>, ChannelError> {
    let mut parts = Vec::new();
    let (mut count, mut used) = (0usize, fixed);
    for (index, &bytes) in line_bytes.iter().enumerate() {
        let with = used + bytes + usize::from(count > 0);
        if with <= limit {
            count += 1;
            used = with;
            continue;
        }
        if count == 0 || fixed + bytes > limit {
            return Err(unfit(format!(
                "line {} alone does not fit in a request of {limit} bytes",
                index + 1
            )));
        }
        parts.push(count);
        count = 1;
        used = fixed + bytes;
    }
    if count > 0 {
        parts.push(count);
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Proves parts are filled to the limit in order and a line too big for any part is
    /// refused.
    #[test]
    fn packs_greedily_within_the_limit() {
        assert_eq!(pack(100, 10, &[30, 30, 30, 30]).unwrap(), vec![2, 2]);
        assert_eq!(pack(100, 10, &[44, 44, 5]).unwrap(), vec![2, 1]);
        assert_eq!(pack(100, 10, &[]).unwrap(), Vec::<usize>::new());
        assert!(pack(100, 10, &[91]).is_err());
        assert_eq!(pack(100, 10, &[90]).unwrap(), vec![1]);
    }
}
