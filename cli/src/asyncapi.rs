//! The AsyncAPI 3 document of every topic, message, key and header, built
//! from the compiled protobuf contract — so the checked-in
//! `docs/asyncapi.json` cannot drift from `proto/` (a test compares them).

use prost_reflect::{DescriptorPool, FieldDescriptor, Kind, MessageDescriptor};
use serde_json::{Map, Value, json};

/// The topic of each events file: its package (`dualnet.governance.v1`).
fn events_files(pool: &DescriptorPool) -> Vec<prost_reflect::FileDescriptor> {
    let mut files: Vec<_> = pool.files().filter(|f| f.name().ends_with("/events.proto")).collect();
    files.sort_by(|a, b| a.package_name().cmp(b.package_name()));
    files
}

fn field_schema(f: &FieldDescriptor, schemas: &mut Map<String, Value>) -> Value {
    let one = match f.kind() {
        Kind::String => json!({ "type": "string" }),
        Kind::Bool => json!({ "type": "boolean" }),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 | Kind::Uint32 | Kind::Fixed32 => json!({ "type": "integer" }),
        // The protobuf JSON mapping writes 64-bit integers as strings.
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 | Kind::Uint64 | Kind::Fixed64 => {
            json!({ "type": "string", "format": "int64" })
        }
        Kind::Double | Kind::Float => json!({ "type": "number" }),
        Kind::Bytes => json!({ "type": "string", "contentEncoding": "base64" }),
        Kind::Enum(e) => {
            json!({ "type": "string", "enum": e.values().map(|v| v.name().to_string()).collect::<Vec<_>>() })
        }
        Kind::Message(m) if m.full_name() == "google.protobuf.Timestamp" => {
            json!({ "type": "string", "format": "date-time" })
        }
        Kind::Message(m) => {
            add_schema(&m, schemas);
            json!({ "$ref": format!("#/components/schemas/{}", m.full_name()) })
        }
    };
    if f.is_list() { json!({ "type": "array", "items": one }) } else { one }
}

fn add_schema(m: &MessageDescriptor, schemas: &mut Map<String, Value>) {
    if schemas.contains_key(m.full_name()) {
        return;
    }
    schemas.insert(m.full_name().to_string(), Value::Null);
    let mut properties = Map::new();
    for f in m.fields() {
        let mut schema = field_schema(&f, schemas);
        schema["x-protobuf-field"] = json!(f.number());
        properties.insert(f.json_name().to_string(), schema);
    }
    let schema = json!({ "type": "object", "x-protobuf-message": m.full_name(), "properties": properties });
    schemas.insert(m.full_name().to_string(), schema);
}

/// A value of field `f` for a message's example: ids look like ids, enums
/// take their first real value, times a China-local morning.
fn example_value(f: &FieldDescriptor, depth: usize) -> Value {
    let one = match f.kind() {
        Kind::String if f.name() == "id" || f.name().ends_with("_id") => json!("0193a1b2-7c3d-7e4f-8a5b-6c7d8e9f0a1b"),
        Kind::String => json!(format!("<{}>", f.name())),
        Kind::Bool => json!(true),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 | Kind::Uint32 | Kind::Fixed32 => json!(1),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 | Kind::Uint64 | Kind::Fixed64 => json!("1"),
        Kind::Double | Kind::Float => json!(1.0),
        Kind::Bytes => json!(""),
        Kind::Enum(e) => json!(e.values().nth(1).or_else(|| e.values().next()).map(|v| v.name().to_string())),
        Kind::Message(m) if m.full_name() == "google.protobuf.Timestamp" => json!("2026-11-02T07:00:00+08:00"),
        Kind::Message(m) if depth < 3 => example(&m, depth + 1),
        Kind::Message(_) => json!({}),
    };
    if f.is_list() { json!([one]) } else { one }
}

/// A message's example payload in the protobuf JSON mapping.
fn example(m: &MessageDescriptor, depth: usize) -> Value {
    Value::Object(m.fields().map(|f| (f.json_name().to_string(), example_value(&f, depth))).collect())
}

