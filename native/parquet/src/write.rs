//! Writes the run's outputs: an Arrow IPC stream (what `RecordColumns.ipc()` makes) encoded as
//! Parquet by arrow-rs's writer, the one parquet-wasm runs as WebAssembly, here native and on libuv's
//! thread pool, so the graph thread only builds the stream.

use std::io::Cursor;

use arrow_ipc::reader::StreamReader;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use parquet::arrow::{ArrowSchemaConverter, ArrowWriter};
use parquet::basic::{Compression, Type as Physical};
use parquet::file::properties::WriterProperties;

/// The writer's settings: parquet-wasm's (snappy, `created_by`, a dictionary for every column), so a
/// flat file comes out byte for byte as parquet-wasm wrote it (fills, orders, costs), but for the
/// floating-point columns inside lists: the equity file's positions, a million doubles a run, whose
/// dictionary the writer built until it gave up on it (250 of its 300 ms).
fn properties(
    schema: &arrow_schema::Schema,
    created_by: &str,
) -> std::result::Result<WriterProperties, String> {
    let parquet = ArrowSchemaConverter::new()
        .convert(schema)
        .map_err(|e| e.to_string())?;
    let mut props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_created_by(created_by.to_string());
    for column in parquet.columns() {
        let nested = column.path().parts().len() > 1;
        if nested && matches!(column.physical_type(), Physical::DOUBLE | Physical::FLOAT) {
            props = props.set_column_dictionary_enabled(column.path().clone(), false);
        }
    }
    Ok(props.build())
}

/// Parquet bytes of the Arrow IPC stream `ipc`, or why it cannot be written.
fn parquet_of(ipc: &[u8], created_by: &str) -> std::result::Result<Vec<u8>, String> {
    check_framing(ipc)?;
    let reader = StreamReader::try_new(Cursor::new(ipc), None)
        .map_err(|e| format!("not an Arrow IPC stream: {e}"))?;
    let schema = reader.schema();
    let mut writer = ArrowWriter::try_new(
        Vec::new(),
        schema.clone(),
        Some(properties(&schema, created_by)?),
    )
    .map_err(|e| e.to_string())?;
    for batch in reader {
        writer
            .write(&batch.map_err(|e| format!("a batch of the Arrow IPC stream: {e}"))?)
            .map_err(|e| e.to_string())?;
    }
    writer.into_inner().map_err(|e| e.to_string())
}

/// Rows a record batch may claim beyond what its bytes could hold at a bit a row (columns of nulls
/// hold none): enough for any batch this project writes, and a bounded allocation for a forged one.
const SLACK_ROWS: i64 = 1 << 20;

/// Walks the stream's messages before the reader does: arrow-rs allocates what a message's lengths
/// claim before it reads, and an allocation that fails aborts the process (no `catch_unwind` helps).
/// So every metadata and body length must fit in the bytes left, and every record batch claim no more
/// rows than its body could hold.
fn check_framing(ipc: &[u8]) -> std::result::Result<(), String> {
    let word = |at: usize| {
        ipc.get(at..at + 4)
            .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let cut = |at: usize| {
        format!(
            "not an Arrow IPC stream: it is cut at byte {at} of {}",
            ipc.len()
        )
    };
    let mut at = 0;
    while at < ipc.len() {
        let mut len = word(at).ok_or_else(|| cut(at))?;
        at += 4;
        if len == -1 {
            // The continuation marker before each message's length (Arrow ≥ 0.15).
            len = word(at).ok_or_else(|| cut(at))?;
            at += 4;
        }
        if len == 0 {
            return Ok(()); // the end-of-stream marker
        }
        let left = ipc.len() - at;
        let len = usize::try_from(len).ok().filter(|&n| n <= left).ok_or_else(|| {
            format!("not an Arrow IPC stream: a message at byte {at} claims {len} bytes of metadata, {left} are left")
        })?;
        let message = arrow_ipc::root_as_message(&ipc[at..at + len])
            .map_err(|e| format!("not an Arrow IPC stream: the message at byte {at}: {e}"))?;
        at += len;
        let left = ipc.len() - at;
        let body = message.bodyLength();
        let body = usize::try_from(body).ok().filter(|&n| n <= left).ok_or_else(|| {
            format!("not an Arrow IPC stream: a message at byte {at} claims a body of {body} bytes, {left} are left")
        })?;
        if let Some(batch) = message.header_as_record_batch() {
            let most = (body as i64).saturating_mul(8).saturating_add(SLACK_ROWS);
            if !(0..=most).contains(&batch.length()) {
                return Err(format!(
                    "not an Arrow IPC stream: a record batch at byte {at} claims {} rows in a body of {body} bytes",
                    batch.length()
                ));
            }
        }
        at += body;
    }
    Ok(())
}

pub struct WriteParquet {
    ipc: Vec<u8>,
    created_by: String,
}

impl Task for WriteParquet {
    type Output = Vec<u8>;
    type JsValue = Buffer;

    fn compute(&mut self) -> Result<Vec<u8>> {
        // A stream the reader or the writer cannot take is an error for the caller, not a panic
        // across the pool thread.
        crate::quietly(|| Some(parquet_of(&self.ipc, &self.created_by)))
            .unwrap_or_else(|| {
                Err("not an Arrow IPC stream the Parquet writer can take".to_string())
            })
            .map_err(|why| Error::new(Status::GenericFailure, why))
    }

    fn resolve(&mut self, _env: Env, bytes: Vec<u8>) -> Result<Buffer> {
        Ok(Buffer::from(bytes))
    }
}

/// The Parquet bytes of the Arrow IPC stream `ipc`, written on libuv's thread pool: snappy,
/// `created_by` in the footer, no dictionary for floating-point columns inside lists. The stream is copied first,
/// so JavaScript may release (or detach) its memory as soon as this returns.
#[napi(ts_return_type = "Promise<Buffer>")]
pub fn parquet_of_ipc(ipc: Uint8Array, created_by: String) -> AsyncTask<WriteParquet> {
    AsyncTask::new(WriteParquet {
        ipc: ipc.to_vec(),
        created_by,
    })
}
