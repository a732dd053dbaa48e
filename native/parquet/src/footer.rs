//! A bounded look at a Parquet file's footer before arrow-rs reads it. The parquet crate trusts the
//! footer's Thrift: it reserves room for a list's declared length before reading it (a 24-byte file
//! that declares 2^31 schema elements aborts the process when the allocation fails) and builds the
//! schema tree recursively (20,000 nested groups overflow the stack). Neither can be caught, so a
//! file goes to arrow-rs only when its footer is plausible: small, well-formed Thrift compact
//! protocol whose lists are no longer than the bytes left, nested no deeper than Parquet's own
//! structures need, and a flat schema (a root and its leaf columns, as every schema the replay reads).
//! This walks the encoding without building anything; the thrift crate has no bounded validator, and
//! its reader allocates a binary's declared length before reading it. It is not the whole defence:
//! the crate reads fields by id whatever wire type the bytes give them, which this walk cannot
//! follow without the whole Parquet definition, so parquet-wasm (the same crate, in WebAssembly,
//! where a failed allocation or a deep recursion only traps) parses the footer first
//! (lib/io/native-columns.ts).

/// Larger footers are left to parquet-wasm (the project's files have footers of a few KB).
const MAX_FOOTER: usize = 1 << 20;
/// FileMetaData → row_groups → ColumnChunk → ColumnMetaData → Statistics / key-value lists: 6 levels.
const MAX_DEPTH: u32 = 12;

const STRUCT: u8 = 12;
const LIST: u8 = 9;
const SET: u8 = 10;
const MAP: u8 = 11;

struct Walk<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Walk<'_> {
    fn left(&self) -> usize {
        self.bytes.len() - self.at
    }

    fn byte(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(b)
    }

    fn skip(&mut self, n: usize) -> Option<()> {
        if n > self.left() {
            return None;
        }
        self.at += n;
        Some(())
    }

    fn varint(&mut self) -> Option<u64> {
        let mut value = 0u64;
        for shift in (0..70).step_by(7) {
            let b = self.byte()?;
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    fn zigzag_i32(&mut self) -> Option<i32> {
        let n = u32::try_from(self.varint()?).ok()?;
        Some((n >> 1) as i32 ^ -((n & 1) as i32))
    }

    /// A value of compact type `t`; `in_list`: a boolean takes a byte of its own (in a field its
    /// value is the type).
    fn value(&mut self, t: u8, in_list: bool, depth: u32) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match t {
            1 | 2 => {
                if in_list {
                    self.skip(1)?;
                }
            }
            3 => self.skip(1)?,
            4..=6 => {
                self.varint()?;
            }
            7 => self.skip(8)?,
            8 => {
                let n = usize::try_from(self.varint()?).ok()?;
                self.skip(n)?;
            }
            LIST | SET => {
                let (t, n) = self.list_header()?;
                for _ in 0..n {
                    self.value(t, true, depth + 1)?;
                }
            }
            MAP => {
                let n = usize::try_from(self.varint()?).ok()?;
                if n > 0 {
                    let types = self.byte()?;
                    if n > self.left() {
                        return None;
                    }
                    for _ in 0..n {
                        self.value(types >> 4, true, depth + 1)?;
                        self.value(types & 0x0f, true, depth + 1)?;
                    }
                }
            }
            STRUCT => self.fields(depth + 1, |_, _, _| Some(false))?,
            13 => self.skip(16)?,
            _ => return None,
        }
        Some(())
    }

    /// A list's element type and length; `None` when it declares more elements than bytes are left.
    fn list_header(&mut self) -> Option<(u8, usize)> {
        let h = self.byte()?;
        let n = match h >> 4 {
            15 => usize::try_from(self.varint()?).ok()?,
            n => usize::from(n),
        };
        if n > self.left() {
            return None;
        }
        Some((h & 0x0f, n))
    }

    /// A struct's fields up to its stop byte. `on` sees each field's id and type first and returns
    /// true when it read the value itself.
    fn fields(
        &mut self,
        depth: u32,
        mut on: impl FnMut(&mut Self, i16, u8) -> Option<bool>,
    ) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        let mut id: i16 = 0;
        loop {
            let h = self.byte()?;
            let t = h & 0x0f;
            if t == 0 {
                return Some(());
            }
            id = match h >> 4 {
                0 => i16::try_from(self.zigzag_i32()?).ok()?,
                delta => id.checked_add(i16::from(delta))?,
            };
            if !on(self, id, t)? {
                self.value(t, false, depth)?;
            }
        }
    }
}

