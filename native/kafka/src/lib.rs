//! Node binding to librdkafka for the data path of the Kafka edges: an idempotent producer whose
//! `send` resolves when the broker has acknowledged a whole batch, and a group consumer pulled in
//! batches off the JS thread with manual commits. Records cross the boundary column-wise (one buffer
//! of keys, one of values, lengths with -1 for null), so a batch is a few N-API calls, not one per
//! record. librdkafka's own threads do the network work. Topic and group administration is in
//! admin.rs, on the same base configuration and client handle.

mod admin;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, Status, Task};
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

// ---------------------------------------------------------------- producer

/// One round of the pump: resolved when its last record is acknowledged (or has failed).
pub struct Batch {
    remaining: AtomicUsize,
    error: Mutex<Option<String>>,
    done: Mutex<Option<mpsc::Sender<()>>>,
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
                *first = Some(format!("delivery failed: {e} (partition {})", m.partition()));
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

/// A batch of records, column-wise, as `send` takes it (positional arguments: one N-API call
/// for all of them, where an object costs a property lookup each). Record i goes to `partitions[i]`
/// with key and value slices of `keys` and `values` (`key_lengths[i]`, `value_lengths[i]` bytes;
/// -1 = null) and `header_counts[i]` headers, taken in turn from `header_name_index` (into the
/// distinct `header_names`) and `header_values`. Views of the JS arrays, read during the call only.
struct OutBatch<'env> {
    topic: String,
    partitions: Int32ArraySlice<'env>,
    keys: BufferSlice<'env>,
    key_lengths: Int32ArraySlice<'env>,
    values: BufferSlice<'env>,
    value_lengths: Int32ArraySlice<'env>,
    header_counts: Uint32ArraySlice<'env>,
    header_names: Vec<String>,
    header_name_index: Uint32ArraySlice<'env>,
    header_values: BufferSlice<'env>,
    header_value_lengths: Int32ArraySlice<'env>,
}

/// An [`OutBatch`] copied out of the JS heap, so the pump thread can queue it.
struct OwnedBatch {
    topic: String,
    partitions: Vec<i32>,
    keys: Vec<u8>,
    key_lengths: Vec<i32>,
    values: Vec<u8>,
    value_lengths: Vec<i32>,
    header_counts: Vec<u32>,
    header_names: Vec<String>,
    header_name_index: Vec<u32>,
    header_values: Vec<u8>,
    header_value_lengths: Vec<i32>,
}

/// Checks that `lengths` fit `data`: they add up to at most its length.
fn check_column(what: &str, data: &[u8], lengths: &[i32]) -> Result<()> {
    let total: usize = lengths.iter().filter(|&&l| l > 0).map(|&l| l as usize).sum();
    if total > data.len() {
        return Err(Error::from_reason(format!("send: the {what} lengths add up to more than the {what} data")));
    }
    Ok(())
}

impl OwnedBatch {
    fn from_js(b: &OutBatch<'_>) -> Result<Self> {
        let n = b.partitions.len();
        if b.key_lengths.len() != n || b.value_lengths.len() != n || b.header_counts.len() != n {
            return Err(Error::from_reason("send: the columns of the batch differ in length"));
        }
        check_column("key", &b.keys, &b.key_lengths)?;
        check_column("value", &b.values, &b.value_lengths)?;
        check_column("header value", &b.header_values, &b.header_value_lengths)?;
        let headers: usize = b.header_counts.iter().map(|&c| c as usize).sum();
        if headers != b.header_name_index.len() || headers != b.header_value_lengths.len() {
            return Err(Error::from_reason("send: header counts, names and values differ in number"));
        }
        if b.header_name_index.iter().any(|&i| i as usize >= b.header_names.len()) {
            return Err(Error::from_reason("send: a header name index is past the header names"));
        }
        Ok(Self {
            topic: b.topic.clone(),
            partitions: b.partitions.to_vec(),
            keys: b.keys.to_vec(),
            key_lengths: b.key_lengths.to_vec(),
            values: b.values.to_vec(),
            value_lengths: b.value_lengths.to_vec(),
            header_counts: b.header_counts.to_vec(),
            header_names: b.header_names.clone(),
            header_name_index: b.header_name_index.to_vec(),
            header_values: b.header_values.to_vec(),
            header_value_lengths: b.header_value_lengths.to_vec(),
        })
    }
}

