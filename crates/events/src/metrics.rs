//! The event pipeline's instruments (no-ops until the process installs a
//! meter provider, see `dualnet_platform::metrics`).

use std::{sync::OnceLock, time::Duration};

use opentelemetry::{
    KeyValue,
    metrics::{Counter, Gauge, Histogram},
};

use crate::consumer::Outcome;

struct Instruments {
    processed: Counter<u64>,
    handle_seconds: Histogram<f64>,
    delay_seconds: Histogram<f64>,
    published: Counter<u64>,
    backlog: Gauge<i64>,
    oldest_age_seconds: Gauge<f64>,
    lag: Gauge<i64>,
    blocked_seconds: Gauge<f64>,
}

fn get() -> &'static Instruments {
    static I: OnceLock<Instruments> = OnceLock::new();
    I.get_or_init(|| {
        let m = opentelemetry::global::meter("dualnet");
        let buckets = vec![0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
        Instruments {
            processed: m
                .u64_counter("dualnet.events.processed")
                .with_description("events a consumer finished, by type and outcome (applied, duplicate, dead_lettered)")
                .build(),
            handle_seconds: m
                .f64_histogram("dualnet.events.handle.seconds")
                .with_description("time to apply one event, by consumer and type")
                .with_boundaries(buckets.clone())
                .build(),
            delay_seconds: m
                .f64_histogram("dualnet.events.delay.seconds")
                .with_description("age of an event when a consumer finished it: the consumer's lag in time")
                .with_boundaries(buckets)
                .build(),
            published: m.u64_counter("dualnet.outbox.published").with_description("events the relay published").build(),
            backlog: m.i64_gauge("dualnet.outbox.backlog").with_description("outbox rows not yet published").build(),
            oldest_age_seconds: m
                .f64_gauge("dualnet.outbox.oldest.age.seconds")
                .with_description("age of the oldest unpublished outbox row (0 when none)")
                .build(),
            lag: m
                .i64_gauge("dualnet.consumer.lag")
                .with_description("records a consumer group has still to read, per assigned partition (Kafka)")
                .build(),
            blocked_seconds: m
                .f64_gauge("dualnet.consumer.blocked.seconds")
                .with_description("how long an infrastructure fault has kept a consumer from applying its next event (0: not blocked)")
                .build(),
        }
    })
}

pub(crate) fn processed(consumer: &str, ty: &str, outcome: Outcome, took: Duration, age: Option<Duration>) {
    let i = get();
    let outcome = match outcome {
        Outcome::Applied => "applied",
        Outcome::Duplicate => "duplicate",
        Outcome::DeadLettered => "dead_lettered",
    };
    let consumer = KeyValue::new("consumer", consumer.to_string());
    let ty = KeyValue::new("type", ty.to_string());
    i.processed.add(1, &[consumer.clone(), ty.clone(), KeyValue::new("outcome", outcome)]);
    i.handle_seconds.record(took.as_secs_f64(), &[consumer.clone(), ty]);
    if let Some(age) = age {
        i.delay_seconds.record(age.as_secs_f64(), &[consumer]);
    }
}

pub(crate) fn published(n: usize) {
    get().published.add(n as u64, &[]);
}

pub(crate) fn backlog(rows: i64, oldest_age: Duration) {
    let i = get();
    i.backlog.record(rows, &[]);
    i.oldest_age_seconds.record(oldest_age.as_secs_f64(), &[]);
}

pub(crate) fn consumer_lag(group: &str, topic: &str, partition: i32, lag: i64) {
    let attrs = [
        KeyValue::new("consumer", group.to_string()),
        KeyValue::new("topic", topic.to_string()),
        KeyValue::new("partition", i64::from(partition)),
    ];
    get().lag.record(lag, &attrs);
}

pub(crate) fn blocked(consumer: &str, for_: Duration) {
    get().blocked_seconds.record(for_.as_secs_f64(), &[KeyValue::new("consumer", consumer.to_string())]);
}
