//! W3C trace context in event headers: injected from the current span when
//! an event is written, extracted to parent the span that applies it.

use std::collections::HashMap;

use opentelemetry::propagation::{Extractor, Injector};
use tracing_opentelemetry::OpenTelemetrySpanExt;

struct Map(HashMap<String, String>);

impl Injector for Map {
    fn set(&mut self, key: &str, value: String) {
        self.0.insert(key.to_string(), value);
    }
}

impl Extractor for Map {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }
}

/// `(traceparent, tracestate)` of the current span, when it is traced.
pub fn current() -> (Option<String>, Option<String>) {
    let cx = tracing::Span::current().context();
    let mut map = Map(HashMap::new());
    opentelemetry::global::get_text_map_propagator(|p| p.inject_context(&cx, &mut map));
    (map.0.remove("traceparent"), map.0.remove("tracestate").filter(|s| !s.is_empty()))
}

/// Makes `span` a child of the trace named by the headers, if any.
pub fn set_parent(span: &tracing::Span, traceparent: Option<&str>, tracestate: Option<&str>) {
    let Some(tp) = traceparent else { return };
    let mut map = HashMap::from([("traceparent".to_string(), tp.to_string())]);
    if let Some(ts) = tracestate {
        map.insert("tracestate".to_string(), ts.to_string());
    }
    let map = Map(map);
    let cx = opentelemetry::global::get_text_map_propagator(|p| p.extract(&map));
    let _ = span.set_parent(cx);
}
