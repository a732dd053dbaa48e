//! Node binding to librdkafka for the data path of the Kafka edges: an idempotent producer whose
//! `send` resolves when the broker has acknowledged a whole batch, and a group consumer pulled in
//! batches off the JS thread with manual commits. Records cross the boundary column-wise (one buffer
//! of keys, one of values, lengths with -1 for null), so a batch is a few N-API calls, not one per
//! record. librdkafka's own threads do the network work. Topic and group administration is in
//! admin.rs, on the same base configuration and client handle.

mod admin;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi::{Env, Task};
use napi_derive::napi;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer as _};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, Headers as _, Message, OwnedHeaders};
use rdkafka::producer::{BaseRecord, DeliveryResult, ProducerContext, ThreadedProducer};
use rdkafka::{ClientContext, Offset, TopicPartitionList};

fn fail(what: &str, e: impl std::fmt::Display) -> Error {
    Error::from_reason(format!("{what}: {e}"))
}

/// The settings every client starts from: where the brokers are, and the client id.
fn client_config(brokers: &str, client_id: &str) -> ClientConfig {
    let mut cfg = ClientConfig::new();
    cfg.set("bootstrap.servers", brokers).set("client.id", client_id);
    cfg
}

/// Applies `extra` (librdkafka properties given by the caller) over the defaults.
fn configure(cfg: &mut ClientConfig, extra: &Option<HashMap<String, String>>) {
    if let Some(extra) = extra {
        for (k, v) in extra {
            cfg.set(k, v);
        }
    }
}

/// Splits a column: `lengths[i]` bytes of `data` per record, -1 for null.
fn column<'a>(data: &'a [u8], lengths: &[i32]) -> Result<Vec<Option<&'a [u8]>>> {
    let mut at = 0usize;
    let mut out = Vec::with_capacity(lengths.len());
    for &len in lengths {
        if len < 0 {
            out.push(None);
            continue;
        }
        let end = at + len as usize;
        if end > data.len() {
            return Err(Error::from_reason("a column's lengths add up to more than its data"));
        }
        out.push(Some(&data[at..end]));
        at = end;
    }
    Ok(out)
}

// ---------------------------------------------------------------- producer

/// One `send` call: resolved when its last record is acknowledged (or has failed).
pub struct Batch {
    remaining: AtomicUsize,
    error: Mutex<Option<String>>,
    done: Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
}

impl Batch {
    fn settle_one(&self) {
        if self.remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
            if let Some(tx) = self.done.lock().unwrap().take() {
                let _ = tx.send(());
            }
        }
    }
}

pub struct DeliveryContext;
impl ClientContext for DeliveryContext {}
impl ProducerContext for DeliveryContext {
    type DeliveryOpaque = Arc<Batch>;
    fn delivery(&self, result: &DeliveryResult<'_>, batch: Arc<Batch>) {
        if let Err((e, m)) = result {
            let mut first = batch.error.lock().unwrap();
            if first.is_none() {
                *first = Some(format!("{e} (partition {})", m.partition()));
            }
        }
        batch.settle_one();
    }
}

#[napi(object)]
pub struct ProducerOptions {
    pub brokers: String,
    pub client_id: String,
    /// Further librdkafka properties, e.g. `{"linger.ms": "10"}`.
    pub extra: Option<HashMap<String, String>>,
}

/// A batch of records, column-wise. Record i goes to `partitions[i]` with key and value slices of
/// `keys` and `values` (`key_lengths[i]`, `value_lengths[i]` bytes; -1 = null) and
/// `header_counts[i]` headers, taken in turn from `header_names` and `header_values`.
#[napi(object)]
pub struct OutBatch {
    pub topic: String,
    pub partitions: Int32Array,
    pub keys: Buffer,
    pub key_lengths: Int32Array,
    pub values: Buffer,
    pub value_lengths: Int32Array,
    pub header_counts: Uint32Array,
    pub header_names: Vec<String>,
    pub header_values: Buffer,
    pub header_value_lengths: Int32Array,
}

