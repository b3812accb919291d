"""A subscriber to dualnet's events, in Python.

Reads CloudEvents in Kafka binary mode with confluent-kafka and the
CloudEvents SDK, and decodes each protobuf payload by its `ce_type` with the
compiled contract, which `dualnet descriptor-set > dualnet.protoset` writes —
no generated code, no .proto files needed.

    pip install -r requirements.txt
    dualnet descriptor-set > dualnet.protoset
    python consumer.py --bootstrap 127.0.0.1:9092 --topic dualnet.governance.v1

One JSON object per event on stdout: type, subject, correlation id and the
payload in the protobuf JSON mapping.
"""

import argparse
import json
import sys
import uuid

from cloudevents.kafka import KafkaMessage, from_binary
from confluent_kafka import Consumer
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory


def load_contract(path):
    """The message types of the contract, by full name."""
    with open(path, "rb") as f:
        files = descriptor_pb2.FileDescriptorSet.FromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for file in files.file:  # dependencies come first in the set
        pool.Add(file)
    return pool


def decode(pool, message):
    """A Kafka record as a CloudEvent with its payload decoded."""
    headers = {k: v for k, v in (message.headers() or [])}
    event = from_binary(
        KafkaMessage(headers=headers, key=message.key(), value=message.value()),
        data_unmarshaller=lambda data: data,
    )
    attributes = event.get_attributes()
    cls = message_factory.GetMessageClass(pool.FindMessageTypeByName(attributes["type"]))
    payload = cls.FromString(event.get_data())
    return {
        "topic": message.topic(),
        "type": attributes["type"],
        "source": attributes["source"],
        "subject": attributes.get("subject"),
        "correlationid": attributes.get("correlationid"),
        "data": json_format.MessageToDict(payload),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--topic", action="append", required=True, help="repeatable; prefix the namespace if any")
    parser.add_argument("--protoset", default="dualnet.protoset")
    parser.add_argument("--group", default=f"example-{uuid.uuid4()}")
    parser.add_argument("--count", type=int, default=0, help="stop after this many events (0: never)")
    parser.add_argument("--timeout", type=float, default=60.0, help="give up after this many idle seconds")
    args = parser.parse_args()

    pool = load_contract(args.protoset)
    consumer = Consumer(
        {"bootstrap.servers": args.bootstrap, "group.id": args.group, "auto.offset.reset": "earliest"}
    )
    consumer.subscribe(args.topic)
    seen = 0
    try:
        while args.count == 0 or seen < args.count:
            message = consumer.poll(args.timeout)
            if message is None:
                print(f"no event within {args.timeout} s", file=sys.stderr)
                return 1
            if message.error():
                print(f"kafka: {message.error()}", file=sys.stderr)
                continue
            print(json.dumps(decode(pool, message), ensure_ascii=False), flush=True)
            seen += 1
    finally:
        consumer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
