//! Topic and group administration: create (with topic configs), list, describe and delete topics,
//! read partition watermarks, delete consumer groups. Speed does not matter here; clear failures do:
//! a call to brokers that cannot be reached fails as soon as librdkafka reports every broker down,
//! with the reason it gave (connection refused, name not resolved), rather than at the end of its
//! timeout.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use napi::bindgen_prelude::*;
use napi::{Env, Task};
use napi_derive::napi;
use rdkafka::admin::{AdminClient, AdminOptions as RdAdminOptions, NewTopic, ResourceSpecifier, TopicReplication};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::metadata::Metadata;
use rdkafka::ClientContext;

use crate::{client_config, configure, fail, Handle, Release};

type Admin = AdminClient<AdminContext>;

/// What librdkafka last reported about the brokers, for the messages of failed calls.
pub struct AdminContext {
    brokers: String,
    reports: Mutex<Reports>,
}

#[derive(Default)]
struct Reports {
    /// The reason of the last broker error (e.g. "127.0.0.1:1/bootstrap: Connect to … failed: Connection refused").
    last: Option<String>,
    /// How many times every broker was reported down, in all; and by the time a broker last answered.
    all_down: u64,
    all_down_at_answer: u64,
}

impl ClientContext for AdminContext {
    fn error(&self, error: KafkaError, reason: &str) {
        let mut r = self.reports.lock().unwrap();
        if error.rdkafka_error_code() == Some(RDKafkaErrorCode::AllBrokersDown) {
            r.all_down += 1;
        } else {
            r.last = Some(reason.to_owned());
        }
    }
}

impl AdminContext {
    /// Delivers the error reports librdkafka has queued for the context: the admin client itself
    /// polls only its result queue.
    fn deliver(&self, client: &Admin) -> std::sync::MutexGuard<'_, Reports> {
        // SAFETY: the client outlives the call; rd_kafka_poll may be called from any thread.
        unsafe { rdkafka::bindings::rd_kafka_poll(client.inner().native_ptr(), 0) };
        self.reports.lock().unwrap()
    }

    /// Whether every broker has been reported down since a broker last answered.
    fn all_down(&self, client: &Admin) -> bool {
        let r = self.deliver(client);
        r.all_down > r.all_down_at_answer
    }

    fn answered(&self, client: &Admin) {
        let mut r = self.deliver(client);
        r.all_down_at_answer = r.all_down;
    }

    fn last(&self) -> String {
        self.reports.lock().unwrap().last.as_ref().map(|r| format!(" (last error: {r})")).unwrap_or_default()
    }
}

/// A call's time limit.
#[derive(Clone, Copy)]
struct Deadline {
    at: Instant,
    ms: u32,
}

impl Deadline {
    fn new(ms: u32) -> Self {
        Self { at: Instant::now() + Duration::from_millis(ms as u64), ms }
    }
    fn left(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }
    /// Passed, or less than the 1 ms librdkafka's timeouts can express is left.
    fn passed(&self) -> bool {
        self.left() < Duration::from_millis(1)
    }
}

/// How often a wait for the metadata to show a change asks again.
const RECHECK: Duration = Duration::from_millis(100);

/// The cluster's metadata (of one topic, or of all). Asks in slices of growing length, and gives up
/// early when, between two, librdkafka has reported every broker down since a broker last answered.
fn metadata(client: &Admin, topic: Option<&str>, deadline: Deadline) -> Result<Metadata> {
    let context = client.inner().context();
    let mut slice = Duration::from_millis(250);
    loop {
        let asked = Instant::now();
        let e = match client.inner().fetch_metadata(topic, slice.min(deadline.left())) {
            Ok(m) => {
                context.answered(client);
                return Ok(m);
            }
            Err(e) => e,
        };
        let unanswered = matches!(
            e.rdkafka_error_code(),
            Some(RDKafkaErrorCode::BrokerTransportFailure | RDKafkaErrorCode::OperationTimedOut | RDKafkaErrorCode::AllBrokersDown)
        );
        if !unanswered {
            return Err(fail(&format!("fetching the metadata{}", topic.map(|t| format!(" of topic \"{t}\"")).unwrap_or_default()), e));
        }
        if context.all_down(client) {
            return Err(Error::from_reason(format!("no broker answers at {}{}", context.brokers, context.last())));
        }
        if deadline.passed() {
            return Err(Error::from_reason(format!("no answer from {} within {} ms{}", context.brokers, deadline.ms, context.last())));
        }
        if asked.elapsed() < RECHECK {
            // It gave up at once (no broker to ask yet): do not spin.
            std::thread::sleep(RECHECK.min(deadline.left()));
        }
        slice = (slice * 2).min(MAX_SLICE);
    }
}

