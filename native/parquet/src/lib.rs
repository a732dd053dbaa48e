//! Decodes a flat Parquet data file straight into the column arrays of the replay's column batches:
//! longs and timestamps as exact `f64`s, ints as `i32`s, doubles as `f64`s, strings as dictionary
//! codes. This is arrow-rs's reader, the one parquet-wasm runs as WebAssembly, run natively and
//! read column by column instead of through an Arrow IPC stream that JavaScript parses again.
//!
//! It only takes files it can decode whole and exactly: anything else (a missing column, another
//! type, a null, a long beyond ±2^53, a corrupt file, a panic in the reader) gives `null`, and the
//! caller decodes the file with parquet-wasm, whose checks name what is wrong. So this binding has
//! no error messages of its own to keep in step with the JavaScript ones, but for two that only it
//! can say: a footer whose row groups, or whose pages, hold other rows than it counts. What the reader cannot
//! survive (an allocation it cannot make aborts the process; a deep schema overflows the stack) is
//! kept from it: footers are checked first (footer.rs), dictionaries against their pages, and on the
//! thread pool a file is hashed, and compared with the hash its manifest gives, before it is read.

use std::collections::HashMap;

use std::panic::{catch_unwind, AssertUnwindSafe};

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type, TimestampMicrosecondType};
use arrow_array::{Array, ArrayRef};
use arrow_schema::{DataType, TimeUnit};
use bytes::Bytes;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ProjectionMask;
use parquet::basic::Type as Physical;
use parquet::file::metadata::ParquetMetaData;
use parquet::file::reader::{FileReader, SerializedFileReader};

mod footer;
mod write;

/// A field of the schema being read: its column name and how it is read.
#[napi(object)]
pub struct ColumnSpec {
    pub name: String,
    /// `micros` (TIMESTAMP(MICROS) or INT64), `long` (INT64), `int` (INT32), `double` (DOUBLE) or `string` (UTF8, plain or dictionary).
    pub kind: String,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Micros,
    Long,
    Int,
    Double,
    Text,
}

/// A field to read: its column's name and how it is read.
type Field = (String, Kind);

fn kind_of(name: &str) -> Option<Kind> {
    Some(match name {
        "micros" => Kind::Micros,
        "long" => Kind::Long,
        "int" => Kind::Int,
        "double" => Kind::Double,
        "string" => Kind::Text,
        _ => return None,
    })
}

/// Whether a column of `t` is read exactly by this binding as `kind` (the JavaScript checks accept
/// more, such as FLOAT for a double: those files go to parquet-wasm).
fn takes(kind: Kind, t: &DataType) -> bool {
    match kind {
        Kind::Micros => matches!(
            t,
            DataType::Int64 | DataType::Timestamp(TimeUnit::Microsecond, _)
        ),
        Kind::Long => matches!(t, DataType::Int64),
        Kind::Int => matches!(t, DataType::Int32),
        Kind::Double => matches!(t, DataType::Float64),
        Kind::Text => match t {
            DataType::Utf8 => true,
            DataType::Dictionary(k, v) => **k == DataType::Int32 && **v == DataType::Utf8,
            _ => false,
        },
    }
}

/// A decoded file: each batch's rows, each string column's dictionaries, and the columns, whole.
#[napi(object, object_from_js = false)]
pub struct Decoded {
    /// Rows in each batch.
    pub rows: Vec<u32>,
    /// The dictionary of string column `f` of batch `b` at `b * fields + f` (its codes index it); empty for other columns.
    pub dictionaries: Vec<Vec<String>>,
    /// One per field, every row of the file (batch `b` is the `rows[b]` rows after the earlier
    /// batches'): Float64Array for micros, long and double, Int32Array for int and a string's codes.
    pub columns: Vec<Either<Float64Array, Int32Array>>,
}

/// One column of the whole file, as decoded (on any thread; typed arrays are made on JavaScript's).
pub enum Column {
    Numbers(Vec<f64>),
    Ints(Vec<i32>),
}

/// A decoded file before it becomes a {@link Decoded}.
pub struct Columns {
    rows: Vec<u32>,
    dictionaries: Vec<Vec<String>>,
    columns: Vec<Column>,
}

