//! `dualnet events tail` and `dualnet deadletter list|retry|discard`: the
//! event flow made readable. Works on the configured transport (Kafka, or
//! the PostgreSQL log), so the same commands serve compose and one node.

use std::{sync::Arc, time::Duration};

use anyhow::Context;
use dualnet_events::{Delivery, Envelope, Header, Position, Record, Subscription, Transport, deadletter};
use dualnet_platform::{config::Config, service};
use prost_reflect::{DescriptorPool, DynamicMessage};
use serde_json::{Value, json};

/// Every topic dualnet publishes to.
pub const TOPICS: [&str; 5] = [
    dualnet_proto::topics::GOVERNANCE,
    dualnet_proto::topics::PARTYGRID,
    dualnet_proto::topics::COMPLAINTS,
    dualnet_proto::topics::ARBITRATION,
    deadletter::TOPIC,
];

#[derive(clap::Args)]
pub struct TailArgs {
    /// Topics to read (repeatable); every dualnet topic when none.
    #[arg(long = "topic")]
    topics: Vec<String>,
    /// Only events of this type, e.g. dualnet.governance.v1.IncidentOpened
    /// (or its last part, IncidentOpened).
    #[arg(long = "type")]
    ty: Option<String>,
    /// Only events about this aggregate (ce_subject, the record key).
    #[arg(long)]
    subject: Option<String>,
    /// Only events of this correlation id (one complaint's whole chain).
    #[arg(long)]
    correlation_id: Option<String>,
    /// Stop after printing this many events.
    #[arg(long)]
    count: Option<usize>,
    /// Keep following; otherwise stop once the topics are quiet for --idle-ms.
    #[arg(long)]
    follow: bool,
    #[arg(long, default_value_t = 2000)]
    idle_ms: u64,
}

#[derive(clap::Args)]
pub struct ReplayArgs {
    /// The consumer group: a service's name (governance-grid, party-grid,
    /// complaints, arbitration). Stop that service first.
    #[arg(long)]
    group: String,
    /// The topic to replay (repeatable).
    #[arg(long = "topic", required = true)]
    topics: Vec<String>,
    /// Read again from this offset in every partition.
    #[arg(long, conflicts_with = "to_time", required_unless_present = "to_time")]
    to_offset: Option<i64>,
    /// Read again from the first record at or after this time (RFC 3339).
    #[arg(long)]
    to_time: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(clap::Subcommand)]
pub enum DeadletterCommand {
    /// Dead letters not yet retried or discarded, oldest first.
    List(DeadletterArgs),
    /// Republishes pending dead letters to the topic they came from (after a
    /// fix); consumers that applied them before ignore them. Only a dualnet
    /// topic, only an event its own producer published there, with its
    /// original headers; each retry is recorded on the audit topic.
    Retry(DeadletterArgs),
    /// Marks pending dead letters handled without republishing them (recorded
    /// on the audit topic).
    Discard(DeadletterArgs),
}

#[derive(clap::Args)]
pub struct DeadletterArgs {
    /// At most this many dead letters.
    #[arg(long)]
    count: Option<usize>,
    #[arg(long, default_value_t = 2000)]
    idle_ms: u64,
    /// Who retries or discards (a staff code), as the audit topic records
    /// it; required for retry and discard.
    #[arg(long)]
    actor: Option<String>,
}

/// Where retries and discards of dead letters are recorded: CloudEvents
/// with a JSON payload (docs/events.md).
pub const AUDIT_TOPIC: &str = "dualnet.audit.v1";

/// The consumer group whose progress marks dead letters handled.
const DEADLETTER_GROUP: &str = "dualnet-deadletter-tool";

/// Decodes payloads by their CloudEvents type from the compiled contract.
pub struct Decoder {
    pool: DescriptorPool,
}

impl Decoder {
    pub fn new() -> anyhow::Result<Self> {
        Ok(Self { pool: DescriptorPool::decode(dualnet_proto::FILE_DESCRIPTOR_SET)? })
    }

