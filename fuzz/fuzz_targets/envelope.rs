//! The CloudEvents envelope of every consumed event: arbitrary Kafka
//! headers never panic the decoder, a decoded envelope survives a round
//! trip through headers, and the producer check answers for any of them.
#![no_main]

use dualnet_events::{Envelope, Header, Producer, Producers};
use libfuzzer_sys::fuzz_target;

/// Headers from bytes: `name \0 value \0` pairs, values arbitrary bytes.
fn headers(data: &[u8]) -> Vec<Header> {
    let mut parts = data.split(|b| *b == 0);
    let mut out = Vec::new();
    while let (Some(name), Some(value)) = (parts.next(), parts.next()) {
        out.push(Header { name: String::from_utf8_lossy(name).into_owned(), value: value.to_vec() });
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Ok(envelope) = Envelope::from_headers(&headers(data)) else { return };
    let again = Envelope::from_headers(&envelope.to_headers()).expect("an envelope's own headers decode");
    assert_eq!(
        (again.id, &again.source, &again.ty, &again.subject),
        (envelope.id, &envelope.source, &envelope.ty, &envelope.subject)
    );
    assert_eq!((again.correlation_id, again.causation_id), (envelope.correlation_id, envelope.causation_id));
    let producers = Producers::new(vec![Producer {
        topic: "dualnet.complaints.v1".into(),
        source: "/dualnet/complaints".into(),
        types: "dualnet.complaints.v1.".into(),
    }]);
    let _ = producers.refusal("dualnet.complaints.v1", &envelope);
});