impl From<Columns> for Decoded {
    fn from(c: Columns) -> Decoded {
        Decoded {
            rows: c.rows,
            dictionaries: c.dictionaries,
            columns: c
                .columns
                .into_iter()
                .map(|column| match column {
                    Column::Numbers(v) => Either::A(Float64Array::new(v)),
                    Column::Ints(v) => Either::B(Int32Array::new(v)),
                })
                .collect(),
        }
    }
}

/// Decoded columns may take this many times the file's bytes (plus 16 MiB): a footer that claims more
/// rows than the bytes can plausibly hold allocates nothing, and the file is left to parquet-wasm.
const EXPANSION: usize = 64;

/// 2^53: a long is exact as a JavaScript number when -2^53 < v < 2^53.
const EXACT: i64 = 1 << 53;

/// Appends `values` to `out` as exact numbers, or `None` when one is beyond ±2^53.
fn exact_numbers(values: &[i64], out: &mut Vec<f64>) -> Option<()> {
    if values.iter().any(|&v| v <= -EXACT || v >= EXACT) {
        return None;
    }
    out.extend(values.iter().map(|&v| v as f64));
    Some(())
}

impl Column {
    fn len(&self) -> usize {
        match self {
            Column::Numbers(v) => v.len(),
            Column::Ints(v) => v.len(),
        }
    }

    /// Room for `n` more rows, or `None` when it cannot be had (an allocation that fails is a file
    /// left to parquet-wasm, not an abort).
    fn reserve(&mut self, n: usize, exact: bool) -> Option<()> {
        match (self, exact) {
            (Column::Numbers(v), true) => v.try_reserve_exact(n).ok(),
            (Column::Numbers(v), false) => v.try_reserve(n).ok(),
            (Column::Ints(v), true) => v.try_reserve_exact(n).ok(),
            (Column::Ints(v), false) => v.try_reserve(n).ok(),
        }
    }
}

/// Appends one column of one batch to `out`; its dictionary for a string column. `None` when it has
/// a null or a value this binding does not take, or would take `out` past `limit` rows.
fn column(kind: Kind, array: &ArrayRef, out: &mut Column, limit: usize) -> Option<Vec<String>> {
    if array.null_count() > 0 {
        return None;
    }
    let n = array.len();
    if out.len().checked_add(n)? > limit {
        return None;
    }
    out.reserve(n, false)?;
    match (kind, array.data_type(), out) {
        (Kind::Micros, DataType::Timestamp(..), Column::Numbers(o)) => {
            exact_numbers(array.as_primitive::<TimestampMicrosecondType>().values(), o)?
        }
        (Kind::Micros | Kind::Long, DataType::Int64, Column::Numbers(o)) => {
            exact_numbers(array.as_primitive::<Int64Type>().values(), o)?
        }
        (Kind::Int, DataType::Int32, Column::Ints(o)) => {
            o.extend_from_slice(array.as_primitive::<Int32Type>().values())
        }
        (Kind::Double, DataType::Float64, Column::Numbers(o)) => {
            o.extend_from_slice(array.as_primitive::<Float64Type>().values())
        }
        (Kind::Text, DataType::Dictionary(..), Column::Ints(o)) => {
            let dict = array.as_dictionary::<Int32Type>();
            let words = dict.values().as_string_opt::<i32>()?;
            if words.null_count() > 0 {
                return None;
            }
            o.extend_from_slice(dict.keys().values());
            return Some(
                words
                    .iter()
                    .map(|w| w.unwrap_or_default().to_owned())
                    .collect(),
            );
        }
        (Kind::Text, DataType::Utf8, Column::Ints(o)) => {
            // Plain strings: codes in order of first appearance, as the JavaScript reader makes them.
            let words = array.as_string_opt::<i32>()?;
            let mut lookup: HashMap<&str, i32> = HashMap::new();
            let mut dictionary = Vec::new();
            for w in words.iter() {
                let w = w.unwrap_or_default();
                let next = dictionary.len() as i32;
                o.push(*lookup.entry(w).or_insert_with(|| {
                    dictionary.push(w.to_owned());
                    next
                }));
            }
            return Some(dictionary);
        }
        _ => return None,
    }
    Some(Vec::new())
}