/// One `send` waiting for its round trip, numbered in call order from 1.
struct Job {
    batch: OwnedBatch,
    seq: f64,
}

/// Tells JS that every send up to a number has settled: acknowledged, or failed with the message.
type Settled = ThreadsafeFunction<(f64, Option<String>), (), FnArgs<(f64, Option<String>)>, Status, false, true>;

#[derive(Default)]
struct PumpState {
    queue: Vec<Job>,
    /// The number of the last send taken.
    seq: f64,
    /// The pump thread is waiting for sends (else it takes them when its round ends: no wake-up needed).
    idle: bool,
    /// The first failure: every later send fails with it, and nothing more is queued in librdkafka.
    broken: Option<String>,
    closing: bool,
    /// `purge` was called: a round that queued records after it purges them too.
    purged: bool,
}

/// The sends waiting for the pump thread, which takes them all at once after each round trip.
#[derive(Default)]
struct Pump {
    state: Mutex<PumpState>,
    wake: Condvar,
}

/// One round trip at a time, off the JS thread: every send queued while a round was in flight goes
/// into librdkafka together (in call order, so each partition receives the records in order), and
/// they settle together once the broker has acknowledged all of them. After a failure, what is
/// queued fails with it and nothing more is sent. Ends when the producer closes and the queue is empty.
fn pump(producer: Arc<ThreadedProducer<DeliveryContext>>, pump: Arc<Pump>, settled: Settled) {
    loop {
        let (jobs, broken) = {
            let mut st = pump.state.lock().unwrap();
            while st.queue.is_empty() && !st.closing {
                st.idle = true;
                st = pump.wake.wait(st).unwrap();
                st.idle = false;
            }
            if st.queue.is_empty() {
                return;
            }
            (std::mem::take(&mut st.queue), st.broken.clone())
        };
        let outcome = match broken {
            Some(e) => Err(e),
            None => round(&producer, &pump, &jobs),
        };
        if let Err(e) = &outcome {
            pump.state.lock().unwrap().broken.get_or_insert_with(|| e.clone());
        }
        let last = jobs.last().map_or(0.0, |j| j.seq);
        drop(jobs);
        settled.call((last, outcome.err()), ThreadsafeFunctionCallMode::NonBlocking);
    }
}

/// Queues every record of `jobs` in librdkafka and waits until the broker has acknowledged them all.
fn round(producer: &ThreadedProducer<DeliveryContext>, pump: &Pump, jobs: &[Job]) -> std::result::Result<(), String> {
    let total: usize = jobs.iter().map(|j| j.batch.partitions.len()).sum();
    let (tx, rx) = mpsc::channel::<()>();
    // One extra count, released after the loop, so the round cannot settle while being queued.
    let state = Arc::new(Batch { remaining: AtomicUsize::new(total + 1), error: Mutex::new(None), done: Mutex::new(Some(tx)) });
    let mut left = total;
    let mut queue_error: Option<String> = None;
    'jobs: for job in jobs {
        let b = &job.batch;
        let n = b.partitions.len();
        let (mut k, mut v, mut h, mut hv) = (0usize, 0usize, 0usize, 0usize);
        for i in 0..n {
            let mut record = BaseRecord::with_opaque_to(&b.topic, state.clone()).partition(b.partitions[i]);
            let count = b.header_counts[i] as usize;
            if count > 0 {
                // librdkafka allocates a header list per record: only for records that have headers.
                let mut headers = OwnedHeaders::new_with_capacity(count);
                for j in h..h + count {
                    let len = b.header_value_lengths[j];
                    let value = if len < 0 {
                        None
                    } else {
                        hv += len as usize;
                        Some(&b.header_values[hv - len as usize..hv])
                    };
                    headers = headers.insert(Header { key: &b.header_names[b.header_name_index[j] as usize], value });
                }
                record = record.headers(headers);
            }
            h += count;
            let kl = b.key_lengths[i];
            if kl >= 0 {
                k += kl as usize;
                record = record.key(&b.keys[k - kl as usize..k]);
            }
            let vl = b.value_lengths[i];
            if vl >= 0 {
                v += vl as usize;
                record = record.payload(&b.values[v - vl as usize..v]);
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
                        queue_error = Some(format!("queueing record {i} of {n} for {}: {e}", b.topic));
                        break 'jobs;
                    }
                }
            }
            left -= 1;
        }
    }
    // `purge` ran while this round queued its records: those it did not see go the same way.
    if pump.state.lock().unwrap().purged {
        purge_all(producer);
    }
    // The records queued before a failure still settle; the rest never will.
    for _ in 0..left {
        state.settle_one();
    }
    state.settle_one();
    rx.recv().map_err(|_| "the round was dropped before it settled".to_string())?;
    if let Some(e) = queue_error {
        return Err(e);
    }
    let error = state.error.lock().unwrap().take();
    match error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

