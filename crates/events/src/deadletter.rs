//! The dead-letter topic: a record that cannot be applied is republished
//! there unchanged, with why and where it came from in extra headers.

use crate::{
    record::{Delivery, Header},
    transport::{Publisher, TransportError},
};

pub const TOPIC: &str = "dualnet.deadletter.v1";

pub const ERROR: &str = "dl_error";
pub const CONSUMER: &str = "dl_consumer";
pub const ORIGIN_TOPIC: &str = "dl_origin_topic";
pub const ORIGIN_PARTITION: &str = "dl_origin_partition";
pub const ORIGIN_OFFSET: &str = "dl_origin_offset";
pub const ATTEMPTS: &str = "dl_attempts";

pub async fn send(
    publisher: &dyn Publisher,
    consumer: &str,
    delivery: &Delivery,
    error: &str,
    attempts: u32,
) -> Result<(), TransportError> {
    let mut record = delivery.record.clone();
    record.topic = TOPIC.to_string();
    record.headers.extend([
        Header::new(ERROR, error),
        Header::new(CONSUMER, consumer),
        Header::new(ORIGIN_TOPIC, &delivery.record.topic),
        Header::new(ORIGIN_PARTITION, delivery.partition.to_string()),
        Header::new(ORIGIN_OFFSET, delivery.offset.to_string()),
        Header::new(ATTEMPTS, attempts.to_string()),
    ]);
    publisher.publish(std::slice::from_ref(&record)).await
}