/// The rows the file's footer declares, when the footer is plausible (footer.rs), parses, and its row
/// groups add up to it.
fn rows_of(bytes: &Bytes) -> Option<std::result::Result<u64, String>> {
    if !footer::plausible(bytes) {
        return None;
    }
    let file = SerializedFileReader::new(bytes.clone()).ok()?;
    let meta = file.metadata();
    let rows = meta.file_metadata().num_rows();
    // Pages no row group lists would be skipped without a word: a footer stripped of its row groups
    // reads as an empty file. (A file written without rows has nothing between its magic and footer.)
    let n = bytes.len();
    let footer_len = u32::from_le_bytes(bytes[n - 8..n - 4].try_into().ok()?) as usize;
    let unlisted = n.checked_sub(12 + footer_len)?;
    if meta.row_groups().is_empty() && unlisted > 0 {
        return Some(Err(format!(
            "its footer lists no row groups, but {unlisted} bytes lie before it: the file is corrupt"
        )));
    }
    let groups = meta.row_groups().iter().try_fold(0i64, |n, g| {
        n.checked_add(g.num_rows()).filter(|_| g.num_rows() >= 0)
    });
    // Both decoders would read what the footer counts, and a file whose row groups hold more would
    // lose rows without a word: say so instead.
    Some(match (u64::try_from(rows), groups) {
        (Ok(r), Some(g)) if g == rows => Ok(r),
        (_, Some(g)) => Err(format!(
            "its footer counts {rows} rows and its row groups {g}: the file is corrupt"
        )),
        _ => Err(format!(
            "its footer counts {rows} rows and its row groups a count that is negative or too large: the file is corrupt"
        )),
    })
}

/// Whether the pages of the `leaves` are what the footer says (footer.rs reads their headers): each
/// dictionary page holds the values it declares, and each column chunk's data pages hold its row
/// group's rows (the schema is flat: one value a row). `None` when a header is malformed or a
/// dictionary does not fit; `Err` when the pages hold other rows than the footer counts, which both
/// decoders would follow without a word (a footer that counts 0 rows over a day's pages reads as an
/// empty day).
fn pages_fit(
    bytes: &Bytes,
    meta: &ParquetMetaData,
    leaves: &[usize],
) -> Option<std::result::Result<(), String>> {
    for (g, group) in meta.row_groups().iter().enumerate() {
        for &c in leaves {
            let column = group.column(c);
            let width = match column.column_type() {
                Physical::BOOLEAN => 0,
                Physical::INT32 | Physical::FLOAT | Physical::BYTE_ARRAY => 4,
                Physical::INT64 | Physical::DOUBLE => 8,
                Physical::INT96 => 12,
                Physical::FIXED_LEN_BYTE_ARRAY => {
                    usize::try_from(column.column_descr().type_length())
                        .ok()?
                        .max(1)
                }
            };
            let (start, length) = column.byte_range();
            let start = usize::try_from(start).ok()?;
            let end = start.checked_add(usize::try_from(length).ok()?)?;
            let values = footer::chunk_values(bytes, start, end, width)?;
            if i64::try_from(values).ok() != Some(group.num_rows()) {
                return Some(Err(format!(
                    "its row group {g} counts {} rows and the pages of its column \"{}\" hold {values}: the file is corrupt",
                    group.num_rows(),
                    column.column_descr().name()
                )));
            }
        }
    }
    Some(Ok(()))
}

/// `fields` of the file in `bytes`, in batches of `batch_rows` rows, with the rows its footer declares
/// (when footer.rs passes it and it parses; a panic in the reader is `None`). The decoding is `Err`
/// when the file says itself that it is corrupt (its row groups, or its pages, hold other rows than its
/// footer counts), `None` when this binding does not decode it whole and exactly (see the module's
/// comment).
fn decode(
    bytes: &Bytes,
    fields: &[Field],
    batch_rows: usize,
) -> (Option<u64>, Option<std::result::Result<Columns, String>>) {
    match quietly(|| rows_of(bytes)) {
        Some(Ok(rows)) => (
            Some(rows),
            quietly(|| decode_rows(bytes, fields, batch_rows, usize::try_from(rows).ok()?)),
        ),
        Some(Err(problem)) => (None, Some(Err(problem))),
        None => (None, None),
    }
}

