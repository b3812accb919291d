//! Hostile input on every RPC of the contract and every Open311 route:
//! requests are built from the compiled descriptors, each field in turn
//! given a hostile value (NUL and control characters, 100,000 characters,
//! odd Unicode, numbers at their limits, unknown enum values, timestamps in
//! year 9999 and before 1970) while every other field holds a plausible one
//! — real ids from a seeded map, so that validation passes and the store is
//! reached. No answer may be `INTERNAL` or `UNKNOWN` (Open311: no 5xx).

#![allow(clippy::too_many_lines)]

use std::collections::HashMap;

use dualnet_e2e::{System, WAIT};
use dualnet_proto::{complaints::v1 as cpb, governance::v1 as gov, partygrid::v1 as party};
use dualnet_testkit::{http, wait_for};
use prost::Message;
use prost_types::{
    DescriptorProto, FieldDescriptorProto, FileDescriptorSet,
    field_descriptor_proto::{Label, Type},
};
use tonic::{Code, Request, codegen::http::uri::PathAndQuery};

/// Any message: the answer's fields are skipped.
#[derive(Clone, PartialEq, prost::Message)]
struct Anything {}

/// A request already encoded, sent as it is.
#[derive(Clone)]
struct Raw(Vec<u8>);

struct RawCodec;

impl tonic::codec::Codec for RawCodec {
    type Encode = Raw;
    type Decode = Anything;
    type Encoder = RawEncoder;
    type Decoder = tonic_prost::ProstDecoder<Anything>;
    fn encoder(&mut self) -> Self::Encoder {
        RawEncoder
    }
    fn decoder(&mut self) -> Self::Decoder {
        tonic::codec::Codec::decoder(&mut tonic_prost::ProstCodec::<Anything, Anything>::default())
    }
}

struct RawEncoder;

