//! An open-addressing index from key hash to row, 8 bytes a slot: the row and 32 bits of the
//! hash (a fingerprint).
//!
//! Memory here is slow to reach at random, so the index is built for few dependent accesses: a
//! lookup reads the home slot's cache line and, thanks to the fingerprints, normally touches the
//! record of the one row that is the answer and no other. Linear probing keeps a home's rows
//! together (eight slots to a cache line), which is why the table can run at 70 % full.
//!
//! The slots are split into shards by the hash's top bits so that a build can fill each shard
//! on its own core; every shard probes within itself, wrapping at its end, and always keeps one
//! slot empty, so a lookup for a missing key ends.
//!
//! Equal keys (the same record pushed twice) both go in; a lookup meets the earlier row first,
//! because within a shard rows are inserted in table order and linear probing keeps that order.

/// An empty slot: no row is `u32::MAX`.
const EMPTY: u64 = u64::MAX;
/// Below this many rows, starting threads costs more than it saves.
const PARALLEL_MIN_ROWS: usize = 1 << 16;
/// Slots per row: 1/0.7, so about 11.4 bytes a row.
const SLOTS_PER_10_ROWS: usize = 14;
const MIN_SLOTS_PER_SHARD: usize = 16;
/// Rows sorted by home at a time while building: 16 bytes each, so 4 MiB a thread.
const BUILD_CHUNK: usize = 1 << 18;
/// Homes sorted by their top 12 bits: finer than the chunk is dense, coarse enough to count
/// in cache.
const BUCKET_BITS: u32 = 12;
const BUCKETS: usize = 1 << BUCKET_BITS;

pub(super) struct Index {
    slots: Vec<u64>,
    shard_bits: u32,
    shard_len: usize,
}

/// Where a hash lives: its shard's first slot and its place within the shard.
#[derive(Clone, Copy)]
pub(super) struct Home {
    base: usize,
    offset: usize,
}

impl Index {
    /// Builds the index of `rows` rows, `slot_hash(row)` telling where each hashes to, on up to
    /// `threads` threads.
    pub(super) fn build(
        rows: usize,
        slot_hash: &(impl Fn(usize) -> u64 + Sync),
        threads: usize,
    ) -> Index {
        let slots = (rows / 10 + 1)
            .saturating_mul(SLOTS_PER_10_ROWS)
            .max(MIN_SLOTS_PER_SHARD);
        let shards = if rows < PARALLEL_MIN_ROWS {
            1
        } else {
            shard_count(threads, slots)
        };
        if shards > 1 {
            let mut index = Index::empty(slots, shards);
            if index.fill_parallel(rows, slot_hash) {
                return index;
            }
        }
        // One shard always has room (more slots than rows); it is also the way out when hashes
        // crowd one shard of several.
        // (It cannot run out of room, and if it could, the slot it keeps empty still ends every
        // lookup.)
        let mut index = Index::empty(slots, 1);
        fill_shard(&mut index.slots, 0, 0, index.shard_len, rows, slot_hash);
        index
    }

    pub(super) fn home(&self, hash: u64) -> Home {
        let shard = if self.shard_bits == 0 {
            0
        } else {
            (hash >> (64 - self.shard_bits)) as usize
        };
        Home {
            base: shard * self.shard_len,
            offset: offset_in_shard(hash, self.shard_bits, self.shard_len),
        }
    }

    /// Reads the home slot: called for a batch of lookups before any of them goes on, so that
    /// their cache misses overlap instead of following one another.
    pub(super) fn touch(&self, home: Home) -> u64 {
        self.slots
            .get(home.base + home.offset)
            .copied()
            .unwrap_or(EMPTY)
    }

    /// The rows in `home`'s probe run whose fingerprint is `hash`'s, in probe order, until
    /// `is_match` accepts one.
    pub(super) fn find(
        &self,
        hash: u64,
        home: Home,
        mut is_match: impl FnMut(u32) -> bool,
    ) -> Option<u32> {
        let fingerprint = fingerprint(hash);
        let mut offset = home.offset;
        loop {
            let slot = *self.slots.get(home.base + offset)?;
            if slot == EMPTY {
                return None;
            }
            if slot >> 32 == fingerprint {
                let row = slot as u32;
                if is_match(row) {
                    return Some(row);
                }
            }
            offset = next(offset, self.shard_len);
        }
    }

    pub(super) fn heap_bytes(&self) -> usize {
        self.slots.capacity() * size_of::<u64>()
    }

    fn empty(slots: usize, shards: usize) -> Index {
        let shard_len = slots.div_ceil(shards);
        Index {
            slots: vec![EMPTY; shard_len * shards],
            shard_bits: shards.trailing_zeros(),
            shard_len,
        }
    }