/// {@link decode} of a file whose footer declares `rows`, as rows_of read them (so the footer passed
/// footer.rs's checks: decode calls it after rows_of only).
fn decode_rows(
    bytes: &Bytes,
    fields: &[Field],
    batch_rows: usize,
    rows: usize,
) -> Option<std::result::Result<Columns, String>> {
    let row_bytes: usize = fields
        .iter()
        .map(|(_, k)| {
            if matches!(k, Kind::Int | Kind::Text) {
                4
            } else {
                8
            }
        })
        .sum();
    if rows.checked_mul(row_bytes)? > EXPANSION.checked_mul(bytes.len())? + (16 << 20) {
        return None;
    }
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes.clone()).ok()?;
    let schema = builder.schema().clone();
    let mut roots = Vec::with_capacity(fields.len());
    for (name, kind) in fields {
        let (index, field) = schema.column_with_name(name)?;
        if !takes(*kind, field.data_type()) {
            return None;
        }
        roots.push(index);
    }
    // The schema is flat (footer.rs): root i is leaf column i.
    if let Err(problem) = pages_fit(bytes, builder.metadata(), &roots)? {
        return Some(Err(problem));
    }
    let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
    let reader = builder
        .with_batch_size(batch_rows)
        .with_projection(mask)
        .build()
        .ok()?;
    let mut decoded = Columns {
        rows: Vec::new(),
        dictionaries: Vec::new(),
        columns: fields
            .iter()
            .map(|(_, k)| match k {
                Kind::Int | Kind::Text => Column::Ints(Vec::new()),
                _ => Column::Numbers(Vec::new()),
            })
            .collect(),
    };
    // Room for the footer's rows as long as the bytes plausibly hold them (8 times the file, where
    // these files decode to 2 or 3 times it); past that, the columns grow with the rows the pages
    // hold, so a footer's claim alone allocates nothing.
    let likely = (8 * bytes.len()) / row_bytes.max(1) + batch_rows;
    for out in decoded.columns.iter_mut() {
        out.reserve(rows.min(likely), true)?;
    }
    let mut at = 0;
    for batch in reader {
        let batch = batch.ok()?;
        decoded.rows.push(u32::try_from(batch.num_rows()).ok()?);
        for ((name, kind), out) in fields.iter().zip(decoded.columns.iter_mut()) {
            decoded
                .dictionaries
                .push(column(*kind, batch.column_by_name(name)?, out, rows)?);
        }
        at += batch.num_rows();
    }
    // Both decoders stop where the pages end: fewer rows than the footer promised would be lost
    // without a word (parquet-wasm gives what it found).
    if at != rows {
        return Some(Err(format!(
            "its footer counts {rows} rows and its pages hold {at}: the file is corrupt"
        )));
    }
    Some(Ok(decoded))
}

/// A panic in the reader means a file it could not read: parquet-wasm says why, so nothing is printed
/// (the hook is this addon's own: each Rust addon links its own standard library).
static QUIET_PANICS: std::sync::Once = std::sync::Once::new();

fn quietly<T>(f: impl FnOnce() -> Option<T>) -> Option<T> {
    QUIET_PANICS.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(None)
}

/// The fields of a call, checked: each kind one this binding reads.
fn fields_of(fields: Vec<ColumnSpec>) -> Result<Vec<Field>> {
    fields
        .into_iter()
        .map(|f| {
            let kind = kind_of(&f.kind).ok_or_else(|| {
                Error::new(
                    Status::InvalidArg,
                    format!(
                        "field \"{}\" has kind \"{}\": expected micros, long, int, double or string",
                        f.name, f.kind
                    ),
                )
            })?;
            Ok((f.name, kind))
        })
        .collect()
}