impl tonic::codec::Encoder for RawEncoder {
    type Item = Raw;
    type Error = tonic::Status;
    fn encode(&mut self, item: Raw, dst: &mut tonic::codec::EncodeBuf<'_>) -> Result<(), tonic::Status> {
        use bytes::BufMut;
        dst.put_slice(&item.0);
        Ok(())
    }
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn key(out: &mut Vec<u8>, number: i32, wire: u64) {
    varint(out, (u64::from(number as u32) << 3) | wire);
}

/// One field's value, encoded with its key.
fn encode(field: &FieldDescriptorProto, value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    let n = field.number();
    match value {
        Value::Varint(v) => {
            key(&mut out, n, 0);
            varint(&mut out, *v);
        }
        Value::Bytes(b) => {
            key(&mut out, n, 2);
            varint(&mut out, b.len() as u64);
            out.extend_from_slice(b);
        }
        Value::Fixed64(v) => {
            key(&mut out, n, 1);
            out.extend_from_slice(&v.to_le_bytes());
        }
        Value::Fixed32(v) => {
            key(&mut out, n, 5);
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    out
}

enum Value {
    Varint(u64),
    Bytes(Vec<u8>),
    Fixed64(u64),
    Fixed32(u32),
}

fn text(s: &str) -> Value {
    Value::Bytes(s.as_bytes().to_vec())
}

fn timestamp(seconds: i64, nanos: i32) -> Value {
    Value::Bytes(prost_types::Timestamp { seconds, nanos }.encode_to_vec())
}

/// The messages of the contract by full name (`.pkg.Message`).
struct Types(HashMap<String, DescriptorProto>);

impl Types {
    fn new(set: &FileDescriptorSet) -> Self {
        fn add(map: &mut HashMap<String, DescriptorProto>, scope: &str, m: &DescriptorProto) {
            let name = format!("{scope}.{}", m.name());
            for nested in &m.nested_type {
                add(map, &name, nested);
            }
            map.insert(name, m.clone());
        }
        let mut map = HashMap::new();
        for file in &set.file {
            for m in &file.message_type {
                add(&mut map, &format!(".{}", file.package()), m);
            }
        }
        Self(map)
    }
}

/// What plausible values are made of: real ids by the noun they name.
struct World {
    ids: HashMap<&'static str, String>,
}

impl World {
    /// A real id for field `name` of a request of `rpc`.
    fn id(&self, rpc: &str, name: &str) -> String {
        let noun = if name == "id" || name == "draft_id" {
            // `GetIncident`'s id is an incident's.
            ["LinkageTask", "Incident", "Complaint", "Case", "Organisation", "Grid", "Building", "RentalUnit"]
                .into_iter()
                .find(|n| rpc.contains(n))
                .unwrap_or("")
        } else {
            name.trim_end_matches("_ids").trim_end_matches("_id")
        };
        let noun = noun.to_ascii_lowercase();
        let found = self.ids.iter().find(|(k, _)| noun.replace('_', "").contains(&k.replace('_', "")));
        found.map(|(_, v)| v.clone()).unwrap_or_else(|| uuid::Uuid::now_v7().to_string())
    }

    /// A value that passes validation as far as a guess can.
    fn plausible(&self, types: &Types, rpc: &str, field: &FieldDescriptorProto, depth: usize) -> Option<Value> {
        let name = field.name();
        Some(match field.r#type() {
            Type::String => {
                if name == "page_token" {
                    // The first page: only a token the list issued is plausible.
                    return None;
                } else if name == "id" || name.ends_with("_id") || name.ends_with("_ids") {
                    text(&self.id(rpc, name))
                } else if name.ends_with("_on") || name.ends_with("date") {
                    text("2026-11-02")
                } else if name == "category" {
                    text("noise")
                } else if name == "code" {
                    text(&format!("hostile_{}", uuid::Uuid::now_v7().simple()))
                } else if name.ends_with("phone") {
                    text("13800138000")
                } else if name == "id_number" {
                    text("11010519491231002X")
                } else if name == "interruptions" || name == "from" {
                    text("2026-10-01")
                } else if name == "to" {
                    text("2026-10-05")
                } else {
                    text("plausible text")
                }
            }
            Type::Bytes => Value::Bytes(b"bytes".to_vec()),
            Type::Bool => Value::Varint(1),
            Type::Enum | Type::Int32 | Type::Int64 | Type::Uint32 | Type::Uint64 => {
                Value::Varint(if name == "threshold" { 3 } else { 1 })
            }
            Type::Sint32 | Type::Sint64 => Value::Varint(2),
            Type::Double | Type::Fixed64 | Type::Sfixed64 => Value::Fixed64(1.0f64.to_bits()),
            Type::Float | Type::Fixed32 | Type::Sfixed32 => Value::Fixed32(1.0f32.to_bits()),
            Type::Message if field.type_name() == ".google.protobuf.Timestamp" => {
                // A period's end after its start.
                let later = if matches!(name, "to" | "until" | "end") { 2 } else { 1 };
                timestamp(chrono::Utc::now().timestamp() + later * 86_400, 0)
            }
            Type::Message if depth < 3 => {
                let inner = types.0.get(field.type_name())?;
                Value::Bytes(self.message(types, rpc, inner, depth + 1, None))
            }
            _ => return None,
        })
    }

    /// A plausible message, with field `hostile.0` given `hostile.1`.
    fn message(
        &self,
        types: &Types,
        rpc: &str,
        m: &DescriptorProto,
        depth: usize,
        hostile: Option<(usize, &Value)>,
    ) -> Vec<u8> {
        let mut out = Vec::new();
        for (i, field) in m.field.iter().enumerate() {
            match hostile {
                Some((at, value)) if at == i => out.extend(encode(field, value)),
                _ => {
                    if let Some(v) = self.plausible(types, rpc, field, depth) {
                        out.extend(encode(field, &v));
                    }
                }
            }
        }
        out
    }
}

/// The hostile values of a field's type.
fn hostile(field: &FieldDescriptorProto) -> Vec<Value> {
    let long = "长".repeat(100_000);
    match field.r#type() {
        Type::String => vec![
            text("a\0b"),
            text("tab\there\nnewline\u{1}\u{7f}\u{1b}[31m"),
            text(&long),
            text("\u{202e}\u{feff}𠜎e\u{301}\u{200d}\u{fffd}"),
            text(""),
            text("'; DROP TABLE incidents; --"),
            text("9999-12-31"),
            text("1969-12-31"),
            text("2026-02-30"),
        ],
        Type::Bytes => vec![Value::Bytes(vec![0; 1000]), Value::Bytes(Vec::new())],
        Type::Enum => vec![Value::Varint(999), Value::Varint(-1i64 as u64), Value::Varint(i32::MAX as u64)],
        Type::Int32 | Type::Int64 | Type::Uint32 | Type::Uint64 => vec![
            Value::Varint(i32::MAX as u64),
            Value::Varint(i32::MIN as i64 as u64),
            Value::Varint(-1i64 as u64),
            Value::Varint(0),
            Value::Varint(i64::MAX as u64),
            Value::Varint(i64::MIN as u64),
        ],
        Type::Double => vec![
            Value::Fixed64(f64::NAN.to_bits()),
            Value::Fixed64(f64::INFINITY.to_bits()),
            Value::Fixed64(f64::MAX.to_bits()),
            Value::Fixed64((-1e300f64).to_bits()),
        ],
        Type::Float => vec![Value::Fixed32(f32::NAN.to_bits()), Value::Fixed32(f32::INFINITY.to_bits())],
        Type::Message if field.type_name() == ".google.protobuf.Timestamp" => vec![
            timestamp(253_402_300_799, 999_999_999),
            timestamp(253_402_300_800, 0),
            timestamp(-1, 0),
            timestamp(-62_135_596_800, 0),
            timestamp(i64::MAX, 0),
            timestamp(i64::MIN, 0),
            timestamp(0, -1),
            timestamp(0, 2_000_000_000),
        ],
        _ => Vec::new(),
    }
}

/// A repeated field given 10,000 elements.
fn many(field: &FieldDescriptorProto, world: &World, types: &Types, rpc: &str) -> Option<Value> {
    if field.label() != Label::Repeated {
        return None;
    }
    let one = world.plausible(types, rpc, field, 0)?;
    let mut out = Vec::new();
    for _ in 0..10_000 {
        out.extend(encode(field, &one));
    }
    // Already encoded with keys: the caller splices it in as it is.
    Some(Value::Bytes(out))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_hostile_request_to_any_rpc_or_open311_route_earns_internal_or_unknown() {
    let system = System::start().await;
    let seed = system.seed(true).await;
    // A complaint with its incident and linkage task, and an enterprise.
    let mut c = system.complaints().await;
    let filed = wait_for("the building to be known to complaints", WAIT, || {
        let mut c = c.clone();
        let building = seed.building_id.clone();
        async move {
            let req = cpb::FileComplaintRequest {
                kind: cpb::RequestKind::Complaint as i32,
                category: "noise".into(),
                channel: cpb::Channel::Hotline as i32,
                building_id: building,
                description: "noise".into(),
                ..Default::default()
            };
            let filed = c.file_complaint(req).await.ok()?.into_inner();
            (!filed.grid_id.is_empty()).then_some(filed)
        }
    })
    .await;
    let mut g = system.governance().await;
    let incident = wait_for("the incident", WAIT, || {
        let mut g = g.clone();
        async move {
            let list = g.list_incidents(gov::ListIncidentsRequest { page_size: 10, ..Default::default() }).await;
            list.ok()?.into_inner().incidents.into_iter().next()
        }
    })
    .await;
    let mut p = system.party().await;
    let task = wait_for("the linkage task", WAIT, || {
        let mut p = p.clone();
        let branch = seed.branch_id.clone();
        async move {
            let req = party::ListLinkageTasksRequest { organisation_id: branch, page_size: 10, ..Default::default() };
            p.list_linkage_tasks(req).await.ok()?.into_inner().tasks.into_iter().next()
        }
    })
    .await;
    let enterprise = g
        .create_enterprise(gov::CreateEnterpriseRequest {
            grid_id: seed.grid_id.clone(),
            code: "91440300HOSTILE01".into(),
            name: "坂田电子厂".into(),
        })
        .await
        .expect("an enterprise")
        .into_inner();
    let _ = (&mut c, &mut p);
    let world = World {
        ids: [
            ("subdistrict", seed.subdistrict_id.clone()),
            ("community", seed.community_id.clone()),
            ("grid", seed.grid_id.clone()),
            ("building", seed.building_id.clone()),
            ("organisation", seed.branch_id.clone()),
            ("parent", seed.community_org_id.clone()),
            ("incident", incident.id.clone()),
            ("complaint", filed.id.clone()),
            ("task", task.id.clone()),
            ("enterprise", enterprise.id.clone()),
            ("unit", seed.grid_id.clone()),
        ]
        .into_iter()
        .collect(),
    };

    let set = FileDescriptorSet::decode(dualnet_proto::FILE_DESCRIPTOR_SET).unwrap();
    let types = Types::new(&set);
    let channels = system.channels().await;
    let mut failures = Vec::new();
    let mut codes = std::collections::BTreeMap::new();
    let mut plausible = Vec::new();
    let mut reached = 0usize;
    let mut sent = 0usize;
    let mut rpcs = 0usize;
    for file in &set.file {
        for service in &file.service {
            // Retiring the seeded building goes last: the rest must find it
            // in service.
            let mut methods: Vec<_> = service.method.iter().collect();
            methods.sort_by_key(|m| m.name().starts_with("Retire"));
            for method in methods {
                rpcs += 1;
                let path = format!("/{}.{}/{}", file.package(), service.name(), method.name());
                let input = types.0.get(method.input_type()).expect("the request type is known");
                let channel = channels.get(file.package()).expect("a service per package").clone();
                let mut requests = vec![
                    ("plausible".to_string(), world.message(&types, method.name(), input, 0, None)),
                    // Bytes that are no message at all: a truncated varint.
                    ("undecodable".to_string(), vec![0x08, 0xff]),
                ];
                for (i, field) in input.field.iter().enumerate() {
                    if field.r#type() == Type::String {
                        // A string that is not UTF-8.
                        let bad = Value::Bytes(vec![b'a', 0xff, 0xfe, b'b']);
                        requests.push((
                            format!("{}=<not UTF-8>", field.name()),
                            world.message(&types, method.name(), input, 0, Some((i, &bad))),
                        ));
                    }
                    for value in hostile(field) {
                        let label = format!("{}={}", field.name(), describe(&value));
                        requests.push((label, world.message(&types, method.name(), input, 0, Some((i, &value)))));
                    }
                    if let Some(Value::Bytes(encoded)) = many(field, &world, &types, method.name()) {
                        let mut body = world.message(&types, method.name(), input, 0, None);
                        body.extend(encoded);
                        requests.push((format!("{} ×10,000", field.name()), body));
                    }
                }
                for (label, body) in requests {
                    let mut attempts = 0;
                    let answer = loop {
                        let mut grpc = tonic::client::Grpc::new(channel.clone());
                        grpc.ready().await.unwrap();
                        let path = PathAndQuery::try_from(path.as_str()).unwrap();
                        let answer = grpc.unary(Request::new(Raw(body.clone())), path, RawCodec).await;
                        attempts += 1;
                        // A server that answers before it has read the whole
                        // request resets the stream; the client may see that
                        // reset (CANCELLED) instead of the answer.
                        match &answer {
                            Err(s) if s.code() == Code::Cancelled && attempts < 3 => continue,
                            _ => break answer,
                        }
                    };
                    sent += 1;
                    let code = answer.as_ref().map_or_else(|s| s.code(), |_| Code::Ok);
                    *codes.entry(format!("{code:?}")).or_insert(0usize) += 1;
                    if label == "plausible" {
                        plausible.push(format!(
                            "{path}: {code:?} {}",
                            answer.as_ref().err().map(|s| s.message()).unwrap_or("")
                        ));
                        reached += usize::from(!matches!(code, Code::InvalidArgument | Code::NotFound));
                    }
                    // A request that does not decode is the caller's fault.
                    let undecodable = label == "undecodable" || label.ends_with("<not UTF-8>");
                    if undecodable && code != Code::InvalidArgument {
                        failures.push(format!("{path} {label}: {code:?}, not INVALID_ARGUMENT"));
                    }
                    if let Err(s) = &answer
                        && matches!(s.code(), Code::Internal | Code::Unknown)
                    {
                        failures.push(format!("{path} {label}: {:?} {}", s.code(), s.message()));
                    }
                }
            }
        }
    }
    assert_eq!(rpcs, 93, "every RPC of the contract");
    eprintln!("{sent} requests to {rpcs} RPCs, answered {codes:?}; the plausible ones:\n{}", plausible.join("\n"));
    // The plausible requests are what makes the hostile ones reach the
    // stores: most must get past validation and lookup.
    assert!(reached >= 50, "only {reached} of {rpcs} plausible requests got past validation");

    // Open311: every route, every parameter hostile in turn.
    let long = "x".repeat(100_000);
    let values = ["%00", "a%00b", "-1", "0", "4611686018427387905", "99999999999999999999", "1e9", "%FF%FE", &long];
    let mut routes = Vec::new();
    for v in values {
        for q in ["page", "page_size", "service_code", "status", "start_date", "end_date", "service_request_id"] {
            routes.push(("GET", format!("/open311/v2/requests.json?{q}={v}"), String::new()));
        }
        routes.push(("GET", format!("/open311/v2/requests/{v}.json"), String::new()));
        routes.push(("GET", format!("/open311/v2/services/{v}.json"), String::new()));
        routes.push(("GET", format!("/open311/v2/services.json?jurisdiction_id={v}"), String::new()));
        for f in ["service_code", "description", "lat", "long", "address_string", "address_id", "email", "phone"] {
            let body = format!("service_code=noise&address_id={}&description=noise&{f}={v}", seed.building_id);
            routes.push(("POST", "/open311/v2/requests.json".to_string(), body));
        }
    }
    for (method, path, body) in &routes {
        let (status, text) =
            http(system.open311, method, path, "application/x-www-form-urlencoded", body.as_bytes()).await.unwrap();
        if status >= 500 {
            failures.push(format!("Open311 {method} {}: {status} {text}", &path[..path.len().min(120)]));
        }
    }
    assert!(failures.is_empty(), "{} answers were INTERNAL, UNKNOWN or 5xx:\n{}", failures.len(), failures.join("\n"));
}

fn describe(v: &Value) -> String {
    match v {
        Value::Varint(n) => format!("{}", *n as i64),
        Value::Fixed64(b) => format!("{}", f64::from_bits(*b)),
        Value::Fixed32(b) => format!("{}", f32::from_bits(*b)),
        Value::Bytes(b) if b.len() > 40 => format!("<{} bytes>", b.len()),
        Value::Bytes(b) => format!("{:?}", String::from_utf8_lossy(b)),
    }
}
