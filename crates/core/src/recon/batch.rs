//! Statement lines held back until a batch of them is looked up together (see
//! [`super::reconciler`]). A line's borrowed texts are copied into one buffer that is reused
//! batch after batch, so holding lines back allocates nothing.

use super::index::Home;
use crate::statement::TxnKind;

/// Lines looked up together: enough for their memory reads to overlap, few enough that what
/// they read is still in cache when each line is judged.
const BATCH: usize = 128;

/// A statement line waiting for its batch, its texts in [`Batch::text`].
pub(super) struct Pending {
    pub(super) line_no: u64,
    pub(super) kind: TxnKind,
    pub(super) amount_fen: i64,
    pub(super) fee_fen: i64,
    /// The packed number, or for another format what [`super::key::fallback_identity`] gives.
    pub(super) identity: u128,
    pub(super) fallback: bool,
    pub(super) hash: u64,
    pub(super) home: Home,
    /// Where the order number, original order number, accounting date and serial end.
    pub(super) text_ends: [usize; 4],
}

#[derive(Default)]
pub(super) struct Batch {
    pub(super) lines: Vec<Pending>,
    pub(super) text: String,
    /// Per line, reused: the first row with the line's fingerprint.
    pub(super) candidates: Vec<Option<u32>>,
}

impl Batch {
    pub(super) fn new() -> Batch {
        Batch {
            lines: Vec::with_capacity(BATCH),
            // Room for typical texts; a longer line makes it grow once and stay grown.
            text: String::with_capacity(BATCH * 80),
            candidates: Vec::with_capacity(BATCH),
        }
    }

    pub(super) fn is_full(&self) -> bool {
        self.lines.len() >= BATCH
    }

    /// The line's four texts: order number, original order number, accounting date, serial.
    pub(super) fn texts(&self, at: usize) -> [&str; 4] {
        let start = at
            .checked_sub(1)
            .and_then(|previous| self.lines.get(previous))
            .map_or(0, |previous| previous.text_ends[3]);
        let ends = self.lines.get(at).map_or([start; 4], |line| line.text_ends);
        let text = |from: usize, to: usize| self.text.get(from..to).unwrap_or("");
        [
            text(start, ends[0]),
            text(ends[0], ends[1]),
            text(ends[1], ends[2]),
            text(ends[2], ends[3]),
        ]
    }

    pub(super) fn clear(&mut self) {
        self.lines.clear();
        self.text.clear();
        self.candidates.clear();
    }
}