const MAX_SLICE: Duration = Duration::from_secs(2);

/// A topic as the metadata shows it.
enum Shown {
    Missing,
    /// Its partitions (maybe none listed yet); `ready` when every one has a leader.
    Present { partitions: u32, ready: bool },
}

fn shown(m: &Metadata, topic: &str) -> Result<Shown> {
    let Some(t) = m.topics().iter().find(|t| t.name() == topic) else { return Ok(Shown::Missing) };
    let partitions = t.partitions().len() as u32;
    match t.error().map(RDKafkaErrorCode::from) {
        None => {}
        Some(RDKafkaErrorCode::UnknownTopicOrPartition) => return Ok(Shown::Missing),
        Some(RDKafkaErrorCode::LeaderNotAvailable) => return Ok(Shown::Present { partitions, ready: false }),
        Some(e) => return Err(Error::from_reason(format!("the metadata of topic \"{topic}\": {e}"))),
    }
    let ready = partitions > 0 && t.partitions().iter().all(|p| p.leader() >= 0 && p.error().is_none());
    Ok(Shown::Present { partitions, ready })
}

/// Waits until the metadata shows `topic` with a leader for every partition; its partition count.
/// A topic the broker has just created (here or by another client) can take a moment to show.
fn wait_ready(client: &Admin, topic: &str, deadline: Deadline) -> Result<u32> {
    loop {
        if let Shown::Present { partitions, ready: true } = shown(&metadata(client, Some(topic), deadline)?, topic)? {
            return Ok(partitions);
        }
        if deadline.passed() {
            return Err(Error::from_reason(format!(
                "topic \"{topic}\" exists, but the metadata does not show a leader for each of its partitions within {} ms",
                deadline.ms
            )));
        }
        std::thread::sleep(RECHECK);
    }
}

/// Waits until the metadata no longer lists any of `topics`.
fn wait_gone(client: &Admin, topics: &[String], deadline: Deadline) -> Result<()> {
    loop {
        let m = metadata(client, None, deadline)?;
        let left: Vec<&str> = m.topics().iter().map(|t| t.name()).filter(|n| topics.iter().any(|t| t == n)).collect();
        if left.is_empty() {
            return Ok(());
        }
        if deadline.passed() {
            return Err(Error::from_reason(format!("deleted, but still listed after {} ms: {}", deadline.ms, left.join(", "))));
        }
        std::thread::sleep(RECHECK);
    }
}

/// Throws a TypeError now (the call returns no promise) naming the argument.
fn type_error(env: &Env, message: String) -> Error {
    match env.throw_type_error(&message, None) {
        Ok(()) => Error::new(Status::PendingException, message),
        Err(e) => e,
    }
}

fn bad_name(n: &str) -> bool {
    n.is_empty() || n.contains('\0')
}

fn check_name(env: &Env, method: &str, argument: &str, name: &str) -> Result<()> {
    if bad_name(name) {
        return Err(type_error(env, format!("{method}: {argument} is {name:?}, expected a non-empty name without NUL characters")));
    }
    Ok(())
}

fn check_names(env: &Env, method: &str, argument: &str, names: &[String]) -> Result<()> {
    match names.iter().find(|n| bad_name(n)) {
        Some(n) => Err(type_error(env, format!("{method}: {argument} contains {n:?}, expected non-empty names without NUL characters"))),
        None => Ok(()),
    }
}

/// One message for the names whose operation failed, if any did.
fn failures(what: &str, results: Vec<std::result::Result<String, (String, RDKafkaErrorCode)>>) -> Result<()> {
    let failed: Vec<String> = results.into_iter().filter_map(|r| r.err()).map(|(name, code)| format!("\"{name}\": {code}")).collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Error::from_reason(format!("{what}: {}", failed.join("; "))))
    }
}

fn coordinator_pending(code: RDKafkaErrorCode) -> bool {
    matches!(
        code,
        RDKafkaErrorCode::NotCoordinator | RDKafkaErrorCode::CoordinatorNotAvailable | RDKafkaErrorCode::CoordinatorLoadInProgress
    )
}

fn op_options(deadline: Deadline) -> RdAdminOptions {
    let t = Some(Duration::from_millis(deadline.ms as u64));
    RdAdminOptions::new().request_timeout(t).operation_timeout(t)
}