    /// One record as readable JSON: where it is, its CloudEvents attributes,
    /// the dead-letter headers if any, and the payload decoded.
    pub fn json(&self, d: &Delivery) -> Value {
        let envelope = Envelope::from_headers(&d.record.headers).ok();
        let json_payload = d.record.header("content-type") == Some("application/json");
        let data = match &envelope {
            Some(_) if json_payload => {
                serde_json::from_slice(&d.record.payload).unwrap_or_else(|e| json!({ "undecodable": e.to_string() }))
            }
            Some(e) => match self.pool.get_message_by_name(&e.ty) {
                Some(desc) => match DynamicMessage::decode(desc, d.record.payload.as_slice()) {
                    Ok(m) => serde_json::to_value(&m).unwrap_or(Value::Null),
                    Err(err) => json!({ "undecodable": err.to_string() }),
                },
                None => json!({ "unknown_type": e.ty }),
            },
            None => json!({ "not_a_cloudevent": d.record.payload.len() }),
        };
        let dl: serde_json::Map<String, Value> = d
            .record
            .headers
            .iter()
            .filter(|h| h.name.starts_with("dl_"))
            .map(|h| (h.name.clone(), Value::String(h.value_str().unwrap_or_default().to_string())))
            .collect();
        let mut out = json!({
            "topic": d.record.topic,
            "partition": d.partition,
            "offset": d.offset,
            "key": d.record.key,
            "data": data,
        });
        if let Some(e) = envelope {
            out["ce"] = json!({
                "id": e.id.to_string(),
                "source": e.source,
                "type": e.ty,
                "subject": e.subject,
                "time": e.time.to_rfc3339(),
                "correlationid": e.correlation_id.to_string(),
                "causationid": e.causation_id.map(|c| c.to_string()),
                "traceparent": e.traceparent,
            });
        }
        if !dl.is_empty() {
            out["deadletter"] = Value::Object(dl);
        }
        out
    }
}

impl TailArgs {
    fn keeps(&self, d: &Delivery) -> bool {
        let e = Envelope::from_headers(&d.record.headers).ok();
        let ty_ok = self
            .ty
            .as_ref()
            .is_none_or(|t| e.as_ref().is_some_and(|e| e.ty == *t || e.ty.rsplit('.').next() == Some(t.as_str())));
        let subject_ok = self.subject.as_ref().is_none_or(|s| d.record.key == *s);
        let corr_ok =
            self.correlation_id.as_ref().is_none_or(|c| e.as_ref().is_some_and(|e| e.correlation_id.to_string() == *c));
        ty_ok && subject_ok && corr_ok
    }
}

/// The next record, or `None` once nothing arrived for `idle`.
async fn next(sub: &mut Box<dyn Subscription>, idle: Option<Duration>) -> anyhow::Result<Option<Delivery>> {
    match idle {
        Some(idle) => match tokio::time::timeout(idle, sub.next()).await {
            Ok(d) => Ok(Some(d?)),
            Err(_) => Ok(None),
        },
        None => Ok(Some(sub.next().await?)),
    }
}

#[allow(clippy::print_stdout)]
pub async fn tail(args: TailArgs, config: Config) -> anyhow::Result<()> {
    let transport = service::transport(&config).await?;
    let topics: Vec<String> =
        if args.topics.is_empty() { TOPICS.map(String::from).to_vec() } else { args.topics.clone() };
    transport.ensure_topics(&topics).await?;
    // A group of its own: it reads from the start and disturbs no service.
    let group = format!("dualnet-tail-{}", uuid::Uuid::now_v7().simple());
    let mut sub = transport.subscribe(&group, &topics).await?;
    let decoder = Decoder::new()?;
    let idle = (!args.follow).then(|| Duration::from_millis(args.idle_ms));
    let mut printed = 0;
    while let Some(d) = next(&mut sub, idle).await? {
        if args.keeps(&d) {
            println!("{}", decoder.json(&d));
            printed += 1;
            if args.count.is_some_and(|c| printed >= c) {
                break;
            }
        }
    }
    eprintln!("{printed} events");
    Ok(())
}

/// Moves a stopped service's consumer group back so that it reads the
/// topics again. Events it applied before are skipped by its inbox: a
/// replay never doubles an effect. To rebuild a read model, clear it and
/// the consumer's inbox rows for those events first (docs/operations.md).
#[allow(clippy::print_stdout)]
pub async fn replay(args: ReplayArgs, config: Config) -> anyhow::Result<()> {
    let transport = service::transport(&config).await?;
    let to = match (args.to_offset, args.to_time) {
        (Some(o), _) => Position::Offset(o),
        (None, Some(t)) => Position::Time(t),
        (None, None) => anyhow::bail!("give --to-offset or --to-time"),
    };
    for topic in &args.topics {
        eprintln!("rewinding {} on {topic} …", args.group);
        let positions = transport.rewind(&args.group, topic, to).await?;
        for (partition, offset) in positions {
            println!(
                "{}",
                json!({ "group": args.group, "topic": topic, "partition": partition, "next_offset": offset })
            );
        }
    }
    Ok(())
}

