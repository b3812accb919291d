//! Every service's reactions to other services' events, with arbitrary
//! payloads: the first byte picks the consuming service, the second the
//! event type (every message of every `events.proto`), the rest is the
//! protobuf payload. Each event is applied as the consumer applies it — in
//! a transaction on the service's own migrated database (on the PostgreSQL
//! named by `DUALNET_TEST_DATABASE_URL`) — and rolled back, so every input
//! meets the same state. Nothing may panic: an event a service cannot use
//! is an error (poison: dead-lettered), never a crash.
#![no_main]

use std::sync::{Arc, OnceLock};

use chrono::Utc;
use dualnet_events::{Envelope, Event, Handler};
use dualnet_platform::{
    calendar::Calendar,
    clock::{Clock, SystemClock},
    db,
    service::ServiceDef,
};
use libfuzzer_sys::fuzz_target;
use prost::Message;
use uuid::Uuid;

struct Consumers {
    runtime: tokio::runtime::Runtime,
    services: Vec<(sqlx::PgPool, Arc<dyn Handler>)>,
    /// Full names of every event message, and their producer's source.
    types: Vec<(String, &'static str)>,
}

fn consumers() -> &'static Consumers {
    static CONSUMERS: OnceLock<Consumers> = OnceLock::new();
    CONSUMERS.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let calendar = Arc::new(Calendar::load(None).unwrap());
        let handlers: Vec<(&ServiceDef, Arc<dyn Handler>)> = vec![
            (
                &governance_grid::DEFINITION,
                Arc::new(governance_grid::consumers::Reactions { clock: clock.clone(), calendar }),
            ),
            (&party_grid::DEFINITION, Arc::new(party_grid::consumers::Reactions { clock: clock.clone() })),
            (&complaints::DEFINITION, Arc::new(complaints::consumers::Reactions { clock: clock.clone() })),
            (&arbitration::DEFINITION, Arc::new(arbitration::consumers::Reactions { clock })),
        ];
        let services = runtime.block_on(async {
            let mut services = Vec::new();
            for (def, handler) in handlers {
                let pool = dualnet_testkit::fresh_pool(&format!("fuzz_{}", def.database)).await;
                db::migrate(&pool, def.migrator).await.unwrap();
                services.push((pool, handler));
            }
            services
        });
        let set = prost_types::FileDescriptorSet::decode(dualnet_proto::FILE_DESCRIPTOR_SET).unwrap();
        let mut types = Vec::new();
        for file in set.file.iter().filter(|f| f.name().ends_with("/events.proto")) {
            let source = dualnet_proto::topics::producer(file.package()).expect("a topic per events package");
            for message in &file.message_type {
                types.push((format!("{}.{}", file.package(), message.name()), source));
            }
        }
        assert!(types.len() > 20, "every event type: {}", types.len());
        Consumers { runtime, services, types }
    })
}

fuzz_target!(|data: &[u8]| {
    let [service, ty, payload @ ..] = data else { return };
    let c = consumers();
    let (pool, handler) = &c.services[usize::from(*service) % c.services.len()];
    let (ty, source) = &c.types[usize::from(*ty) % c.types.len()];
    let id = Uuid::now_v7();
    let event = Event {
        envelope: Envelope {
            id,
            source: source.to_string(),
            ty: ty.clone(),
            subject: "fuzz".into(),
            time: Utc::now(),
            correlation_id: id,
            causation_id: None,
            traceparent: None,
            tracestate: None,
        },
        key: "fuzz".into(),
        payload: payload.to_vec(),
    };
    c.runtime.block_on(async {
        let mut tx = pool.begin().await.unwrap();
        let _ = handler.handle(&mut tx, &event).await;
        tx.rollback().await.unwrap();
    });
});