/// An admin request that failed as a whole; when it timed out, with the last broker error.
fn op_failed(client: &Admin, what: &str, e: KafkaError) -> Error {
    let context = client.inner().context();
    drop(context.deliver(client));
    let timed_out = matches!(e, KafkaError::AdminOp(RDKafkaErrorCode::OperationTimedOut | RDKafkaErrorCode::RequestTimedOut));
    Error::from_reason(format!("{what} on {}: {e}{}", context.brokers, if timed_out { context.last() } else { String::new() }))
}

fn blocking_failed(e: impl std::fmt::Display) -> Error {
    Error::from_reason(format!("admin worker thread failed: {e}"))
}

#[napi(object)]
pub struct AdminOptions {
    pub brokers: String,
    pub client_id: String,
    /// Further librdkafka properties.
    pub extra: Option<HashMap<String, String>>,
}

/// What `create_topic` found or did.
#[napi(object)]
pub struct TopicCreated {
    /// False when the topic existed already (created before, or by another client at the same time).
    pub created: bool,
    /// The topic's partition count as the broker reports it now.
    pub partitions: u32,
}

/// One partition's offsets: the earliest still held, and the one the next record will get.
#[napi(object)]
pub struct Watermark {
    pub partition: i32,
    pub low: f64,
    pub high: f64,
}

#[napi]
pub struct NativeAdmin {
    client: Handle<Admin>,
}

#[napi]
impl NativeAdmin {
    /// Metadata requests never create a topic (librdkafka's producer default would let a broker with
    /// auto-creation create any topic asked about).
    #[napi(constructor)]
    pub fn new(options: AdminOptions) -> Result<Self> {
        let mut cfg = client_config(&options.brokers, &options.client_id);
        cfg.set("allow.auto.create.topics", "false");
        configure(&mut cfg, &options.extra);
        let context = AdminContext { brokers: options.brokers, reports: Mutex::new(Reports::default()) };
        let client: Admin = cfg.create_with_context(context).map_err(|e| fail("creating the admin client", e))?;
        Ok(Self { client: Handle::new(client, "admin client") })
    }

    /// The names of all topics (internal ones included), sorted.
    #[napi]
    pub fn topics(&self, timeout_ms: u32) -> Result<AsyncTask<Topics>> {
        Ok(AsyncTask::new(Topics { client: self.client.get()?, deadline_ms: timeout_ms }))
    }

    /// The partition count of `topic`, or null when it does not exist.
    #[napi]
    pub fn partitions(&self, env: &Env, topic: String, timeout_ms: u32) -> Result<AsyncTask<Partitions>> {
        check_name(env, "partitions", "topic", &topic)?;
        Ok(AsyncTask::new(Partitions { client: self.client.get()?, topic, deadline_ms: timeout_ms }))
    }

    /// Per partition of `topic`, in partition order: the low and high watermarks.
    #[napi]
    pub fn watermarks(&self, env: &Env, topic: String, timeout_ms: u32) -> Result<AsyncTask<Watermarks>> {
        check_name(env, "watermarks", "topic", &topic)?;
        Ok(AsyncTask::new(Watermarks { client: self.client.get()?, topic, deadline_ms: timeout_ms }))
    }