fn check_batch_rows(batch_rows: u32) -> Result<()> {
    if batch_rows == 0 {
        return Err(Error::new(
            Status::InvalidArg,
            "batchRows must be at least 1".to_owned(),
        ));
    }
    Ok(())
}

/// Decodes `fields` of the Parquet file in `bytes` in batches of `batch_rows` rows, on this thread.
/// Returns each batch's rows and string dictionaries and the columns (Float64Array for micros, long and
/// double; Int32Array for int and the codes of a string), or `null` when this binding does not decode
/// the file whole and exactly, or the file says itself that it is corrupt (see the module's comment:
/// parquet-wasm then decodes it).
#[napi]
pub fn decode_columns(
    bytes: Uint8Array,
    fields: Vec<ColumnSpec>,
    batch_rows: u32,
) -> Result<Option<Decoded>> {
    check_batch_rows(batch_rows)?;
    let fields = fields_of(fields)?;
    let data = Bytes::copy_from_slice(&bytes);
    Ok(decode(&data, &fields, batch_rows as usize)
        .1
        .and_then(std::result::Result::ok)
        .map(Decoded::from))
}

/// What the thread pool made of a data file.
#[napi(object, object_from_js = false)]
pub struct ReadOutcome {
    /// The hex sha256 of the bytes, when asked for (or when a hash to match was given).
    pub sha256: Option<String>,
    /// Why the file cannot be read (it shrank, a read failed), or why it is corrupt by its own
    /// footer (its row groups, or its pages, hold other rows than it counts).
    pub problem: Option<String>,
    /// The file decoded, when this binding decoded it.
    pub decoded: Option<Decoded>,
    /// The bytes read, when they have the expected hash and were not decoded here (for parquet-wasm).
    pub bytes: Option<Buffer>,
    /// The rows the footer declares, when it was the checked footer and this binding read it: what
    /// parquet-wasm must find too, when it decodes the bytes.
    pub rows: Option<f64>,
}

/// What to decode a file into: its fields, the batches' size, and the footer parquet-wasm parsed.
struct Target {
    fields: Vec<Field>,
    batch_rows: usize,
    footer: Vec<u8>,
}

pub struct ReadFile {
    file: std::fs::File,
    size: usize,
    hash: bool,
    expect: Option<String>,
    into: Option<Target>,
}

/// What the pool made of the file: its hash, why it could not be read or is corrupt, its columns or
/// its bytes, and the rows its checked footer declares.
type Outcome = (
    Option<String>,
    Option<String>,
    Option<Columns>,
    Option<Vec<u8>>,
    Option<u64>,
);

/// `size` bytes of `file` from its start, or why not (the messages of lib/io/parquet.ts: readDataBytes).
fn read_whole(file: &std::fs::File, size: usize) -> std::result::Result<Vec<u8>, String> {
    use std::os::unix::fs::FileExt;
    let mut bytes = vec![0u8; size];
    let mut at = 0;
    while at < size {
        match file.read_at(&mut bytes[at..], at as u64) {
            Ok(0) => return Err(format!("shrank while read ({at} of {size} bytes)")),
            Ok(n) => at += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("cannot read: {e}")),
        }
    }
    Ok(bytes)
}

/// Whether `bytes` end with the footer that was checked (`footer`: the file's first 4 bytes, then
/// its footer, its length and its last 4), so the reader parses only a footer that parquet-wasm parsed.
fn has_footer(bytes: &[u8], footer: &[u8]) -> bool {
    footer.len() >= 12
        && bytes.len() >= footer.len()
        && bytes[..4] == footer[..4]
        && bytes[bytes.len() - (footer.len() - 4)..] == footer[4..]
}

impl Task for ReadFile {
    type Output = Outcome;
    type JsValue = ReadOutcome;