    /// Fills each shard on its own thread; false when a shard ran out of room.
    fn fill_parallel(&mut self, rows: usize, slot_hash: &(impl Fn(usize) -> u64 + Sync)) -> bool {
        let (shard_bits, shard_len) = (self.shard_bits, self.shard_len);
        std::thread::scope(|scope| {
            let workers: Vec<_> = self
                .slots
                .chunks_mut(shard_len)
                .enumerate()
                .map(|(shard, slots)| {
                    scope.spawn(move || {
                        fill_shard(slots, shard, shard_bits, shard_len, rows, slot_hash)
                    })
                })
                .collect();
            // A worker that panicked counts as a shard that did not fill; the scope waits for
            // any worker not joined here.
            workers
                .into_iter()
                .all(|worker| worker.join().unwrap_or(false))
        })
    }
}

/// Inserts every row whose home is in shard `shard` (whose slots are `slots`), in table order
/// among rows of the same home.
///
/// Rows are taken a chunk at a time and sorted by home (a counting sort on the home's top bits,
/// stable, so table order holds among equal keys) before they go in: the inserts then sweep
/// the slots from start to end instead of jumping about, and memory serves them in streams.
/// Every thread reads all the keys, which is sequential and cheap next to the writes.
fn fill_shard(
    slots: &mut [u64],
    shard: usize,
    shard_bits: u32,
    shard_len: usize,
    rows: usize,
    slot_hash: &impl Fn(usize) -> u64,
) -> bool {
    let chunk_rows = rows.min(BUILD_CHUNK);
    let mut hashed: Vec<(u64, u32)> = Vec::with_capacity(chunk_rows);
    let mut sorted: Vec<(u64, u32)> = vec![(0, 0); chunk_rows];
    let mut starts = vec![0usize; BUCKETS + 1];
    let bucket_of = |hash: u64| ((hash << shard_bits) >> (64 - BUCKET_BITS)) as usize;
    let mut stored = 0usize;
    let mut start = 0;
    while start < rows {
        let end = rows.min(start + BUILD_CHUNK);
        hashed.clear();
        starts.fill(0);
        for row in start..end {
            let hash = slot_hash(row);
            if shard_bits == 0 || (hash >> (64 - shard_bits)) as usize == shard {
                hashed.push((hash, row as u32));
                if let Some(count) = starts.get_mut(bucket_of(hash) + 1) {
                    *count += 1;
                }
            }
        }
        for bucket in 1..starts.len() {
            let before = starts.get(bucket - 1).copied().unwrap_or(0);
            if let Some(count) = starts.get_mut(bucket) {
                *count += before;
            }
        }
        for &(hash, row) in &hashed {
            let Some(next_free) = starts.get_mut(bucket_of(hash)) else {
                continue;
            };
            if let Some(place) = sorted.get_mut(*next_free) {
                *place = (hash, row);
            }
            *next_free += 1;
        }
        for &(hash, row) in sorted.get(..hashed.len()).unwrap_or(&[]) {
            // Keep one slot empty so that lookups of missing keys stop.
            stored += 1;
            if stored >= slots.len() {
                return false;
            }
            let mut offset = offset_in_shard(hash, shard_bits, shard_len);
            loop {
                match slots.get_mut(offset) {
                    Some(slot) if *slot == EMPTY => {
                        *slot = (fingerprint(hash) << 32) | u64::from(row);
                        break;
                    }
                    Some(_) => offset = next(offset, shard_len),
                    None => return false,
                }
            }
        }
        start = end;
    }
    true
}

/// The hash's place within a shard of `shard_len` slots, from the bits below the shard's
/// (multiply-and-shift: any length, no division).
fn offset_in_shard(hash: u64, shard_bits: u32, shard_len: usize) -> usize {
    let below_shard = hash << shard_bits;
    ((u128::from(below_shard) * shard_len as u128) >> 64) as usize
}

/// The low half of the hash: independent of the high bits that chose the home.
fn fingerprint(hash: u64) -> u64 {
    hash & 0xFFFF_FFFF
}

/// The next slot in the same shard, wrapping at the shard's end.
fn next(offset: usize, shard_len: usize) -> usize {
    if offset + 1 == shard_len {
        0
    } else {
        offset + 1
    }
}

/// A power of two no larger than `threads`, leaving shards of a useful size.
fn shard_count(threads: usize, slots: usize) -> usize {
    let most = (slots / MIN_SLOTS_PER_SHARD).max(1);
    let threads = threads.clamp(1, most);
    1usize << threads.ilog2()
}