#[napi]
pub struct NativeProducer {
    producer: Handle<ThreadedProducer<DeliveryContext>>,
    pump: Arc<Pump>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    idempotent: bool,
}

#[napi]
impl NativeProducer {
    /// Idempotent (acks = all, ordered per partition across retries). `linger.ms` 1: with 0,
    /// librdkafka's broker thread wakes for nearly every record of a trickle of small rounds (in a
    /// split run it took 2.0 s of CPU, 0.9 s with 1 ms, for at most 1 ms more per round trip).
    ///
    /// `on_settled(upTo, error)` is called after each round trip: every send numbered up to `upTo`
    /// has been acknowledged, or has failed with `error`. It does not keep Node's event loop alive.
    #[napi(constructor, ts_args_type = "options: ProducerOptions, onSettled: (upTo: number, error: string | null) => void")]
    pub fn new(options: ProducerOptions, on_settled: Function<FnArgs<(f64, Option<String>)>, ()>) -> Result<Self> {
        let settled: Settled = on_settled
            .build_threadsafe_function::<(f64, Option<String>)>()
            .callee_handled::<false>()
            .weak::<true>()
            .build_callback(|ctx| Ok(FnArgs::from(ctx.value)))?;
        let mut cfg = client_config(&options.brokers, &options.client_id);
        cfg.set("enable.idempotence", "true")
            .set("acks", "all")
            .set("linger.ms", "1")
            .set("batch.num.messages", "10000")
            .set("queue.buffering.max.messages", "1000000")
            .set("queue.buffering.max.kbytes", "1048576");
        configure(&mut cfg, &options.extra);
        let idempotent = cfg.get("enable.idempotence") == Some("true");
        let producer: ThreadedProducer<DeliveryContext> =
            cfg.create_with_context(DeliveryContext).map_err(|e| fail("creating the producer", e))?;
        let producer = Handle::new(producer, "producer");
        let queue = Arc::new(Pump::default());
        let (p, q) = (producer.get()?, queue.clone());
        let thread = std::thread::Builder::new()
            .name("rdkafka-pump".into())
            .spawn(move || pump(p, q, settled))
            .map_err(|e| fail("starting the producer's thread", e))?;
        Ok(Self { producer, pump: queue, thread: Mutex::new(Some(thread)), idempotent })
    }

