//! Decodes a flat Parquet data file straight into the column arrays of the replay's column batches:
//! longs and timestamps as exact `f64`s, ints as `i32`s, doubles as `f64`s, strings as dictionary
//! codes. This is arrow-rs's reader, the one parquet-wasm runs as WebAssembly, run natively and
//! read column by column instead of through an Arrow IPC stream that JavaScript parses again.
//!
//! It only takes files it can decode whole and exactly: anything else (a missing column, another
//! type, a null, a long beyond ±2^53, a corrupt file, a panic in the reader) gives `null`, and the
//! caller decodes the file with parquet-wasm, whose checks name what is wrong. So this binding has
//! no error messages of its own to keep in step with the JavaScript ones. What the reader cannot
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

/// A field of the schema being read: its column name and how it is read.
#[napi(object)]
#[derive(Clone)]
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

/// What was decoded besides the columns: each batch's rows and each string column's dictionary.
#[napi(object)]
pub struct Decoded {
    /// Rows in each batch.
    pub rows: Vec<u32>,
    /// The dictionary of string column `f` of batch `b` at `b * fields + f` (its codes index it); empty for other columns.
    pub dictionaries: Vec<Vec<String>>,
}

/// 2^53: a long is exact as a JavaScript number when -2^53 < v < 2^53.
const EXACT: i64 = 1 << 53;

fn exact_numbers(values: &[i64], out: &mut [f64]) -> Option<()> {
    for (o, &v) in out.iter_mut().zip(values) {
        if v <= -EXACT || v >= EXACT {
            return None;
        }
        *o = v as f64;
    }
    Some(())
}