    /// Creates `topic` with `partitions` partitions and the broker's default replication factor (and
    /// `configs`, topic configs such as `max.message.bytes`, over the broker's defaults), and resolves
    /// once the metadata shows a leader for each. A topic that exists already is not an error: it
    /// resolves with `created: false` and the partition count the topic has (its configs unchanged).
    #[napi]
    pub fn create_topic<'env>(
        &self,
        env: &'env Env,
        topic: String,
        partitions: f64,
        timeout_ms: u32,
        configs: Option<HashMap<String, String>>,
    ) -> Result<PromiseRaw<'env, TopicCreated>> {
        check_name(env, "createTopic", "topic", &topic)?;
        if !(partitions.fract() == 0.0 && (1.0..=i32::MAX as f64).contains(&partitions)) {
            return Err(type_error(env, format!("createTopic: partitions is {partitions}, expected an integer ≥ 1")));
        }
        let configs: Vec<(String, String)> = configs.unwrap_or_default().into_iter().collect();
        if let Some((k, v)) = configs.iter().find(|(k, v)| bad_name(k) || v.contains('\0')) {
            return Err(type_error(env, format!("createTopic: config {k:?} = {v:?}, expected a non-empty name and values without NUL characters")));
        }
        let client = self.client.get()?;
        let deadline = Deadline::new(timeout_ms);
        env.spawn_future(async move {
            let results = {
                let mut new = NewTopic::new(&topic, partitions as i32, TopicReplication::Fixed(-1));
                for (k, v) in &configs {
                    new = new.set(k.as_str(), v.as_str());
                }
                client.create_topics([&new], &op_options(deadline)).await
            }
            .map_err(|e| op_failed(&client, &format!("creating topic \"{topic}\""), e))?;
            let created = match results.into_iter().next() {
                Some(Ok(_)) => true,
                Some(Err((_, RDKafkaErrorCode::TopicAlreadyExists))) => false,
                Some(Err((_, code))) => return Err(Error::from_reason(format!("creating topic \"{topic}\": {code}"))),
                None => return Err(Error::from_reason(format!("creating topic \"{topic}\": the broker returned no result"))),
            };
            let partitions = tokio::task::spawn_blocking(move || wait_ready(&client, &topic, deadline)).await.map_err(blocking_failed)??;
            Ok(TopicCreated { created, partitions })
        })
    }

    /// The configs of `topic` as the broker applies them (its own and the broker's defaults), by name;
    /// sensitive ones (without a value) are left out. Rejects when the topic does not exist.
    #[napi]
    pub fn topic_configs<'env>(&self, env: &'env Env, topic: String, timeout_ms: u32) -> Result<PromiseRaw<'env, HashMap<String, String>>> {
        check_name(env, "topicConfigs", "topic", &topic)?;
        let client = self.client.get()?;
        let deadline = Deadline::new(timeout_ms);
        env.spawn_future(async move {
            let results = {
                let resource = ResourceSpecifier::Topic(topic.as_str());
                client.describe_configs([&resource], &op_options(deadline)).await
            }
            .map_err(|e| op_failed(&client, &format!("describing the configs of topic \"{topic}\""), e))?;
            match results.into_iter().next() {
                Some(Ok(resource)) => Ok(resource.entries.into_iter().filter_map(|e| e.value.map(|v| (e.name, v))).collect()),
                Some(Err(RDKafkaErrorCode::UnknownTopicOrPartition)) => Err(Error::from_reason(format!("topic \"{topic}\" does not exist"))),
                Some(Err(code)) => Err(Error::from_reason(format!("describing the configs of topic \"{topic}\": {code}"))),
                None => Err(Error::from_reason(format!("describing the configs of topic \"{topic}\": the broker returned no result"))),
            }
        })
    }

    /// Deletes the topics and resolves once the metadata no longer lists them; rejects naming each
    /// topic the broker refused (e.g. one that does not exist).
    #[napi]
    pub fn delete_topics<'env>(&self, env: &'env Env, topics: Vec<String>, timeout_ms: u32) -> Result<PromiseRaw<'env, ()>> {
        check_names(env, "deleteTopics", "topics", &topics)?;
        let client = self.client.get()?;
        let deadline = Deadline::new(timeout_ms);
        env.spawn_future(async move {
            if topics.is_empty() {
                return Ok(());
            }
            let names: Vec<&str> = topics.iter().map(String::as_str).collect();
            let results = client.delete_topics(&names, &op_options(deadline)).await.map_err(|e| op_failed(&client, "deleting topics", e))?;
            failures("deleting topics", results)?;
            tokio::task::spawn_blocking(move || wait_gone(&client, &topics, deadline)).await.map_err(blocking_failed)?
        })
    }

    /// Deletes the consumer groups (their committed offsets); rejects naming each group the broker
    /// refused (e.g. one with members, or none of that name).
    #[napi]
    pub fn delete_groups<'env>(&self, env: &'env Env, groups: Vec<String>, timeout_ms: u32) -> Result<PromiseRaw<'env, ()>> {
        check_names(env, "deleteGroups", "groups", &groups)?;
        let client = self.client.get()?;
        let deadline = Deadline::new(timeout_ms);
        env.spawn_future(async move {
            if groups.is_empty() {
                return Ok(());
            }
            let mut names: Vec<&str> = groups.iter().map(String::as_str).collect();
            loop {
                let results = client.delete_groups(&names, &op_options(deadline)).await.map_err(|e| op_failed(&client, "deleting consumer groups", e))?;
                // The group coordinator can be moving or still loading (or, on a new cluster, not
                // there yet): ask again for those groups.
                let again: Vec<&str> = names
                    .iter()
                    .copied()
                    .filter(|n| results.iter().any(|r| matches!(r, Err((g, code)) if g == n && coordinator_pending(*code))))
                    .collect();
                if again.is_empty() || deadline.passed() {
                    return failures("deleting consumer groups", results);
                }
                names = again;
                tokio::task::spawn_blocking(|| std::thread::sleep(RECHECK)).await.map_err(blocking_failed)?;
            }
        })
    }

    /// Destroys the client off the JS thread, once no call holds it.
    #[napi]
    pub fn close(&self) -> AsyncTask<Release<Admin>> {
        self.client.close()
    }
}