    /// Copies the batch and hands it to the pump thread, which queues it in librdkafka after every
    /// earlier send has been acknowledged (together with the other sends waiting then). Returns the
    /// send's number; `on_settled` says when it is acknowledged, or the first failure, which every
    /// later send repeats.
    #[napi]
    #[allow(clippy::too_many_arguments)]
    pub fn send(
        &self,
        topic: String,
        partitions: Int32ArraySlice,
        keys: BufferSlice,
        key_lengths: Int32ArraySlice,
        values: BufferSlice,
        value_lengths: Int32ArraySlice,
        header_counts: Uint32ArraySlice,
        header_names: Vec<String>,
        header_name_index: Uint32ArraySlice,
        header_values: BufferSlice,
        header_value_lengths: Int32ArraySlice,
    ) -> Result<f64> {
        let owned = OwnedBatch::from_js(&OutBatch {
            topic,
            partitions,
            keys,
            key_lengths,
            values,
            value_lengths,
            header_counts,
            header_names,
            header_name_index,
            header_values,
            header_value_lengths,
        })?;
        let (seq, wake) = {
            let mut st = self.pump.state.lock().unwrap();
            if st.closing {
                return Err(Error::from_reason("producer is closed"));
            }
            st.seq += 1.0;
            let seq = st.seq;
            st.queue.push(Job { batch: owned, seq });
            // A wake-up (a system call, often a context switch) only when the pump waits for work,
            // once, and after the lock is released (else the woken thread blocks on it at once).
            (seq, std::mem::take(&mut st.idle))
        };
        if wake {
            self.pump.wake.notify_one();
        }
        Ok(seq)
    }

    /// Fetches `topic`'s partitions and leaders now (off the JS thread), so the first `send` to it does
    /// not wait for librdkafka's once-a-second scan of topics it has not seen (measured: 0.5–1 s).
    #[napi]
    pub fn prepare(&self, topic: String, timeout_ms: u32) -> Result<AsyncTask<Prepare>> {
        Ok(AsyncTask::new(Prepare { producer: self.producer.get()?, topic, timeout: Duration::from_millis(timeout_ms as u64) }))
    }

    /// Gives up on every record not yet acknowledged (rd_kafka_purge, queued and in flight): each
    /// round waiting settles at once, failed with `reason`, and so does every later send. For a stop
    /// that cannot wait for a broker that is gone (librdkafka would retry for message.timeout.ms).
    #[napi]
    pub fn purge(&self, reason: String) -> Result<()> {
        let producer = self.producer.get()?;
        {
            let mut st = self.pump.state.lock().unwrap();
            st.purged = true;
            st.broken.get_or_insert(reason);
        }
        purge_all(&producer);
        Ok(())
    }

    /// Waits (off the JS thread) for every send to settle, then destroys the producer.
    #[napi]
    pub fn close(&self) -> AsyncTask<CloseProducer> {
        self.pump.state.lock().unwrap().closing = true;
        self.pump.wake.notify_all();
        AsyncTask::new(CloseProducer { thread: self.thread.lock().unwrap().take(), release: self.producer.close_now() })
    }

    /// Whether the producer was created idempotent (`extra` could have turned it off).
    #[napi(getter)]
    pub fn idempotent(&self) -> bool {
        self.idempotent
    }
}

fn purge_all(producer: &ThreadedProducer<DeliveryContext>) {
    use rdkafka::producer::{Producer as _, PurgeConfig};
    producer.purge(PurgeConfig::default().queue().inflight());
}

/// Joins the pump thread (it ends once the sends queued before `close` have settled), then drops the producer.
pub struct CloseProducer {
    thread: Option<std::thread::JoinHandle<()>>,
    release: Release<ThreadedProducer<DeliveryContext>>,
}

impl Task for CloseProducer {
    type Output = ();
    type JsValue = ();
    fn compute(&mut self) -> Result<()> {
        if let Some(t) = self.thread.take() {
            t.join().map_err(|_| Error::from_reason("the producer's thread panicked"))?;
        }
        self.release.compute()
    }
    fn resolve(&mut self, _env: Env, _output: ()) -> Result<()> {
        Ok(())
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
        AsyncTask::new(self.close_now())
    }