fn example_headers(m: &MessageDescriptor, area: &str) -> Value {
    json!({
        "ce_specversion": "1.0",
        "ce_id": "0193a1b2-7c3d-7e4f-8a5b-6c7d8e9f0a1c",
        "ce_source": format!("/dualnet/{}", match area {
            "governance" => "governance-grid",
            "partygrid" => "party-grid",
            other => other,
        }),
        "ce_type": m.full_name(),
        "ce_subject": "0193a1b2-7c3d-7e4f-8a5b-6c7d8e9f0a1b",
        "ce_time": "2026-11-02T07:00:00+08:00",
        "content-type": "application/protobuf",
        "ce_correlationid": "0193a1b2-7c3d-7e4f-8a5b-6c7d8e9f0a1d",
    })
}

fn headers() -> Value {
    let s = |d: &str| json!({ "type": "string", "description": d });
    json!({
        "type": "object",
        "required": ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_subject", "ce_time", "content-type", "ce_correlationid"],
        "properties": {
            "ce_specversion": { "type": "string", "const": "1.0" },
            "ce_id": s("event id, UUID v7"),
            "ce_source": s("/dualnet/<service>"),
            "ce_type": s("the protobuf full name of the payload, e.g. dualnet.governance.v1.IncidentOpened"),
            "ce_subject": s("the aggregate id; also the record key"),
            "ce_time": s("RFC 3339"),
            "content-type": { "type": "string", "const": "application/protobuf" },
            "ce_correlationid": s("ties every event of one complaint's chain"),
            "ce_causationid": s("the id of the event that caused this one"),
            "traceparent": s("W3C trace context"),
            "tracestate": s("W3C trace context"),
        }
    })
}

fn deadletter_headers() -> Value {
    let mut h = headers();
    let s = |d: &str| json!({ "type": "string", "description": d });
    let props = h["properties"].as_object_mut().expect("properties");
    props.insert("dl_error".into(), s("why the consumer gave up"));
    props.insert("dl_consumer".into(), s("the consumer group that gave up"));
    props.insert("dl_origin_topic".into(), s("the topic the record came from"));
    props.insert("dl_origin_partition".into(), s("its partition there"));
    props.insert("dl_origin_offset".into(), s("its offset there"));
    props.insert("dl_attempts".into(), s("how many times it was tried"));
    h
}

/// One event message: its payload schema, headers, key and an example.
fn message(m: &MessageDescriptor, area: &str, key: &Value) -> Value {
    json!({
        "name": m.name(),
        "title": m.full_name(),
        "contentType": "application/protobuf",
        "headers": { "$ref": "#/components/schemas/CloudEventHeaders" },
        "payload": { "$ref": format!("#/components/schemas/{}", m.full_name()) },
        "bindings": { "kafka": { "key": key } },
        "examples": [{
            "name": format!("{}-example", m.name()),
            "summary": "the payload in the protobuf JSON mapping; on the wire it is protobuf-encoded",
            "headers": example_headers(m, area),
            "payload": example(m, 0),
        }],
    })
}

/// Where the topics are: the compose broker, from inside and from the host.
fn servers() -> Value {
    json!({
        "compose": {
            "host": "kafka:19092",
            "protocol": "kafka",
            "protocolVersion": "4.1.1",
            "description": "Apache Kafka as docker-compose.yml runs it, inside the compose network",
        },
        "local": {
            "host": "127.0.0.1:9092",
            "protocol": "kafka",
            "protocolVersion": "4.1.1",
            "description": "the same broker from the compose host (KAFKA_PORT, 9092 by default)",
        },
    })
}

