//! Normalizing data that comes as a write tape instead of JSON text: the web package walks the
//! app's JS objects into one (`wasm/js/tape.js`), so a write from JS makes no JSON text and
//! this side parses none. The tape is read through serde like the text ([`TapeReader`] is a
//! `Deserializer`), so every decision is the text walk's; only the reading differs.
//!
//! A tape is a list of `u32`s plus the text of its strings, cut into chunks that the reader asks
//! for one at a time (so the data is never all in memory on this side at once):
//! - `0` null, `1` false, `2` true, `3 n` the 32-bit integer `n`;
//! - `4 u` a string of `u` UTF-16 units, `5 u` a number of `u` units of text (JS's own text of
//!   a number that is not a 32-bit integer, which is JSON's);
//! - `7 (k value)* END` an object, `k` the key's number in the tape's keys;
//! - `8 n value*` a list of `n` values.
//!
//! An op's arguments and its text are in the op's chunk; a chunk ends between ops.

use super::text::walk_data;
use super::{normalize_into, Written};
use crate::cache::keys::KeyConfig;
use crate::cache::records::Interner;
use crate::cache::selection::Walk;
use serde::de::value::BorrowedStrDeserializer;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Number, Value};
use std::fmt;

/// Ends an object in a tape.
pub const TAPE_OBJECT_END: u32 = u32::MAX;

/// How deep a tape's lists and objects may nest: less than this (serde_json's own limit for
/// JSON text).
const MAX_DEPTH: u32 = 128;

/// A piece of a write tape (see the module's notes).
#[derive(Debug, Default, Clone)]
pub struct TapeChunk {
    pub ops: Vec<u32>,
    pub strings: String,
    /// Every string in the chunk is ASCII: their lengths in UTF-16 units are their lengths in
    /// bytes.
    pub ascii: bool,
}

/// Hands out a write tape's chunks by number from 0, each as often as asked (a write that
/// starts over reads them again); `None` past the last.
pub type TapeChunks<'a> = &'a mut dyn FnMut(usize) -> Option<TapeChunk>;

/// A write tape: the keys its objects name by number, about how many bytes its JSON text
/// would be (for the room the write makes at once), and its chunks.
pub struct WriteTape<'a> {
    pub keys: &'a [String],
    pub size: usize,
    pub chunks: TapeChunks<'a>,
}

impl fmt::Debug for WriteTape<'_> {
    #[cfg_attr(size_build, optimize(speed))]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteTape")
            .field("keys", &self.keys)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

/// A tape that does not hold JSON data (cut short, an unknown op, a string that does not fit),
/// or data nested 128 levels deep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TapeError(String);

impl fmt::Display for TapeError {
    #[cfg_attr(size_build, optimize(speed))]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TapeError {}

impl de::Error for TapeError {
    #[cfg_attr(size_build, optimize(speed))]
    fn custom<T: fmt::Display>(msg: T) -> Self {
        TapeError(msg.to_string())
    }
}

#[cfg_attr(size_build, optimize(speed))]
fn bad(what: &str) -> TapeError {
    TapeError(format!("malformed write tape: {what}"))
}

/// Normalizes the data of `tape` like [`super::normalize_text_into`] does its text.
#[cfg_attr(size_build, optimize(speed))]
pub(crate) fn normalize_tape_into(
    interner: &mut Interner,
    walk: &Walk<'_>,
    root: &str,
    tape: &mut WriteTape<'_>,
    keys: &KeyConfig,
) -> Result<Written, TapeError> {
    if keys.key_fn.is_none() {
        let mut reader = TapeReader::new(tape.keys, &mut *tape.chunks);
        let walked = walk_data(interner, walk, root, keys, tape.size, |seed| {
            seed.deserialize(&mut reader)?;
            reader.end()
        })?;
        if let Some(written) = walked {
            return Ok(written);
        }
    }
    let mut reader = TapeReader::new(tape.keys, &mut *tape.chunks);
    let data = Value::deserialize(&mut reader)?;
    reader.end()?;
    Ok(normalize_into(interner, walk, root, &data, keys))
}

/// Reads a write tape as a serde `Deserializer` (see the module's notes).
pub(crate) struct TapeReader<'de, 'c> {
    keys: &'de [String],
    chunks: TapeChunks<'c>,
    /// The number of the chunk after `chunk`.
    next: usize,
    chunk: TapeChunk,
    /// The next op in `chunk.ops`, and the next string's first byte in `chunk.strings`.
    op: usize,
    text: usize,
    /// How many more levels lists and objects may nest.
    depth: u32,
}

impl<'de, 'c> TapeReader<'de, 'c> {
    #[cfg_attr(size_build, optimize(speed))]
    pub(crate) fn new(keys: &'de [String], chunks: TapeChunks<'c>) -> Self {
        TapeReader {
            keys,
            chunks,
            next: 0,
            chunk: TapeChunk::default(),
            op: 0,
            text: 0,
            depth: MAX_DEPTH,
        }
    }

    /// The next op, from the next chunk when this one is done.
    #[cfg_attr(size_build, optimize(speed))]
    fn op(&mut self) -> Result<u32, TapeError> {
        loop {
            if let Some(&op) = self.chunk.ops.get(self.op) {
                self.op += 1;
                return Ok(op);
            }
            self.next_chunk()?;
        }
    }

    #[cfg_attr(size_build, optimize(speed))]
    fn next_chunk(&mut self) -> Result<(), TapeError> {
        if self.text != self.chunk.strings.len() {
            return Err(bad("a chunk's strings outlast its ops"));
        }
        let chunk = (self.chunks)(self.next).ok_or_else(|| bad("it ends inside a value"))?;
        self.next += 1;
        self.chunk = chunk;
        self.op = 0;
        self.text = 0;
        Ok(())
    }

