"""A subscriber to dualnet's events, in Python.

Reads CloudEvents in Kafka binary mode with confluent-kafka and the
CloudEvents SDK 2.x (`cloudevents.core.bindings.kafka`), checks each record's
headers and the order of each subject's events, and decodes the protobuf
payload by its `ce_type` with the compiled contract that
`dualnet descriptor-set > dualnet.protoset` writes — no generated code, no
.proto files needed.

    pip install -r requirements.txt
    dualnet descriptor-set > dualnet.protoset
    python subscriber.py --bootstrap 127.0.0.1:9092 --topic dualnet.governance.v1

One JSON object per record on stdout (examples/README.md): an event with its
attributes and its payload in the protobuf JSON mapping, or a record it
rejected and why. It exits 1 if a subject's events arrive out of order.
"""

import argparse
import json
import sys
import uuid
from datetime import datetime

from cloudevents.core.bindings.kafka import KafkaMessage, from_binary
from cloudevents.core.formats.json import JSONFormat
from confluent_kafka import Consumer
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

REQUIRED = ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_subject", "ce_time", "ce_correlationid"]


class Opaque(JSONFormat):
    """The JSON format, except that a payload that is not JSON stays bytes.

    The SDK's JSONFormat turns any payload that happens to be valid UTF-8
    into a str, and an empty one into None: protobuf payloads must reach the
    decoder exactly as they came (an event whose fields are all default is
    zero bytes long).
    """

    def read_data(self, body, datacontenttype):
        if datacontenttype == "application/protobuf":
            return body or b""
        return super().read_data(body, datacontenttype)


def load_contract(path):
    """The message types of the contract, by full name."""
    with open(path, "rb") as f:
        files = descriptor_pb2.FileDescriptorSet.FromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for file in files.file:  # dependencies come first in the set
        pool.Add(file)
    return pool


def check_headers(headers, key):
    """Why a record is not one of dualnet's CloudEvents, or None.

    The SDK accepts records without ce_specversion or ce_id; a subscriber
    that keys its processing on ce_id must not."""
    for name in REQUIRED:
        if not headers.get(name):
            return f"no {name} header"
    if headers["ce_specversion"] != b"1.0":
        return f"ce_specversion {headers['ce_specversion'].decode(errors='replace')}, not 1.0"
    if headers.get("content-type") != b"application/protobuf":
        return "content-type is not application/protobuf"
    if key != headers["ce_subject"]:
        return "the record key is not ce_subject"
    try:
        uuid.UUID(headers["ce_id"].decode())
        datetime.fromisoformat(headers["ce_time"].decode().replace("Z", "+00:00"))
    except ValueError as e:
        return f"malformed attribute: {e}"
    return None


def decode(pool, record, headers):
    """A checked record as a CloudEvent with its payload decoded."""
    event = from_binary(KafkaMessage(headers=headers, key=record.key(), value=record.value() or b""), Opaque())
    try:
        descriptor = pool.FindMessageTypeByName(event.get_type())
    except KeyError:
        raise ValueError(f"type {event.get_type()} is not in the contract") from None
    payload = message_factory.GetMessageClass(descriptor).FromString(event.get_data())
    return {
        "id": event.get_id(),
        "type": event.get_type(),
        "source": event.get_source(),
        "subject": event.get_subject(),
        "time": headers["ce_time"].decode(),
        "correlationid": event.get_extension("correlationid"),
        "data": json_format.MessageToDict(payload),
    }


class Order:
    """Each subject's events must come from one partition, in offset order
    and never earlier in time than the one before (per topic: the record key
    is the aggregate id, so one aggregate's events stay ordered)."""

    def __init__(self):
        self.last = {}

    def disorder(self, topic, partition, offset, subject, when):
        previous = self.last.get((topic, subject))
        self.last[(topic, subject)] = (partition, offset, when)
        if previous is None:
            return None
        p, o, w = previous
        if p != partition:
            return f"subject {subject} on partitions {p} and {partition}"
        if offset <= o:
            return f"subject {subject} at offset {offset} after {o}"
        if when < w:
            return f"subject {subject} at {when} after {w}"
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--topic", action="append", required=True, help="repeatable; prefix the namespace if any")
    parser.add_argument("--protoset", default="dualnet.protoset")
    parser.add_argument("--group", default=f"example-{uuid.uuid4()}")
    parser.add_argument("--count", type=int, default=0, help="stop after this many records (0: never)")
    parser.add_argument("--timeout", type=float, default=60.0, help="give up if no record comes within this many seconds")
    parser.add_argument("--idle", type=float, default=0.0, help="stop once no record came for this many seconds (0: never)")
    args = parser.parse_args()

    pool = load_contract(args.protoset)
    consumer = Consumer(
        {
            "bootstrap.servers": args.bootstrap,
            "group.id": args.group,
            "auto.offset.reset": "earliest",
            # Commit only what was processed: at least once, keyed on ce_id.
            "enable.auto.offset.store": False,
        }
    )
    consumer.subscribe(args.topic)
    order = Order()
    seen, disordered = 0, False
    try:
        while args.count == 0 or seen < args.count:
            record = consumer.poll(args.idle if seen and args.idle else args.timeout)
            if record is None:
                if seen and args.idle:
                    break
                print(f"no record within {args.timeout} s", file=sys.stderr)
                return 1
            if record.error():
                print(f"kafka: {record.error()}", file=sys.stderr)
                continue
            where = {"topic": record.topic(), "partition": record.partition(), "offset": record.offset()}
            headers = {k: v for k, v in (record.headers() or [])}
            problem = check_headers(headers, record.key())
            if problem is None:
                try:
                    out = {**where, **decode(pool, record, headers)}
                    wrong = order.disorder(*where.values(), out["subject"], time_of(out["time"]))
                    if wrong:
                        out["disorder"], disordered = wrong, True
                except Exception as e:  # an undecodable payload is the record's fault
                    out = {**where, "rejected": f"undecodable: {e}"}
            else:
                out = {**where, "key": (record.key() or b"").decode(errors="replace"), "rejected": problem}
            print(json.dumps(out, ensure_ascii=False), flush=True)
            consumer.store_offsets(record)
            seen += 1
    finally:
        consumer.close()
    return 1 if disordered else 0


def time_of(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


if __name__ == "__main__":
    sys.exit(main())