    fn compute(&mut self) -> Result<Outcome> {
        let bytes = match read_whole(&self.file, self.size) {
            Ok(b) => Bytes::from(b),
            Err(why) => return Ok((None, Some(why), None, None, None)),
        };
        let sha256 = (self.hash || self.expect.is_some()).then(|| {
            use sha2::Digest;
            sha2::Sha256::digest(&bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        });
        // A file that is not the one the manifest names is never decoded: its hash is the news.
        if self.expect.is_some() && self.expect != sha256 {
            return Ok((sha256, None, None, None, None));
        }
        let (rows, decoded) = match &self.into {
            Some(t) if has_footer(&bytes, &t.footer) => decode(&bytes, &t.fields, t.batch_rows),
            _ => (None, None),
        };
        Ok(match decoded {
            Some(Ok(columns)) => (sha256, None, Some(columns), None, rows),
            Some(Err(problem)) => (sha256, Some(problem), None, None, rows),
            // Back to a Vec without a copy: the reader's clones are gone.
            None => (sha256, None, None, Some(Vec::from(bytes)), rows),
        })
    }

    fn resolve(
        &mut self,
        _env: Env,
        (sha256, problem, columns, bytes, rows): Outcome,
    ) -> Result<ReadOutcome> {
        Ok(ReadOutcome {
            sha256: sha256.filter(|_| self.hash),
            problem,
            decoded: columns.map(Decoded::from),
            bytes: bytes.map(Buffer::from),
            rows: rows.map(|r| r as f64),
        })
    }
}

/// Reads the `size` bytes of the open file `fd` (duplicated here: the caller may close its own as
/// soon as this returns) on libuv's thread pool, takes their sha256 (when `hash`, or to compare with
/// `expect`), and decodes `fields` in batches of `batch_rows` (see {@link decodeColumns}) when the
/// bytes end with `footer` (the one parquet-wasm parsed: lib/io/native-columns.ts); all in one task,
/// so nothing waits for JavaScript between the read and the decoding, and nothing is allocated for
/// the columns before the hash is known to match. A file whose hash is not `expect` is not read further.
#[napi(ts_return_type = "Promise<ReadOutcome>")]
pub fn read_file(
    fd: i32,
    size: f64,
    hash: bool,
    expect: Option<String>,
    footer: Option<Uint8Array>,
    fields: Option<Vec<ColumnSpec>>,
    batch_rows: u32,
) -> Result<AsyncTask<ReadFile>> {
    use std::os::fd::BorrowedFd;
    if fd < 0 || !(0.0..=f64::from(u32::MAX)).contains(&size) || size.fract() != 0.0 {
        return Err(Error::new(
            Status::InvalidArg,
            format!("fd {fd} and size {size}: expected an open descriptor and a whole number of bytes below 2^32"),
        ));
    }
    check_batch_rows(batch_rows)?;
    let into = match (footer, fields) {
        (Some(footer), Some(fields)) => Some(Target {
            fields: fields_of(fields)?,
            batch_rows: batch_rows as usize,
            footer: footer.to_vec(),
        }),
        _ => None,
    };
    // SAFETY: only borrowed for the duplication; an fd that is not open fails it.
    let fd = unsafe { BorrowedFd::borrow_raw(fd) }
        .try_clone_to_owned()
        .map_err(|e| Error::new(Status::InvalidArg, format!("fd {fd}: {e}")))?;
    Ok(AsyncTask::new(ReadFile {
        file: std::fs::File::from(fd),
        size: size as usize,
        hash,
        expect,
        into,
    }))
}

/// Fixes glibc's mmap threshold at `bytes` for the whole process: allocations of that size or more are
/// mapped on their own and go back to the system when freed, instead of staying in a thread's arena
/// (glibc raises the threshold up to 32 MiB after each such free otherwise, so the decoder's columns,
/// allocated on the thread pool and freed on the main thread, end up held there). `false` where the C
/// library is not glibc (nothing changes). The default backtest's peak RSS falls by about 80 MB
/// (docs/benchmarks.md, "Memory of the default backtest").
#[napi]
pub fn fix_mmap_threshold(bytes: i32) -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn mallopt(param: i32, value: i32) -> i32;
        }
        /// M_MMAP_THRESHOLD in glibc's malloc.h.
        const M_MMAP_THRESHOLD: i32 = -3;
        // SAFETY: mallopt takes plain integers; glibc returns 1 on success.
        unsafe { mallopt(M_MMAP_THRESHOLD, bytes.max(0)) == 1 }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        let _ = bytes;
        false
    }
}