    /// Takes the client out: later calls fail as closed; the returned task drops it.
    fn close_now(&self) -> Release<T> {
        Release(self.client.lock().unwrap().take())
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

/// Releases a consumer (see [`Release`]), waiting at most `within` when given. The release runs on a
/// thread of its own, not the libuv pool's: one blocked for good there would also block the process's
/// exit, which waits for the pool's threads.
pub struct CloseConsumer {
    release: Option<Release<BaseConsumer>>,
    within: Option<Duration>,
}

impl Task for CloseConsumer {
    type Output = bool;
    type JsValue = bool;
    fn compute(&mut self) -> Result<bool> {
        let Some(mut release) = self.release.take() else { return Ok(true) };
        let Some(within) = self.within else {
            release.compute()?;
            return Ok(true);
        };
        let (tx, rx) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("rdkafka-close".into())
            .spawn(move || {
                let _ = release.compute();
                let _ = tx.send(());
            })
            .map_err(|e| fail("starting the consumer's close", e))?;
        Ok(rx.recv_timeout(within).is_ok())
    }
    fn resolve(&mut self, _env: Env, closed: bool) -> Result<bool> {
        Ok(closed)
    }
}

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
/// [`OutBatch`], plus offsets. Buffers move to JS without a copy.
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
    pub header_name_index: Uint32Array,
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
    /// The distinct header names, and per header the index of its name.
    header_names: Vec<String>,
    header_name_index: Vec<u32>,
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
                            // A handful of distinct names: each crosses to JS once per batch.
                            let at = match f.header_names.iter().position(|n| n == h.key) {
                                Some(at) => at,
                                None => {
                                    f.header_names.push(h.key.to_owned());
                                    f.header_names.len() - 1
                                }
                            };
                            f.header_name_index.push(at as u32);
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
            header_name_index: Uint32Array::new(f.header_name_index),
            header_values: f.header_values.into(),
            header_value_lengths: Int32Array::new(f.header_value_lengths),
        })
    }
}

pub struct Commit {
    consumer: Arc<BaseConsumer>,
    offsets: TopicPartitionList,
    mode: CommitMode,
    /// With `CommitMode::Sync`: give up waiting for the broker after this long (else as long as librdkafka waits).
    within: Option<Duration>,
}

impl Task for Commit {
    type Output = ();
    type JsValue = ();
    fn compute(&mut self) -> Result<()> {
        match (self.mode, self.within) {
            (CommitMode::Sync, Some(within)) => commit_within(&self.consumer, &self.offsets, within),
            _ => self.consumer.commit(&self.offsets, self.mode).map_err(|e| fail("committing offsets", e)),
        }
    }
    fn resolve(&mut self, _env: Env, _output: ()) -> Result<()> {
        Ok(())
    }
}

/// A commit that waits for the broker's answer at most `within` (a sync commit waits for the group's
/// coordinator as long as librdkafka does: 30 s and more when the broker is gone). On time out the
/// commit may still reach a broker that comes back; the caller cannot count on it.
fn commit_within(consumer: &BaseConsumer, offsets: &TopicPartitionList, within: Duration) -> Result<()> {
    use rdkafka::bindings as rd;
    let rk = consumer.client().native_ptr();
    let ms = within.as_millis().min(i32::MAX as u128) as i32;
    // SAFETY: `rk` and `offsets` outlive the calls; librdkafka copies `offsets`, and the queue is
    // reference-counted (a result posted after it is destroyed here is dropped by librdkafka).
    unsafe {
        let queue = rd::rd_kafka_queue_new(rk);
        let err = rd::rd_kafka_commit_queue(rk, offsets.ptr(), queue, None, std::ptr::null_mut());
        if err != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            rd::rd_kafka_queue_destroy(queue);
            return Err(fail("committing offsets", RDKafkaErrorCode::from(err)));
        }
        let event = rd::rd_kafka_queue_poll(queue, ms);
        rd::rd_kafka_queue_destroy(queue);
        if event.is_null() {
            return Err(Error::from_reason(format!("committing offsets: no answer from the group's coordinator within {ms} ms")));
        }
        let mut problem = match rd::rd_kafka_event_error(event) {
            rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR => None,
            e => Some(RDKafkaErrorCode::from(e).to_string()),
        };
        let list = rd::rd_kafka_event_topic_partition_list(event);
        if problem.is_none() && !list.is_null() {
            for i in 0..(*list).cnt as usize {
                let part = &*(*list).elems.add(i);
                if part.err != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
                    problem = Some(format!("partition {}: {}", part.partition, RDKafkaErrorCode::from(part.err)));
                    break;
                }
            }
        }
        rd::rd_kafka_event_destroy(event);
        match problem {
            Some(p) => Err(Error::from_reason(format!("committing offsets: {p}"))),
            None => Ok(()),
        }
    }
}