#[napi]
pub struct NativeProducer {
    producer: Handle<ThreadedProducer<DeliveryContext>>,
    idempotent: bool,
}

#[napi]
impl NativeProducer {
    /// Idempotent (acks = all, ordered per partition across retries). No linger: a `send` queues its
    /// whole batch at once, and the adapter waits for each before the next, so lingering only adds latency.
    #[napi(constructor)]
    pub fn new(options: ProducerOptions) -> Result<Self> {
        let mut cfg = client_config(&options.brokers, &options.client_id);
        cfg.set("enable.idempotence", "true")
            .set("acks", "all")
            .set("linger.ms", "0")
            .set("batch.num.messages", "10000")
            .set("queue.buffering.max.messages", "1000000")
            .set("queue.buffering.max.kbytes", "1048576");
        configure(&mut cfg, &options.extra);
        let idempotent = cfg.get("enable.idempotence") == Some("true");
        let producer: ThreadedProducer<DeliveryContext> =
            cfg.create_with_context(DeliveryContext).map_err(|e| fail("creating the producer", e))?;
        Ok(Self { producer: Handle::new(producer, "producer"), idempotent })
    }

    /// Queues every record of the batch (copied into librdkafka now, in order) and resolves with the
    /// number sent once the broker has acknowledged them all; rejects with the first delivery error.
    #[napi]
    pub fn send<'env>(&self, env: &'env Env, batch: OutBatch) -> Result<PromiseRaw<'env, u32>> {
        let n = batch.partitions.len();
        if batch.key_lengths.len() != n || batch.value_lengths.len() != n || batch.header_counts.len() != n {
            return Err(Error::from_reason("send: the columns of the batch differ in length"));
        }
        let keys = column(&batch.keys, &batch.key_lengths)?;
        let values = column(&batch.values, &batch.value_lengths)?;
        let header_values = column(&batch.header_values, &batch.header_value_lengths)?;
        if header_values.len() != batch.header_names.len() {
            return Err(Error::from_reason("send: header names and values differ in number"));
        }
        let producer = self.producer.get()?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        // One extra count, released after the loop, so the batch cannot settle while being queued.
        let state = Arc::new(Batch {
            remaining: AtomicUsize::new(n + 1),
            error: Mutex::new(None),
            done: Mutex::new(Some(tx)),
        });
        let mut h = 0usize;
        for i in 0..n {
            let count = batch.header_counts[i] as usize;
            if h + count > header_values.len() {
                return Err(Error::from_reason("send: header counts add up to more than the headers given"));
            }
            let mut record = BaseRecord::with_opaque_to(&batch.topic, state.clone()).partition(batch.partitions[i]);
            if count > 0 {
                // librdkafka allocates a header list per record: only for records that have headers.
                let mut headers = OwnedHeaders::new_with_capacity(count);
                for j in h..h + count {
                    headers = headers.insert(Header { key: &batch.header_names[j], value: header_values[j] });
                }
                record = record.headers(headers);
            }
            h += count;
            if let Some(k) = keys[i] {
                record = record.key(k);
            }
            if let Some(v) = values[i] {
                record = record.payload(v);
            }
            loop {
                match producer.send(record) {
                    Ok(()) => break,
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                        // librdkafka's queue is full: its threads are sending; give them a moment.
                        record = back;
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    Err((e, _)) => {
                        // The records queued before this one still settle; the rest never will.
                        for _ in i..n {
                            state.settle_one();
                        }
                        state.settle_one();
                        return Err(fail(&format!("queueing record {i} of {n} for {}", batch.topic), e));
                    }
                }
            }
        }
        state.settle_one();
        let sent = n as u32;
        env.spawn_future(async move {
            rx.await.map_err(|_| Error::from_reason("the batch was dropped before it settled"))?;
            if let Some(e) = state.error.lock().unwrap().clone() {
                return Err(Error::from_reason(format!("delivery failed: {e}")));
            }
            Ok(sent)
        })
    }

    /// Fetches `topic`'s partitions and leaders now (off the JS thread), so the first `send` to it does
    /// not wait for librdkafka's once-a-second scan of topics it has not seen (measured: 0.5–1 s).
    #[napi]
    pub fn prepare(&self, topic: String, timeout_ms: u32) -> Result<AsyncTask<Prepare>> {
        Ok(AsyncTask::new(Prepare { producer: self.producer.get()?, topic, timeout: Duration::from_millis(timeout_ms as u64) }))
    }

    /// Waits (off the JS thread) for everything queued, then destroys the producer.
    #[napi]
    pub fn close(&self) -> AsyncTask<Release<ThreadedProducer<DeliveryContext>>> {
        self.producer.close()
    }

    /// Whether the producer was created idempotent (`extra` could have turned it off).
    #[napi(getter)]
    pub fn idempotent(&self) -> bool {
        self.idempotent
    }
}

