//! A kept statement's bytes made readable as the plain file, decompressed on a thread of their
//! own: inflating a day of millions of lines takes about as long as parsing it, so it starts
//! while our side of the day is still being read, and goes on beside the parser.

use std::io::{self, Read};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

/// Bytes handed over at a time.
const CHUNK_BYTES: usize = 1 << 20;
/// Chunks decompressed ahead of the reader at most: what the inflater may hold in memory
/// while the reader is not reading yet.
const CHUNKS_AHEAD: usize = 64;

/// The plain file, as the inflater's thread makes it.
pub(super) struct Inflated {
    chunks: Receiver<io::Result<Vec<u8>>>,
    current: Vec<u8>,
    at: usize,
}

/// Starts decompressing `bytes` (gzip, possibly several members one after another) on a thread
/// of its own. It stops when the file ends, when it cannot be read, or when the reader is
/// dropped.
pub(super) fn start(bytes: Vec<u8>) -> Inflated {
    let (sender, chunks) = sync_channel(CHUNKS_AHEAD);
    std::thread::spawn(move || inflate(&bytes, &sender));
    Inflated {
        chunks,
        current: Vec::new(),
        at: 0,
    }
}

fn inflate(bytes: &[u8], sender: &SyncSender<io::Result<Vec<u8>>>) {
    let mut decoder = flate2::read::MultiGzDecoder::new(bytes);
    loop {
        let mut chunk = vec![0; CHUNK_BYTES];
        let mut filled = 0;
        while filled < chunk.len() {
            match decoder.read(&mut chunk[filled..]) {
                Ok(0) => break,
                Ok(read) => filled += read,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => {
                    let _ = sender.send(Err(error));
                    return;
                }
            }
        }
        if filled == 0 {
            return;
        }
        chunk.truncate(filled);
        if sender.send(Ok(chunk)).is_err() {
            return;
        }
    }
}

impl Read for Inflated {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.at == self.current.len() {
            match self.chunks.recv() {
                Ok(chunk) => {
                    self.current = chunk?;
                    self.at = 0;
                }
                // The inflater has ended the file.
                Err(_) => return Ok(0),
            }
        }
        let available = &self.current[self.at..];
        let count = available.len().min(out.len());
        out[..count].copy_from_slice(&available[..count]);
        self.at += count;
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::GzEncoder;
    use std::io::Write;

    fn gzip(parts: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for part in parts {
            let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
            encoder.write_all(part).ok();
            out.extend(encoder.finish().unwrap_or_default());
        }
        out
    }

    #[test]
    fn reads_every_member_whole_across_chunks() {
        let first: Vec<u8> = (0..3 * CHUNK_BYTES + 17).map(|i| (i % 251) as u8).collect();
        let bytes = gzip(&[&first, b"second member"]);
        let mut plain = Vec::new();
        let read = start(bytes).read_to_end(&mut plain);
        assert_eq!(read.ok(), Some(first.len() + 13));
        assert_eq!(&plain[..first.len()], &first[..]);
        assert_eq!(&plain[first.len()..], b"second member");
    }

    #[test]
    fn a_damaged_file_is_an_error_not_an_early_end() {
        let mut bytes = gzip(&[&[7u8; 100_000]]);
        let middle = bytes.len() / 2;
        bytes.truncate(middle);
        let mut plain = Vec::new();
        assert!(start(bytes).read_to_end(&mut plain).is_err());
    }
}