/// A partition's committed offset in the group: the next record to read, -1 when none is committed.
#[napi(object)]
pub struct CommittedOffset {
    pub partition: i32,
    pub offset: f64,
}

pub struct Committed {
    consumer: Arc<BaseConsumer>,
    timeout: Duration,
}

/// Each partition's offset in `list`, -1 where it has none (librdkafka's invalid or logical offsets).
fn offsets_of(list: &TopicPartitionList) -> Vec<CommittedOffset> {
    list.elements()
        .iter()
        .map(|e| CommittedOffset {
            partition: e.partition(),
            offset: match e.offset() {
                Offset::Offset(o) => o as f64,
                _ => -1.0,
            },
        })
        .collect()
}

impl Task for Committed {
    type Output = Vec<CommittedOffset>;
    type JsValue = Vec<CommittedOffset>;
    fn compute(&mut self) -> Result<Vec<CommittedOffset>> {
        let list = self.consumer.committed(self.timeout).map_err(|e| fail("reading the committed offsets", e))?;
        Ok(offsets_of(&list))
    }
    fn resolve(&mut self, _env: Env, out: Vec<CommittedOffset>) -> Result<Vec<CommittedOffset>> {
        Ok(out)
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
    /// `within_ms` (with `wait`): fail when the broker has not answered within this many ms.
    #[napi]
    pub fn commit(&self, partitions: Int32Array, next_offsets: Float64Array, wait: bool, within_ms: Option<u32>) -> Result<AsyncTask<Commit>> {
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
        let within = within_ms.map(|ms| Duration::from_millis(ms as u64));
        Ok(AsyncTask::new(Commit { consumer: self.consumer.get()?, offsets, mode, within }))
    }

    /// How many partitions the group has assigned to this consumer (0 until it has joined; the join
    /// makes progress while `next` polls).
    #[napi]
    pub fn assigned(&self) -> Result<u32> {
        let assignment = self.consumer.get()?.assignment().map_err(|e| fail("reading the assignment", e))?;
        Ok(assignment.count() as u32)
    }

    /// Per partition assigned to this consumer, librdkafka's position: the offset after the last
    /// record or control batch it consumed (a transaction's commit or abort marker, never handed out,
    /// moves it too), -1 where it has consumed nothing. Local: no broker round trip.
    #[napi]
    pub fn positions(&self) -> Result<Vec<CommittedOffset>> {
        let consumer = self.consumer.get()?;
        let list = consumer.position().map_err(|e| fail("reading the positions", e))?;
        Ok(offsets_of(&list))
    }

    /// The group's committed offsets of the partitions assigned to this consumer, asked of the
    /// group's coordinator (up to `timeout_ms`), off the JS thread.
    #[napi]
    pub fn committed(&self, timeout_ms: u32) -> Result<AsyncTask<Committed>> {
        Ok(AsyncTask::new(Committed { consumer: self.consumer.get()?, timeout: Duration::from_millis(timeout_ms as u64) }))
    }

    /// Leaves the group and destroys the consumer, off the JS thread; resolves true once done. With
    /// `within_ms`, resolves false when that has not happened by then: librdkafka's close can wait
    /// without end for a group coordinator that is gone; it goes on, abandoned, on a thread of its own.
    #[napi]
    pub fn close(&self, within_ms: Option<u32>) -> AsyncTask<CloseConsumer> {
        AsyncTask::new(CloseConsumer {
            release: Some(self.consumer.close_now()),
            within: within_ms.map(|ms| Duration::from_millis(ms as u64)),
        })
    }
}