pub struct Prepare {
    producer: Arc<ThreadedProducer<DeliveryContext>>,
    topic: String,
    timeout: Duration,
}

impl Task for Prepare {
    type Output = u32;
    type JsValue = u32;
    /// The number of partitions the broker reports for the topic.
    fn compute(&mut self) -> Result<u32> {
        use rdkafka::producer::Producer as _;
        let metadata = self
            .producer
            .client()
            .fetch_metadata(Some(&self.topic), self.timeout)
            .map_err(|e| fail(&format!("fetching the metadata of {}", self.topic), e))?;
        let topic = metadata.topics().first().ok_or_else(|| Error::from_reason(format!("no metadata for {}", self.topic)))?;
        if let Some(e) = topic.error() {
            return Err(Error::from_reason(format!("metadata of {}: {:?}", self.topic, e)));
        }
        Ok(topic.partitions().len() as u32)
    }
    fn resolve(&mut self, _env: Env, n: u32) -> Result<u32> {
        Ok(n)
    }
}

/// A librdkafka client shared with the worker-thread tasks that use it, until `close` takes it.
struct Handle<T> {
    client: Mutex<Option<Arc<T>>>,
    what: &'static str,
}

impl<T: Send + Sync + 'static> Handle<T> {
    fn new(client: T, what: &'static str) -> Self {
        Self { client: Mutex::new(Some(Arc::new(client))), what }
    }

    fn get(&self) -> Result<Arc<T>> {
        self.client.lock().unwrap().clone().ok_or_else(|| Error::from_reason(format!("{} is closed", self.what)))
    }

    fn close(&self) -> AsyncTask<Release<T>> {
        AsyncTask::new(Release(self.client.lock().unwrap().take()))
    }
}

/// Drops a librdkafka handle on a libuv worker thread (destroying one waits for its threads), once no
/// `next` or `commit` still holds it.
pub struct Release<T: Send + Sync + 'static>(Option<Arc<T>>);

