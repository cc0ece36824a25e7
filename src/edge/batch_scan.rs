//! [`BatchScan`]: an `AnalyzeBatch` request's documents counted as its bytes arrive, before any
//! is decoded, so that a batch of a million empty documents is refused at the 1,001st.

use super::limits::MAX_BATCH;

/// Reads an `AnalyzeBatch` request's bytes as they arrive: the gRPC message prefix, then the
/// message's top-level fields, counting field 1 (`documents`) without decoding it.
#[derive(Debug, Default)]
pub(super) struct BatchScan {
    /// Whether to read the message's fields (an `AnalyzeBatch`), or only its prefix.
    pub(super) count_documents: bool,
    state: Scan,
    /// The 5-byte gRPC message prefix, as it arrives.
    prefix: Vec<u8>,
    /// Message bytes still to read.
    remaining: usize,
    pub(super) documents: usize,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Scan {
    /// Reading the 5-byte prefix.
    #[default]
    Prefix,
    /// Reading a varint: a field's key, a varint value, or a length-delimited field's length.
    Varint(Varint),
    /// Skipping this many bytes.
    Skip(u64),
    /// Done, or not a message this scan understands: prost decides.
    Done,
}

/// What a varint being read is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum VarintOf {
    Key,
    Value,
    Length,
}

/// A varint's bytes as they arrive, decoded by prost once the last is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Varint {
    of: VarintOf,
    bytes: [u8; 10],
    len: u8,
}

impl Varint {
    fn start(of: VarintOf) -> Scan {
        Scan::Varint(Self {
            of,
            bytes: [0; 10],
            len: 0,
        })
    }
}

impl BatchScan {
    /// A scan of a unary request's body: its message's length, and, for a batch, its documents.
    pub(super) fn new(count_documents: bool) -> Self {
        Self {
            count_documents,
            ..Self::default()
        }
    }

    /// Feeds the next bytes of the body. `Ok(Some(len))` once the message's length is known;
    /// `Err(count)` as soon as more than [`MAX_BATCH`] documents have been seen.
    pub(super) fn feed(&mut self, mut data: &[u8]) -> Result<Option<usize>, usize> {
        let mut message_len = None;
        while let Some((&byte, rest)) = data.split_first() {
            match &mut self.state {
                Scan::Done => return Ok(message_len),
                Scan::Prefix => {
                    self.prefix.push(byte);
                    data = rest;
                    if self.prefix.len() == 5 {
                        let len = u32::from_be_bytes([
                            self.prefix[1],
                            self.prefix[2],
                            self.prefix[3],
                            self.prefix[4],
                        ]) as usize;
                        message_len = Some(len);
                        self.remaining = len;
                        self.state = if len == 0 || !self.count_documents {
                            Scan::Done
                        } else {
                            Varint::start(VarintOf::Key)
                        };
                    }
                    continue;
                }
                Scan::Skip(n) => {
                    let take = usize::try_from(*n).unwrap_or(usize::MAX).min(data.len());
                    data = &data[take..];
                    self.state = match *n - take as u64 {
                        0 => Varint::start(VarintOf::Key),
                        left => Scan::Skip(left),
                    };
                    self.consume(take);
                    continue;
                }
                Scan::Varint(varint) => {
                    let mut v = *varint;
                    v.bytes[usize::from(v.len)] = byte;
                    v.len += 1;
                    self.state = if byte & 0x80 != 0 {
                        if usize::from(v.len) == v.bytes.len() {
                            Scan::Done
                        } else {
                            Scan::Varint(v)
                        }
                    } else {
                        match prost::encoding::decode_varint(&mut &v.bytes[..usize::from(v.len)]) {
                            Ok(value) => self.after(v.of, value)?,
                            Err(_) => Scan::Done,
                        }
                    };
                }
            }
            data = rest;
            self.consume(1);
        }
        Ok(message_len)
    }

    /// What to read after a varint `of` that kind with this value; `Err(count)` past
    /// [`MAX_BATCH`] documents.
    fn after(&mut self, of: VarintOf, value: u64) -> Result<Scan, usize> {
        Ok(match of {
            VarintOf::Key => match value & 7 {
                0 => Varint::start(VarintOf::Value),
                1 => Scan::Skip(8),
                5 => Scan::Skip(4),
                2 => {
                    if value >> 3 == 1 {
                        self.documents += 1;
                        if self.documents > MAX_BATCH {
                            return Err(self.documents);
                        }
                    }
                    Varint::start(VarintOf::Length)
                }
                _ => Scan::Done,
            },
            VarintOf::Value => Varint::start(VarintOf::Key),
            VarintOf::Length if value == 0 => Varint::start(VarintOf::Key),
            VarintOf::Length => Scan::Skip(value),
        })
    }

    /// `n` message bytes were read; past the message's end there is nothing to scan.
    fn consume(&mut self, n: usize) {
        self.remaining = self.remaining.saturating_sub(n);
        if self.remaining == 0 && self.state != Scan::Prefix {
            self.state = Scan::Done;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    fn framed(message: &[u8]) -> Vec<u8> {
        let mut out = vec![0];
        out.extend((message.len() as u32).to_be_bytes());
        out.extend(message);
        out
    }

    /// The fields of `AnalyzeRequest` and `AnalyzeBatchRequest` the scan meets, as prost
    /// encodes them (the generated types live a layer up).
    #[derive(Clone, PartialEq, prost::Message)]
    struct Document {
        #[prost(string, tag = "1")]
        text: String,
        #[prost(string, tag = "5")]
        id: String,
        #[prost(uint32, tag = "6")]
        script: u32,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    struct Batch {
        #[prost(message, repeated, tag = "1")]
        documents: Vec<Document>,
    }

    fn batch(documents: usize) -> Vec<u8> {
        let request = Batch {
            documents: vec![Document::default(); documents],
        };
        framed(&request.encode_to_vec())
    }

    #[test]
    fn documents_are_counted_before_decoding_in_any_cut() {
        for (documents, cut) in [(MAX_BATCH, 1), (MAX_BATCH, 7), (MAX_BATCH + 1, 3)] {
            let bytes = batch(documents);
            let mut scan = BatchScan {
                count_documents: true,
                ..BatchScan::default()
            };
            let mut result = Ok(None);
            for chunk in bytes.chunks(cut) {
                result = scan.feed(chunk);
                if result.is_err() {
                    break;
                }
            }
            if documents > MAX_BATCH {
                assert_eq!(result, Err(MAX_BATCH + 1));
            } else {
                assert!(result.is_ok());
                assert_eq!(scan.documents, documents);
                assert_eq!(scan.state, Scan::Done);
            }
        }
        let text = Batch {
            documents: vec![
                Document {
                    id: "x".repeat(300),
                    text: "文".repeat(100),
                    script: 300,
                };
                3
            ],
        };
        let bytes = framed(&text.encode_to_vec());
        let mut scan = BatchScan {
            count_documents: true,
            ..BatchScan::default()
        };
        assert_eq!(scan.feed(&bytes), Ok(Some(bytes.len() - 5)));
        assert_eq!(scan.documents, 3);
    }
}