/// The destination of one column: the whole file's rows, batch after batch.
enum Out<'a> {
    Numbers(&'a mut [f64]),
    Ints(&'a mut [i32]),
}

/// Writes one column of one batch at `out[at..]`; its dictionary for a string column. `None` when it
/// has a null or a value this binding does not take.
fn column(kind: Kind, array: &ArrayRef, out: &mut Out, at: usize) -> Option<Vec<String>> {
    if array.null_count() > 0 {
        return None;
    }
    let n = array.len();
    match (kind, array.data_type(), out) {
        (Kind::Micros, DataType::Timestamp(..), Out::Numbers(o)) => exact_numbers(
            array.as_primitive::<TimestampMicrosecondType>().values(),
            o.get_mut(at..at + n)?,
        )?,
        (Kind::Micros | Kind::Long, DataType::Int64, Out::Numbers(o)) => exact_numbers(
            array.as_primitive::<Int64Type>().values(),
            o.get_mut(at..at + n)?,
        )?,
        (Kind::Int, DataType::Int32, Out::Ints(o)) => o
            .get_mut(at..at + n)?
            .copy_from_slice(array.as_primitive::<Int32Type>().values()),
        (Kind::Double, DataType::Float64, Out::Numbers(o)) => o
            .get_mut(at..at + n)?
            .copy_from_slice(array.as_primitive::<Float64Type>().values()),
        (Kind::Text, DataType::Dictionary(..), Out::Ints(o)) => {
            let dict = array.as_dictionary::<Int32Type>();
            let words = dict.values().as_string_opt::<i32>()?;
            if words.null_count() > 0 {
                return None;
            }
            o.get_mut(at..at + n)?.copy_from_slice(dict.keys().values());
            return Some(
                words
                    .iter()
                    .map(|w| w.unwrap_or_default().to_owned())
                    .collect(),
            );
        }
        (Kind::Text, DataType::Utf8, Out::Ints(o)) => {
            // Plain strings: codes in order of first appearance, as the JavaScript reader makes them.
            let words = array.as_string_opt::<i32>()?;
            let mut lookup: HashMap<&str, i32> = HashMap::new();
            let mut dictionary = Vec::new();
            for (code, w) in o.get_mut(at..at + n)?.iter_mut().zip(words.iter()) {
                let w = w.unwrap_or_default();
                let next = dictionary.len() as i32;
                *code = *lookup.entry(w).or_insert_with(|| {
                    dictionary.push(w.to_owned());
                    next
                });
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

/// Whether each dictionary page of the `leaves` holds the values it declares (footer.rs reads the
/// page headers of each column chunk: a dictionary page may also come after data pages).
fn dictionaries_fit(bytes: &Bytes, meta: &ParquetMetaData, leaves: &[usize]) -> Option<()> {
    for group in meta.row_groups() {
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
            if !footer::dictionaries_fit(bytes, start, end, width) {
                return None;
            }
        }
    }
    Some(())
}

fn decode(bytes: &Bytes, fields: &[Field], batch_rows: usize, outs: &mut [Out]) -> Option<Decoded> {
    if !footer::plausible(bytes) {
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
    dictionaries_fit(bytes, builder.metadata(), &roots)?;
    let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
    let reader = builder
        .with_batch_size(batch_rows)
        .with_projection(mask)
        .build()
        .ok()?;
    let mut decoded = Decoded {
        rows: Vec::new(),
        dictionaries: Vec::new(),
    };
    let mut at = 0;
    for batch in reader {
        let batch = batch.ok()?;
        decoded.rows.push(u32::try_from(batch.num_rows()).ok()?);
        for ((name, kind), out) in fields.iter().zip(outs.iter_mut()) {
            decoded
                .dictionaries
                .push(column(*kind, batch.column_by_name(name)?, out, at)?);
        }
        at += batch.num_rows();
    }
    // Every row of every column written: the file held exactly the rows its footer promised.
    if outs.iter().any(|o| match o {
        Out::Numbers(v) => v.len() != at,
        Out::Ints(v) => v.len() != at,
    }) {
        return None;
    }
    Some(decoded)
}

/// A panic in the reader means a file it could not read: parquet-wasm says why, so nothing is printed
/// (the hook is this addon's own: each Rust addon links its own standard library).
static QUIET_PANICS: std::sync::Once = std::sync::Once::new();

fn quietly<T>(f: impl FnOnce() -> Option<T>) -> Option<T> {
    QUIET_PANICS.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(None)
}

/// The rows of the Parquet file in `bytes`, as its footer gives them, or `null` when this binding
/// does not take the file (see footer.rs).
#[napi]
pub fn parquet_rows(bytes: Uint8Array) -> Option<f64> {
    let data = Bytes::copy_from_slice(&bytes);
    quietly(|| rows_of(&data))
        .and_then(std::result::Result::ok)
        .map(|rows| rows as f64)
}

/// The destinations of `columns` for `fields`, checked: one array per field, of the field's type, none
/// sharing memory with another.
fn destinations<'a>(
    fields: Vec<ColumnSpec>,
    columns: &'a mut [Either<Float64Array, Int32Array>],
) -> Result<(Vec<Field>, Vec<Out<'a>>)> {
    if columns.len() != fields.len() {
        return Err(Error::new(
            Status::InvalidArg,
            format!("{} columns for {} fields", columns.len(), fields.len()),
        ));
    }
    let mut specs = Vec::with_capacity(fields.len());
    let mut outs = Vec::with_capacity(fields.len());
    for (f, c) in fields.into_iter().zip(columns.iter_mut()) {
        let kind = kind_of(&f.kind).ok_or_else(|| {
            Error::new(
                Status::InvalidArg,
                format!(
                    "field \"{}\" has kind \"{}\": expected micros, long, int, double or string",
                    f.name, f.kind
                ),
            )
        })?;
        // SAFETY: the arrays are the call's arguments, kept alive by it, and not read by JavaScript until it settles.
        let out = match (kind, c) {
            (Kind::Int | Kind::Text, Either::B(ints)) => Out::Ints(unsafe { ints.as_mut() }),
            (Kind::Micros | Kind::Long | Kind::Double, Either::A(numbers)) => {
                Out::Numbers(unsafe { numbers.as_mut() })
            }
            _ => {
                return Err(Error::new(
                    Status::InvalidArg,
                    format!(
                        "field \"{}\" ({}) needs {}",
                        f.name,
                        f.kind,
                        if matches!(kind, Kind::Int | Kind::Text) {
                            "an Int32Array"
                        } else {
                            "a Float64Array"
                        }
                    ),
                ))
            }
        };
        specs.push((f.name, kind));
        outs.push(out);
    }
    let mut spans: Vec<(usize, usize)> = outs
        .iter()
        .map(|o| match o {
            Out::Numbers(v) => (v.as_ptr() as usize, std::mem::size_of_val(*v)),
            Out::Ints(v) => (v.as_ptr() as usize, std::mem::size_of_val(*v)),
        })
        .filter(|&(_, len)| len > 0)
        .collect();
    spans.sort_unstable();
    if spans.windows(2).any(|w| w[0].0 + w[0].1 > w[1].0) {
        return Err(Error::new(
            Status::InvalidArg,
            "two columns share memory: pass one array per field".to_owned(),
        ));
    }
    Ok((specs, outs))
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

/// Decodes `fields` of the Parquet file in `bytes` into `columns` (one per field, as long as the
/// file has rows: Float64Array for micros, long and double; Int32Array for int and the codes of a
/// string; the arrays must not overlap), in batches of `batch_rows` rows. Returns each batch's rows
/// and string dictionaries, or `null` when this binding does not decode the file whole and exactly
/// (see the module's comment: parquet-wasm then decodes it).
#[napi]
pub fn decode_columns(
    bytes: Uint8Array,
    fields: Vec<ColumnSpec>,
    batch_rows: u32,
    mut columns: Vec<Either<Float64Array, Int32Array>>,
) -> Result<Option<Decoded>> {
    check_batch_rows(batch_rows)?;
    let (specs, mut outs) = destinations(fields, &mut columns)?;
    let data = Bytes::copy_from_slice(&bytes);
    Ok(quietly(|| {
        decode(&data, &specs, batch_rows as usize, &mut outs)
    }))
}

/// What {@link footerRows} makes of a footer: the rows it declares, or why the file is corrupt.
#[napi(object, object_from_js = false)]
pub struct FooterRows {
    pub rows: Option<f64>,
    /// Why the file is corrupt, when its footer says so itself (its row groups do not add up to its
    /// row count, which both decoders would follow, dropping rows without a word).
    pub problem: Option<String>,
}

/// The rows that `footer` (a file's first 4 bytes, its footer, the footer's length and its last 4
/// bytes, once parquet-wasm parsed it: lib/io/native-columns.ts) declares, or `null` when this binding
/// does not take the footer (footer.rs). Cheap: a few KB are parsed on this thread, so the columns can
/// be allocated before the file is read.
#[napi]
pub fn footer_rows(footer: Uint8Array) -> Option<FooterRows> {
    let footer = Bytes::copy_from_slice(&footer);
    quietly(|| rows_of(&footer)).map(|read| match read {
        Ok(rows) => FooterRows {
            rows: Some(rows as f64),
            problem: None,
        },
        Err(problem) => FooterRows {
            rows: None,
            problem: Some(problem),
        },
    })
}

/// What the thread pool made of a data file.
#[napi(object, object_from_js = false)]
pub struct ReadOutcome {
    /// The hex sha256 of the bytes, when asked for (or when a hash to match was given).
    pub sha256: Option<String>,
    /// Why the file cannot be read (it shrank, a read failed).
    pub problem: Option<String>,
    /// The columns' batches and dictionaries, when decoded here.
    pub decoded: Option<Decoded>,
    /// The bytes, when they were read whole, have the expected hash, and were not decoded here: held
    /// for {@link heldBytes}.
    pub file: Option<External<Bytes>>,
}

/// The columns to decode a file into, and the rows its checked footer declares.
pub struct Destination {
    fields: Vec<ColumnSpec>,
    batch_rows: u32,
    columns: Vec<Either<Float64Array, Int32Array>>,
    footer: Vec<u8>,
    rows: u64,
}

pub struct ReadFile {
    file: std::fs::File,
    size: usize,
    hash: bool,
    expect: Option<String>,
    into: Option<Destination>,
}

/// What the pool made of the file: its hash, why it could not be read, its decoding, or its bytes.
type Outcome = (
    Option<String>,
    Option<String>,
    Option<Decoded>,
    Option<Bytes>,
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

/// Decodes `bytes` into `into`'s columns when they end with its footer and declare its rows.
fn decode_into(bytes: &Bytes, into: &mut Destination) -> Result<Option<Decoded>> {
    if !has_footer(bytes, &into.footer) {
        return Ok(None);
    }
    let fields = std::mem::take(&mut into.fields);
    let (specs, mut outs) = destinations(fields, &mut into.columns)?;
    let rows = into.rows;
    let batch_rows = into.batch_rows as usize;
    Ok(quietly(|| {
        matches!(rows_of(bytes), Some(Ok(r)) if r == rows)
            .then(|| decode(bytes, &specs, batch_rows, &mut outs))
            .flatten()
    }))
}

impl Task for ReadFile {
    type Output = Outcome;
    type JsValue = ReadOutcome;

    fn compute(&mut self) -> Result<Outcome> {
        let bytes = match read_whole(&self.file, self.size) {
            Ok(b) => Bytes::from(b),
            Err(why) => return Ok((None, Some(why), None, None)),
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
            return Ok((sha256, None, None, None));
        }
        let decoded = match self.into.as_mut() {
            Some(into) => decode_into(&bytes, into)?,
            None => None,
        };
        Ok(match decoded {
            Some(d) => (sha256, None, Some(d), None),
            None => (sha256, None, None, Some(bytes)),
        })
    }

    fn resolve(
        &mut self,
        _env: Env,
        (sha256, problem, decoded, bytes): Outcome,
    ) -> Result<ReadOutcome> {
        Ok(ReadOutcome {
            sha256: sha256.filter(|_| self.hash),
            problem,
            decoded,
            file: bytes.map(External::new),
        })
    }
}

/// Reads the `size` bytes of the open file `fd` (duplicated here: the caller may close its own as
/// soon as this returns) on libuv's thread pool, takes their sha256 (when `hash`, or to compare with
/// `expect`) and decodes `fields` into `columns` (see {@link decodeColumns}) when the bytes end with
/// `footer` (the one {@link footerRows} read `rows` from) and declare those rows; all in one task, so
/// the decoding does not wait for JavaScript between the read and the decode. A file whose hash is
/// not `expect` is not read further. The columns must not be touched until the promise settles.
#[napi(ts_return_type = "Promise<ReadOutcome>")]
#[allow(clippy::too_many_arguments)]
pub fn read_file(
    fd: i32,
    size: f64,
    hash: bool,
    expect: Option<String>,
    footer: Option<Uint8Array>,
    rows: Option<f64>,
    fields: Option<Vec<ColumnSpec>>,
    batch_rows: u32,
    columns: Option<Vec<Either<Float64Array, Int32Array>>>,
) -> Result<AsyncTask<ReadFile>> {
    use std::os::fd::BorrowedFd;
    if fd < 0 || !(0.0..=f64::from(u32::MAX)).contains(&size) || size.fract() != 0.0 {
        return Err(Error::new(
            Status::InvalidArg,
            format!("fd {fd} and size {size}: expected an open descriptor and a whole number of bytes below 2^32"),
        ));
    }
    let into = match (footer, rows, fields, columns) {
        (Some(footer), Some(rows), Some(fields), Some(mut columns)) => {
            check_batch_rows(batch_rows)?;
            destinations(fields.clone(), &mut columns)?; // refused here, not on the pool
            if !(rows >= 0.0 && rows.fract() == 0.0 && rows < 2f64.powi(53)) {
                return Err(Error::new(
                    Status::InvalidArg,
                    format!("rows {rows}: expected a whole number"),
                ));
            }
            Some(Destination {
                fields,
                batch_rows,
                columns,
                footer: footer.to_vec(),
                rows: rows as u64,
            })
        }
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

/// A copy of the bytes {@link readFile} held, for parquet-wasm when this binding does not decode them.
#[napi]
pub fn held_bytes(file: &External<Bytes>) -> Buffer {
    Buffer::from(file.to_vec())
}