impl<T: Send + Sync + 'static> Task for Release<T> {
    type Output = ();
    type JsValue = ();
    fn compute(&mut self) -> Result<()> {
        let Some(mut handle) = self.0.take() else { return Ok(()) };
        loop {
            match Arc::try_unwrap(handle) {
                Ok(owned) => {
                    drop(owned);
                    return Ok(());
                }
                Err(shared) => {
                    handle = shared;
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
        }
    }
    fn resolve(&mut self, _env: Env, _output: ()) -> Result<()> {
        Ok(())
    }
}

// ---------------------------------------------------------------- consumer

#[napi(object)]
pub struct ConsumerOptions {
    pub brokers: String,
    pub client_id: String,
    pub group_id: String,
    pub topic: String,
    /// Where a group without committed offsets starts: the beginning, or the end.
    pub from_beginning: bool,
    pub extra: Option<HashMap<String, String>>,
}

/// Records, column-wise, in the order fetched (offset order within each partition); the layout of
/// [`OutBatch`], plus offsets.
#[napi(object)]
pub struct InBatch {
    pub count: u32,
    pub partitions: Int32Array,
    pub offsets: Float64Array,
    pub keys: Buffer,
    pub key_lengths: Int32Array,
    pub values: Buffer,
    pub value_lengths: Int32Array,
    pub header_counts: Uint32Array,
    pub header_names: Vec<String>,
    pub header_values: Buffer,
    pub header_value_lengths: Int32Array,
}

#[derive(Default)]
pub struct Fetched {
    partitions: Vec<i32>,
    offsets: Vec<f64>,
    keys: Vec<u8>,
    key_lengths: Vec<i32>,
    values: Vec<u8>,
    value_lengths: Vec<i32>,
    header_counts: Vec<u32>,
    header_names: Vec<String>,
    header_values: Vec<u8>,
    header_value_lengths: Vec<i32>,
}

fn push_bytes(data: &mut Vec<u8>, lengths: &mut Vec<i32>, bytes: Option<&[u8]>) {
    match bytes {
        Some(b) => {
            data.extend_from_slice(b);
            lengths.push(b.len() as i32);
        }
        None => lengths.push(-1),
    }
}

/// Consumer errors librdkafka recovers from by itself (it reconnects, re-fetches metadata): polling
/// goes on. Anything else fails the `next` call.
fn transient(e: &KafkaError) -> bool {
    matches!(
        e.rdkafka_error_code(),
        Some(
            RDKafkaErrorCode::BrokerTransportFailure
                | RDKafkaErrorCode::AllBrokersDown
                | RDKafkaErrorCode::PartitionEOF
                | RDKafkaErrorCode::UnknownTopicOrPartition
                | RDKafkaErrorCode::UnknownPartition
                | RDKafkaErrorCode::NotCoordinator
                | RDKafkaErrorCode::CoordinatorLoadInProgress
                | RDKafkaErrorCode::CoordinatorNotAvailable
                | RDKafkaErrorCode::LeaderNotAvailable
                | RDKafkaErrorCode::NotLeaderForPartition
                | RDKafkaErrorCode::RequestTimedOut
                | RDKafkaErrorCode::OperationTimedOut
        )
    )
}

pub struct Poll {
    consumer: Arc<BaseConsumer>,
    max: usize,
    wait: Duration,
}

impl Task for Poll {
    type Output = Fetched;
    type JsValue = InBatch;

    /// Waits up to `wait` for a first record, then takes what is already fetched, up to `max`.
    fn compute(&mut self) -> Result<Fetched> {
        let mut f = Fetched::default();
        let mut wait = self.wait;
        while f.partitions.len() < self.max {
            match self.consumer.poll(wait) {
                None => break,
                Some(Err(e)) if transient(&e) => continue,
                Some(Err(e)) => return Err(fail("consuming", e)),
                Some(Ok(m)) => {
                    wait = Duration::ZERO;
                    f.partitions.push(m.partition());
                    f.offsets.push(m.offset() as f64);
                    push_bytes(&mut f.keys, &mut f.key_lengths, m.key());
                    push_bytes(&mut f.values, &mut f.value_lengths, m.payload());
                    let mut count = 0u32;
                    if let Some(headers) = m.headers() {
                        for h in headers.iter() {
                            f.header_names.push(h.key.to_owned());
                            push_bytes(&mut f.header_values, &mut f.header_value_lengths, h.value);
                            count += 1;
                        }
                    }
                    f.header_counts.push(count);
                }
            }
        }
        Ok(f)
    }

    fn resolve(&mut self, _env: Env, f: Fetched) -> Result<InBatch> {
        Ok(InBatch {
            count: f.partitions.len() as u32,
            partitions: Int32Array::new(f.partitions),
            offsets: Float64Array::new(f.offsets),
            keys: f.keys.into(),
            key_lengths: Int32Array::new(f.key_lengths),
            values: f.values.into(),
            value_lengths: Int32Array::new(f.value_lengths),
            header_counts: Uint32Array::new(f.header_counts),
            header_names: f.header_names,
            header_values: f.header_values.into(),
            header_value_lengths: Int32Array::new(f.header_value_lengths),
        })
    }
}

pub struct Commit {
    consumer: Arc<BaseConsumer>,
    offsets: TopicPartitionList,
    mode: CommitMode,
}

impl Task for Commit {
    type Output = ();
    type JsValue = ();
    fn compute(&mut self) -> Result<()> {
        self.consumer.commit(&self.offsets, self.mode).map_err(|e| fail("committing offsets", e))
    }
    fn resolve(&mut self, _env: Env, _output: ()) -> Result<()> {
        Ok(())
    }
}

#[napi]
pub struct NativeConsumer {
    consumer: Handle<BaseConsumer>,
    topic: String,
}

#[napi]
impl NativeConsumer {
    /// Joins the group and subscribes; offsets are committed only by `commit`.
    #[napi(constructor)]
    pub fn new(options: ConsumerOptions) -> Result<Self> {
        let mut cfg = client_config(&options.brokers, &options.client_id);
        cfg.set("group.id", &options.group_id)
            .set("enable.auto.commit", "false")
            .set("auto.offset.reset", if options.from_beginning { "earliest" } else { "latest" })
            .set("enable.partition.eof", "false")
            .set("session.timeout.ms", "30000")
            // queued.min.messages counts the records queued over all partitions together: at its
            // default (100,000) fetching pauses and resumes only at the broker thread's next wake-up,
            // about a second later (measured: a 700 ms stall per 100,000 records). Memory stays bounded
            // by queued.max.messages.kbytes per partition.
            .set("queued.min.messages", "1000000");
        configure(&mut cfg, &options.extra);
        let consumer: BaseConsumer = cfg.create().map_err(|e| fail("creating the consumer", e))?;
        consumer.subscribe(&[&options.topic]).map_err(|e| fail(&format!("subscribing to {}", options.topic), e))?;
        Ok(Self { consumer: Handle::new(consumer, "consumer"), topic: options.topic })
    }

    /// Up to `max` records, waiting up to `wait_ms` for the first (an empty batch when none came).
    #[napi]
    pub fn next(&self, max: u32, wait_ms: u32) -> Result<AsyncTask<Poll>> {
        Ok(AsyncTask::new(Poll {
            consumer: self.consumer.get()?,
            max: max.max(1) as usize,
            wait: Duration::from_millis(wait_ms as u64),
        }))
    }

    /// Commits, per partition, the offset of the next record to read: with `wait`, on a worker thread
    /// until the broker has it; without, sent in the background (the next commit, or the last one
    /// before `close`, supersedes one that fails: a restart then re-reads a little, never skips).
    #[napi]
    pub fn commit(&self, partitions: Int32Array, next_offsets: Float64Array, wait: bool) -> Result<AsyncTask<Commit>> {
        if partitions.len() != next_offsets.len() {
            return Err(Error::from_reason("commit: partitions and offsets differ in length"));
        }
        let mut offsets = TopicPartitionList::new();
        for (p, o) in partitions.iter().zip(next_offsets.iter()) {
            offsets
                .add_partition_offset(&self.topic, *p, Offset::Offset(*o as i64))
                .map_err(|e| fail("commit", e))?;
        }
        let mode = if wait { CommitMode::Sync } else { CommitMode::Async };
        Ok(AsyncTask::new(Commit { consumer: self.consumer.get()?, offsets, mode }))
    }

    /// How many partitions the group has assigned to this consumer (0 until it has joined; the join
    /// makes progress while `next` polls).
    #[napi]
    pub fn assigned(&self) -> Result<u32> {
        let assignment = self.consumer.get()?.assignment().map_err(|e| fail("reading the assignment", e))?;
        Ok(assignment.count() as u32)
    }

    /// Leaves the group and destroys the consumer, off the JS thread.
    #[napi]
    pub fn close(&self) -> AsyncTask<Release<BaseConsumer>> {
        self.consumer.close()
    }
}