/// The document, from the contract compiled into the binary.
pub fn document() -> anyhow::Result<Value> {
    let pool = DescriptorPool::decode(dualnet_proto::FILE_DESCRIPTOR_SET)?;
    let mut channels = Map::new();
    let mut operations = Map::new();
    let mut messages = Map::new();
    let mut schemas = Map::new();
    let key =
        json!({ "type": "string", "description": "the aggregate id (UUID); one aggregate's events stay in order" });
    for file in events_files(&pool) {
        let topic = file.package_name().to_string();
        let area = topic.split('.').nth(1).unwrap_or(&topic).to_string();
        let mut refs = Map::new();
        let mut names: Vec<_> = file.messages().collect();
        names.sort_by(|a, b| a.name().cmp(b.name()));
        for m in names {
            add_schema(&m, &mut schemas);
            messages.insert(m.full_name().to_string(), message(&m, &area, &key));
            refs.insert(m.name().to_string(), json!({ "$ref": format!("#/components/messages/{}", m.full_name()) }));
        }
        channels.insert(
            area.clone(),
            json!({
                "address": topic,
                "servers": [{ "$ref": "#/servers/compose" }, { "$ref": "#/servers/local" }],
                "messages": refs,
                "bindings": { "kafka": { "topic": topic } },
            }),
        );
        operations.insert(
            format!("receive-{area}"),
            json!({ "action": "receive", "channel": { "$ref": format!("#/channels/{area}") } }),
        );
    }
    channels.insert(
        "deadletter".into(),
        json!({
            "address": "dualnet.deadletter.v1",
            "servers": [{ "$ref": "#/servers/compose" }, { "$ref": "#/servers/local" }],
            "description": "Records no consumer could apply, unchanged, with dl_* headers. Any message of the other channels.",
            "messages": { "DeadLetter": { "$ref": "#/components/messages/DeadLetter" } },
            "bindings": { "kafka": { "topic": "dualnet.deadletter.v1" } },
        }),
    );
    operations.insert(
        "receive-deadletter".into(),
        json!({ "action": "receive", "channel": { "$ref": "#/channels/deadletter" } }),
    );
    messages.insert(
        "DeadLetter".into(),
        json!({
            "name": "DeadLetter",
            "contentType": "application/protobuf",
            "headers": { "$ref": "#/components/schemas/DeadLetterHeaders" },
            "payload": { "description": "the original payload; its type is in ce_type" },
            "bindings": { "kafka": { "key": key } },
        }),
    );
    schemas.insert("CloudEventHeaders".into(), headers());
    schemas.insert("DeadLetterHeaders".into(), deadletter_headers());
    Ok(json!({
        "asyncapi": "3.0.0",
        "info": {
            "title": "dualnet events",
            "version": "1.0.0",
            "description": "Events of the linked dual network: CloudEvents 1.0 in Kafka binary mode, protobuf payloads. \
                            Topics are prefixed by the deployment's kafka.namespace. No personal data.",
            "license": { "name": "Apache-2.0", "url": "https://www.apache.org/licenses/LICENSE-2.0" },
        },
        "servers": servers(),
        "defaultContentType": "application/protobuf",
        "channels": channels,
        "operations": operations,
        "components": { "messages": messages, "schemas": schemas },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checked_in_asyncapi_document_matches_the_contract() {
        let checked_in: Value = serde_json::from_str(include_str!("../../docs/asyncapi.json")).unwrap();
        let generated = document().unwrap();
        assert!(
            checked_in == generated,
            "docs/asyncapi.json is out of date: run `cargo run -p dualnet -- asyncapi > docs/asyncapi.json`"
        );
    }

    #[test]
    fn every_event_message_of_every_topic_is_in_the_document() {
        let doc = document().unwrap();
        for (topic, message) in [
            ("governance", "IncidentOpened"),
            ("partygrid", "LinkageTaskCreated"),
            ("complaints", "ComplaintFiled"),
            ("arbitration", "CaseDeadlinePassed"),
        ] {
            assert!(doc["channels"][topic]["messages"][message].is_object(), "{topic} {message}");
        }
        let opened = &doc["components"]["schemas"]["dualnet.governance.v1.IncidentOpened"]["properties"];
        assert_eq!(opened["incidentId"]["type"], "string");
        assert_eq!(opened["level"]["enum"][1], "INCIDENT_LEVEL_GRID");
    }
}