/// The record as it was before it was dead-lettered: its origin topic and
/// headers without the `dl_*` ones. Refused unless the origin is a dualnet
/// topic and the event is its producer's (`ce_source` and `ce_type` of that
/// topic): a dead letter's headers are whatever someone wrote, and retrying
/// must not turn into publishing anything anywhere.
fn origin(record: &Record) -> anyhow::Result<Record> {
    let topic = record.header(deadletter::ORIGIN_TOPIC).context("a dead letter without dl_origin_topic")?;
    let producer = dualnet_proto::topics::producer(topic)
        .with_context(|| format!("dl_origin_topic {topic:?} is no dualnet event topic"))?;
    let source = record.header("ce_source").unwrap_or_default();
    if source != producer {
        anyhow::bail!("an event from {source:?} cannot go back to {topic}, which only {producer} publishes to");
    }
    let ty = record.header("ce_type").unwrap_or_default();
    if !ty.starts_with(&format!("{topic}.")) {
        anyhow::bail!("an event of type {ty:?} is not one of {topic}'s");
    }
    Ok(Record {
        topic: topic.to_string(),
        key: record.key.clone(),
        headers: record.headers.iter().filter(|h| !h.name.starts_with("dl_")).cloned().collect::<Vec<Header>>(),
        payload: record.payload.clone(),
    })
}

/// The audit record of `action` on dead letter `d` by `actor`.
fn audit(d: &Delivery, action: &str, actor: &str) -> Record {
    let event = d.record.header("ce_id").unwrap_or_default().to_string();
    let now = chrono::Utc::now();
    let payload = json!({
        "actor": actor,
        "at": now.to_rfc3339(),
        "event_id": event,
        "event_type": d.record.header("ce_type"),
        "origin_topic": d.record.header(deadletter::ORIGIN_TOPIC),
        "origin_partition": d.record.header(deadletter::ORIGIN_PARTITION),
        "origin_offset": d.record.header(deadletter::ORIGIN_OFFSET),
        "deadletter_partition": d.partition,
        "deadletter_offset": d.offset,
        "error": d.record.header(deadletter::ERROR),
    });
    Record {
        topic: AUDIT_TOPIC.to_string(),
        key: event.clone(),
        headers: vec![
            Header::new("ce_specversion", "1.0"),
            Header::new("ce_id", uuid::Uuid::now_v7().to_string()),
            Header::new("ce_source", "/dualnet/deadletter-tool"),
            Header::new("ce_type", format!("dualnet.audit.v1.{action}")),
            Header::new("ce_subject", &event),
            Header::new("ce_time", now.to_rfc3339()),
            Header::new("content-type", "application/json"),
        ],
        payload: payload.to_string().into_bytes(),
    }
}

#[allow(clippy::print_stdout)]
pub async fn deadletter(command: DeadletterCommand, config: Config) -> anyhow::Result<()> {
    let transport: Arc<dyn Transport> = service::transport(&config).await?;
    let topics = vec![deadletter::TOPIC.to_string()];
    transport.ensure_topics(&topics).await?;
    let (args, act) = match &command {
        DeadletterCommand::List(a) => (a, "listed"),
        DeadletterCommand::Retry(a) => (a, "retried"),
        DeadletterCommand::Discard(a) => (a, "discarded"),
    };
    let actor = match (&command, args.actor.as_deref().map(str::trim)) {
        (DeadletterCommand::List(_), _) => String::new(),
        (_, Some(a)) if !a.is_empty() => a.to_string(),
        _ => anyhow::bail!("name who {act} the dead letters: --actor <staff code> (recorded on {AUDIT_TOPIC})"),
    };
    if !matches!(command, DeadletterCommand::List(_)) {
        transport.ensure_topics(&[AUDIT_TOPIC.to_string()]).await?;
    }
    let mut sub = transport.subscribe(DEADLETTER_GROUP, &topics).await?;
    let decoder = Decoder::new()?;
    let publisher = transport.publisher();
    let mut done = 0;
    while let Some(d) = next(&mut sub, Some(Duration::from_millis(args.idle_ms))).await? {
        println!("{}", decoder.json(&d));
        match command {
            // Listing moves nothing: the group's position stays where it was.
            DeadletterCommand::List(_) => {}
            DeadletterCommand::Retry(_) => {
                // A refused one stops the run where it is: it stays pending
                // (to inspect, or to discard), and nothing after it moves.
                let back = origin(&d.record).with_context(|| {
                    format!("dead letter at partition {} offset {} refused; discard it instead", d.partition, d.offset)
                })?;
                publisher.publish(&[back, audit(&d, "DeadLetterRetried", &actor)]).await?;
                sub.commit(&d).await?;
            }
            DeadletterCommand::Discard(_) => {
                publisher.publish(&[audit(&d, "DeadLetterDiscarded", &actor)]).await?;
                sub.commit(&d).await?
            }
        }
        done += 1;
        eprintln!("{act} {done}");
        if args.count.is_some_and(|c| done >= c) {
            break;
        }
    }
    eprintln!("{done} dead letters {act}");
    Ok(())
}
