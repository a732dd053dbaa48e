//! Writes the run's outputs: an Arrow IPC stream (what `RecordColumns.ipc()` makes) encoded as
//! Parquet by arrow-rs's writer, the one parquet-wasm runs as WebAssembly, here native and on libuv's
//! thread pool, so the graph thread only builds the stream.

use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};

use arrow_ipc::reader::StreamReader;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use parquet::arrow::{ArrowSchemaConverter, ArrowWriter};
use parquet::basic::{Compression, Type as Physical};
use parquet::file::properties::WriterProperties;

/// The writer's settings: snappy, `created_by`, and dictionaries only where values repeat. A column
/// of doubles (prices, quantities, P&L) rarely does, and building its dictionary until the writer
/// gives up on it was most of the encoding time (the equity file's positions: 250 of 300 ms).
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
        if matches!(column.physical_type(), Physical::DOUBLE | Physical::FLOAT) {
            props = props.set_column_dictionary_enabled(column.path().clone(), false);
        }
    }
    Ok(props.build())
}

/// Parquet bytes of the Arrow IPC stream `ipc`, or why it cannot be written.
fn parquet_of(ipc: &[u8], created_by: &str) -> std::result::Result<Vec<u8>, String> {
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

pub struct WriteParquet {
    ipc: Uint8Array,
    created_by: String,
}

impl Task for WriteParquet {
    type Output = Vec<u8>;
    type JsValue = Buffer;

    fn compute(&mut self) -> Result<Vec<u8>> {
        // A stream this binding cannot take is an error for the caller, not a panic across the pool thread.
        catch_unwind(AssertUnwindSafe(|| parquet_of(&self.ipc, &self.created_by)))
            .unwrap_or_else(|_| Err("the Parquet writer failed on this stream".to_string()))
            .map_err(|why| Error::new(Status::GenericFailure, why))
    }

    fn resolve(&mut self, _env: Env, bytes: Vec<u8>) -> Result<Buffer> {
        Ok(Buffer::from(bytes))
    }
}

/// The Parquet bytes of the Arrow IPC stream `ipc` (held, not copied, until the task ends), written
/// on libuv's thread pool: snappy, `created_by` in the footer, no dictionary for floating-point columns.
#[napi(ts_return_type = "Promise<Buffer>")]
pub fn parquet_of_ipc(ipc: Uint8Array, created_by: String) -> AsyncTask<WriteParquet> {
    AsyncTask::new(WriteParquet { ipc, created_by })
}