    /// An op's argument: in the op's chunk.
    #[cfg_attr(size_build, optimize(speed))]
    fn arg(&mut self) -> Result<u32, TapeError> {
        let arg = *self
            .chunk
            .ops
            .get(self.op)
            .ok_or_else(|| bad("an op's argument is missing"))?;
        self.op += 1;
        Ok(arg)
    }

    /// The byte range of the next string, whose length in UTF-16 units is the next argument.
    #[cfg_attr(size_build, optimize(speed))]
    fn string(&mut self) -> Result<(usize, usize), TapeError> {
        let units = self.arg()? as usize;
        let start = self.text;
        let end = if self.chunk.ascii {
            // Checked: on wasm32 a length near u32::MAX would wrap past `start`.
            start
                .checked_add(units)
                .ok_or_else(|| bad("a string is cut short"))?
        } else {
            let rest = self.chunk.strings.get(start..).unwrap_or("");
            let (mut counted, mut end) = (0, start);
            for c in rest.chars() {
                if counted >= units {
                    break;
                }
                counted += c.len_utf16();
                end += c.len_utf8();
            }
            if counted != units {
                return Err(bad("a string is cut short"));
            }
            end
        };
        if !self.chunk.strings.is_char_boundary(end) || end > self.chunk.strings.len() {
            return Err(bad("a string is cut short"));
        }
        self.text = end;
        Ok((start, end))
    }

    #[cfg_attr(size_build, optimize(speed))]
    fn key(&self, k: u32) -> Result<&'de str, TapeError> {
        self.keys
            .get(k as usize)
            .map(String::as_str)
            .ok_or_else(|| bad("an object names a key it does not have"))
    }

    /// One level deeper; as serde_json counts them, the 128th is one too many.
    #[cfg_attr(size_build, optimize(speed))]
    fn nest(&mut self) -> Result<(), TapeError> {
        if self.depth <= 1 {
            return Err(TapeError("recursion limit exceeded".into()));
        }
        self.depth -= 1;
        Ok(())
    }

    /// After the data: nothing may follow it.
    #[cfg_attr(size_build, optimize(speed))]
    pub(crate) fn end(&mut self) -> Result<(), TapeError> {
        if self.op != self.chunk.ops.len()
            || self.text != self.chunk.strings.len()
            || (self.chunks)(self.next).is_some()
        {
            return Err(bad("something follows the data"));
        }
        Ok(())
    }
}

impl<'de> de::Deserializer<'de> for &mut TapeReader<'de, '_> {
    type Error = TapeError;

    #[cfg_attr(size_build, optimize(speed))]
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TapeError> {
        match self.op()? {
            0 => visitor.visit_unit(),
            1 => visitor.visit_bool(false),
            2 => visitor.visit_bool(true),
            3 => {
                // As JSON text parses: a non-negative integer is a u64.
                let n = self.arg()? as i32;
                match u64::try_from(n) {
                    Ok(n) => visitor.visit_u64(n),
                    Err(_) => visitor.visit_i64(i64::from(n)),
                }
            }
            4 => {
                let (start, end) = self.string()?;
                visitor.visit_str(&self.chunk.strings[start..end])
            }
            5 => {
                let (start, end) = self.string()?;
                let number: Number = self.chunk.strings[start..end]
                    .parse()
                    .map_err(|_| bad("a number's text is not a JSON number"))?;
                number
                    .deserialize_any(visitor)
                    .map_err(|e| TapeError(e.to_string()))
            }
            7 => {
                self.nest()?;
                let mut entries = Entries {
                    reader: &mut *self,
                    done: false,
                };
                let value = visitor.visit_map(&mut entries)?;
                // As serde_json does with text: an object not read to its end is an error.
                if !entries.done {
                    return Err(bad("an object was not read to its end"));
                }
                self.depth += 1;
                Ok(value)
            }
            8 => {
                let left = self.arg()?;
                self.nest()?;
                let mut items = Items {
                    reader: &mut *self,
                    left,
                };
                let value = visitor.visit_seq(&mut items)?;
                if items.left != 0 {
                    return Err(bad("a list was not read to its end"));
                }
                self.depth += 1;
                Ok(value)
            }
            _ => Err(bad("an unknown op")),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// An object's entries, up to its end.
struct Entries<'r, 'de, 'c> {
    reader: &'r mut TapeReader<'de, 'c>,
    /// Its end was read.
    done: bool,
}

impl<'de> MapAccess<'de> for &mut Entries<'_, 'de, '_> {
    type Error = TapeError;
    #[cfg_attr(size_build, optimize(speed))]
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, TapeError> {
        if self.done {
            return Ok(None);
        }
        let k = self.reader.op()?;
        if k == TAPE_OBJECT_END {
            self.done = true;
            return Ok(None);
        }
        let key = self.reader.key(k)?;
        seed.deserialize(BorrowedStrDeserializer::new(key))
            .map(Some)
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, TapeError> {
        seed.deserialize(&mut *self.reader)
    }
}

/// A list's items.
struct Items<'r, 'de, 'c> {
    reader: &'r mut TapeReader<'de, 'c>,
    left: u32,
}

impl<'de> SeqAccess<'de> for &mut Items<'_, 'de, '_> {
    type Error = TapeError;
    #[cfg_attr(size_build, optimize(speed))]
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, TapeError> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(&mut *self.reader).map(Some)
    }
    #[cfg_attr(size_build, optimize(speed))]
    fn size_hint(&self) -> Option<usize> {
        // Each item takes an op at least: a length no chunk could hold reserves no more than
        // this chunk's ops.
        let ops = self.reader.chunk.ops.len() - self.reader.op.min(self.reader.chunk.ops.len());
        Some((self.left as usize).min(ops))
    }
}
