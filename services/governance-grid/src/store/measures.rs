//! Business counters: incidents opened (by level and source) and closed (by
//! level), counted as they are written.

use std::sync::OnceLock;

use dualnet_platform::Named;
use opentelemetry::{KeyValue, metrics::Counter};

use crate::domain::incident::{Level, Source};

fn counters() -> &'static (Counter<u64>, Counter<u64>) {
    static C: OnceLock<(Counter<u64>, Counter<u64>)> = OnceLock::new();
    C.get_or_init(|| {
        let m = opentelemetry::global::meter("dualnet");
        (
            m.u64_counter("dualnet.incidents.opened").with_description("incidents opened, by level and source").build(),
            m.u64_counter("dualnet.incidents.closed").with_description("incidents closed, by level").build(),
        )
    })
}

pub fn opened(level: Level, source: Source) {
    counters().0.add(1, &[KeyValue::new("level", level.as_str()), KeyValue::new("source", source.as_str())]);
}

pub fn closed(level: Level) {
    counters().1.add(1, &[KeyValue::new("level", level.as_str())]);
}