/// Whether the footer of the Parquet file in `bytes` is one arrow-rs can be trusted with (see above).
pub fn plausible(bytes: &[u8]) -> bool {
    let n = bytes.len();
    if n < 12 || &bytes[n - 4..] != b"PAR1" || &bytes[..4] != b"PAR1" {
        return false;
    }
    let len = u32::from_le_bytes([bytes[n - 8], bytes[n - 7], bytes[n - 6], bytes[n - 5]]) as usize;
    if len > MAX_FOOTER || len + 12 > n {
        return false;
    }
    let mut walk = Walk {
        bytes: &bytes[n - 8 - len..n - 8],
        at: 0,
    };
    let mut flat = false;
    let well_formed = walk.fields(0, |w, id, t| {
        // FileMetaData.schema (2): list<SchemaElement>, the root first; num_children is field 5.
        if id != 2 || t != LIST {
            return Some(false);
        }
        let (element, count) = w.list_header()?;
        if element != STRUCT || count == 0 {
            return None;
        }
        let mut leaves_ok = true;
        let mut root_children = None;
        for i in 0..count {
            let mut children = 0;
            w.fields(1, |w, id, t| {
                // The crate reads field 5 as an i32 by its id, whatever type the bytes claim.
                if id != 5 {
                    return Some(false);
                }
                if !(4..=6).contains(&t) {
                    return None;
                }
                children = w.zigzag_i32()?;
                Some(true)
            })?;
            if i == 0 {
                root_children = Some(children);
            } else if children != 0 {
                leaves_ok = false;
            }
        }
        flat = leaves_ok && root_children == i32::try_from(count - 1).ok();
        Some(true)
    });
    well_formed.is_some() && flat && walk.left() == 0
}

/// An integer field's value, whatever integer wire type the bytes give it (the crate reads fields by
/// id); `None` for a field of another type, so the caller refuses the page.
fn integer(w: &mut Walk, t: u8) -> Option<i64> {
    if !(4..=6).contains(&t) {
        return None;
    }
    let n = w.varint()?;
    Some((n >> 1) as i64 ^ -((n & 1) as i64))
}

/// The values of the data pages among the page headers from `start` to `end` (a column chunk), once
/// every dictionary page there is found to hold the values it declares (`num_values × width ≤
/// uncompressed_page_size`: the reader sizes a dictionary by its declared count before decoding it);
/// `None` when a header is malformed or a dictionary does not fit. Only headers are read; page bodies
/// are skipped.
pub fn chunk_values(bytes: &[u8], start: usize, end: usize, width: usize) -> Option<u64> {
    let chunk = bytes.get(start..end.min(bytes.len()))?;
    let mut walk = Walk {
        bytes: chunk,
        at: 0,
    };
    let mut data_values: u64 = 0;
    while walk.left() > 0 {
        let (mut kind, mut uncompressed, mut compressed, mut values) = (None, None, None, None);
        walk.fields(0, |w, id, t| {
            match id {
                1 => kind = Some(integer(w, t)?),
                2 => uncompressed = Some(integer(w, t)?),
                3 => compressed = Some(integer(w, t)?),
                // DataPageHeader (5), DictionaryPageHeader (7) and DataPageHeaderV2 (8) all start
                // with num_values.
                5 | 7 | 8 if t == STRUCT => {
                    w.fields(1, |w, id, t| {
                        if id != 1 {
                            return Some(false);
                        }
                        values = Some(integer(w, t)?);
                        Some(true)
                    })?;
                }
                5 | 7 | 8 => return None,
                _ => return Some(false),
            }
            Some(true)
        })?;
        let (kind, uncompressed, compressed) = (kind?, uncompressed?, compressed?);
        // PageType: DATA_PAGE 0, INDEX_PAGE 1, DICTIONARY_PAGE 2, DATA_PAGE_V2 3.
        match kind {
            2 => {
                let need = usize::try_from(values?).ok()?.checked_mul(width)?;
                if need > usize::try_from(uncompressed).ok()? {
                    return None;
                }
            }
            0 | 3 => data_values = data_values.checked_add(u64::try_from(values?).ok()?)?,
            _ => {}
        }
        walk.skip(usize::try_from(compressed).ok()?)?;
    }
    Some(data_values)
}
