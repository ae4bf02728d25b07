//! One bit per platform row: whether a statement line has met it. 10 million rows take 1.25 MB.

pub(super) struct Bitset {
    words: Vec<u64>,
    len: usize,
}

impl Bitset {
    pub(super) fn new(len: usize) -> Bitset {
        Bitset {
            words: vec![0; len.div_ceil(64)],
            len,
        }
    }

    /// Sets the bit and tells whether it was set before.
    pub(super) fn replace(&mut self, index: usize) -> bool {
        let Some(word) = self.words.get_mut(index / 64) else {
            return false;
        };
        let bit = 1u64 << (index % 64);
        let before = *word & bit != 0;
        *word |= bit;
        before
    }

    /// The word holding the bit: read ahead of [`Bitset::replace`] to bring it into cache.
    pub(super) fn word(&self, index: usize) -> u64 {
        self.words.get(index / 64).copied().unwrap_or(0)
    }

    /// The indices whose bit is clear, in increasing order.
    pub(super) fn clear_indices(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(move |(at, word)| {
            let mut clear = !word;
            std::iter::from_fn(move || {
                if clear == 0 {
                    return None;
                }
                let bit = clear.trailing_zeros() as usize;
                clear &= clear - 1;
                Some(at * 64 + bit)
            })
            .take_while(move |index| *index < self.len)
        })
    }

    pub(super) fn heap_bytes(&self) -> usize {
        self.words.capacity() * size_of::<u64>()
    }
}