pub struct Topics {
    client: Arc<Admin>,
    deadline_ms: u32,
}

impl Task for Topics {
    type Output = Vec<String>;
    type JsValue = Vec<String>;
    fn compute(&mut self) -> Result<Vec<String>> {
        let m = metadata(&self.client, None, Deadline::new(self.deadline_ms))?;
        let mut names: Vec<String> = m.topics().iter().map(|t| t.name().to_owned()).collect();
        names.sort();
        Ok(names)
    }
    fn resolve(&mut self, _env: Env, names: Vec<String>) -> Result<Vec<String>> {
        Ok(names)
    }
}

pub struct Partitions {
    client: Arc<Admin>,
    topic: String,
    deadline_ms: u32,
}

impl Task for Partitions {
    type Output = Option<u32>;
    type JsValue = Option<u32>;
    /// None when the topic does not exist; waits while it exists with no partitions listed yet.
    fn compute(&mut self) -> Result<Option<u32>> {
        let deadline = Deadline::new(self.deadline_ms);
        loop {
            match shown(&metadata(&self.client, Some(&self.topic), deadline)?, &self.topic)? {
                Shown::Missing => return Ok(None),
                Shown::Present { partitions, .. } if partitions > 0 => return Ok(Some(partitions)),
                Shown::Present { .. } if deadline.passed() => {
                    return Err(Error::from_reason(format!(
                        "topic \"{}\" exists, but the metadata lists none of its partitions within {} ms",
                        self.topic, deadline.ms
                    )))
                }
                Shown::Present { .. } => std::thread::sleep(RECHECK),
            }
        }
    }
    fn resolve(&mut self, _env: Env, n: Option<u32>) -> Result<Option<u32>> {
        Ok(n)
    }
}

pub struct Watermarks {
    client: Arc<Admin>,
    topic: String,
    deadline_ms: u32,
}

impl Watermarks {
    /// A partition's (low, high), asking again while its leader is not yet known or not yet serving
    /// it (right after the topic was created, or while leadership moves).
    fn watermarks(&self, partition: i32, deadline: Deadline) -> Result<(i64, i64)> {
        loop {
            let e = match self.client.inner().fetch_watermarks(&self.topic, partition, deadline.left()) {
                Ok(marks) => return Ok(marks),
                Err(e) => e,
            };
            let passing = matches!(
                e.rdkafka_error_code(),
                Some(
                    RDKafkaErrorCode::NotLeaderForPartition
                        | RDKafkaErrorCode::LeaderNotAvailable
                        | RDKafkaErrorCode::UnknownTopicOrPartition
                        | RDKafkaErrorCode::BrokerTransportFailure
                )
            );
            if !passing || deadline.passed() {
                let context = self.client.inner().context();
                return Err(fail(&format!("reading the offsets of topic \"{}\" partition {partition} from {}", self.topic, context.brokers), e));
            }
            std::thread::sleep(RECHECK);
        }
    }
}

impl Task for Watermarks {
    type Output = Vec<(i32, i64, i64)>;
    type JsValue = Vec<Watermark>;
    fn compute(&mut self) -> Result<Vec<(i32, i64, i64)>> {
        let deadline = Deadline::new(self.deadline_ms);
        let m = metadata(&self.client, Some(&self.topic), deadline)?;
        let Some(t) = m.topics().iter().find(|t| t.name() == self.topic) else {
            return Err(Error::from_reason(format!("topic \"{}\" does not exist", self.topic)));
        };
        if let Some(RDKafkaErrorCode::UnknownTopicOrPartition) = t.error().map(RDKafkaErrorCode::from) {
            return Err(Error::from_reason(format!("topic \"{}\" does not exist", self.topic)));
        }
        let mut ids: Vec<i32> = t.partitions().iter().map(|p| p.id()).collect();
        ids.sort_unstable();
        ids.into_iter()
            .map(|p| {
                let (low, high) = self.watermarks(p, deadline)?;
                Ok((p, low, high))
            })
            .collect()
    }
    fn resolve(&mut self, _env: Env, marks: Vec<(i32, i64, i64)>) -> Result<Vec<Watermark>> {
        Ok(marks.into_iter().map(|(partition, low, high)| Watermark { partition, low: low as f64, high: high as f64 }).collect())
    }
}
