package dualnet.example;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.cloudevents.CloudEvent;
import io.cloudevents.kafka.KafkaMessageFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * A subscriber to dualnet's events, in Java.
 *
 * <p>Reads CloudEvents in Kafka binary mode with the Apache Kafka client and the CloudEvents SDK's
 * Kafka binding, checks each record's headers and the order of each subject's events, and decodes
 * the protobuf payload by its {@code ce_type} with the compiled contract that {@code dualnet
 * descriptor-set > dualnet.protoset} writes — no generated code, no .proto files needed.
 *
 * <pre>
 * mvn -q package
 * dualnet descriptor-set > dualnet.protoset
 * java -jar target/dualnet-subscriber.jar --bootstrap 127.0.0.1:9092 --topic dualnet.governance.v1
 * </pre>
 *
 * <p>One JSON object per record on stdout (examples/README.md); exits 1 if a subject's events
 * arrive out of order.
 */
public final class Subscriber {
  private static final List<String> REQUIRED =
      List.of(
          "ce_specversion", "ce_id", "ce_source", "ce_type", "ce_subject", "ce_time",
          "ce_correlationid");

  private final Map<String, Descriptor> types = new HashMap<>();
  private final Map<String, long[]> last = new HashMap<>();
  private final Map<String, OffsetDateTime> lastTime = new HashMap<>();
  private final JsonFormat.Printer printer = JsonFormat.printer().omittingInsignificantWhitespace();

  private Subscriber(Path protoset) throws IOException, DescriptorValidationException {
    FileDescriptorSet set = FileDescriptorSet.parseFrom(Files.readAllBytes(protoset));
    Map<String, FileDescriptor> built = new HashMap<>();
    for (FileDescriptorProto file : set.getFileList()) { // dependencies come first in the set
      List<FileDescriptor> deps = new ArrayList<>();
      for (String dep : file.getDependencyList()) {
        deps.add(built.get(dep));
      }
      FileDescriptor fd = FileDescriptor.buildFrom(file, deps.toArray(new FileDescriptor[0]));
      built.put(file.getName(), fd);
      for (Descriptor message : fd.getMessageTypes()) {
        types.put(message.getFullName(), message);
      }
    }
  }

  /** Why a record is not one of dualnet's CloudEvents, or null. */
  static String checkHeaders(Map<String, String> headers, String key) {
    for (String name : REQUIRED) {
      String value = headers.get(name);
      if (value == null || value.isEmpty()) {
        return "no " + name + " header";
      }
    }
    if (!headers.get("ce_specversion").equals("1.0")) {
      return "ce_specversion " + headers.get("ce_specversion") + ", not 1.0";
    }
    if (!"application/protobuf".equals(headers.get("content-type"))) {
      return "content-type is not application/protobuf";
    }
    if (!headers.get("ce_subject").equals(key)) {
      return "the record key is not ce_subject";
    }
    try {
      UUID.fromString(headers.get("ce_id"));
      OffsetDateTime.parse(headers.get("ce_time"));
    } catch (IllegalArgumentException | DateTimeParseException e) {
      return "malformed attribute: " + e.getMessage();
    }
    return null;
  }

  /**
   * Each subject's events must come from one partition, in offset order and never earlier in time
   * than the one before (per topic: the record key is the aggregate id).
   */
  private String disorder(ConsumerRecord<String, byte[]> r, String subject, OffsetDateTime when) {
    String at = r.topic() + "\u0000" + subject;
    long[] previous = last.put(at, new long[] {r.partition(), r.offset()});
    OffsetDateTime before = lastTime.put(at, when);
    if (previous == null) {
      return null;
    }
    if (previous[0] != r.partition()) {
      return "subject " + subject + " on partitions " + previous[0] + " and " + r.partition();
    }
    if (r.offset() <= previous[1]) {
      return "subject " + subject + " at offset " + r.offset() + " after " + previous[1];
    }
    if (when.isBefore(before)) {
      return "subject " + subject + " at " + when + " after " + before;
    }
    return null;
  }

  /** One record as the JSON object the examples print. */
  private Map<String, Object> handle(ConsumerRecord<String, byte[]> r) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("topic", r.topic());
    out.put("partition", r.partition());
    out.put("offset", r.offset());
    Map<String, String> headers = new HashMap<>();
    for (Header h : r.headers()) {
      headers.put(h.key(), h.value() == null ? "" : new String(h.value(), StandardCharsets.UTF_8));
    }
    String problem = checkHeaders(headers, r.key());
    if (problem != null) {
      out.put("key", r.key() == null ? "" : r.key());
      out.put("rejected", problem);
      return out;
    }
    CloudEvent event = KafkaMessageFactory.createReader(r).toEvent();
    Descriptor type = types.get(event.getType());
    if (type == null) {
      out.put("rejected", "undecodable: type " + event.getType() + " is not in the contract");
      return out;
    }
    byte[] payload = event.getData() == null ? new byte[0] : event.getData().toBytes();
    String data;
    try {
      data = printer.print(DynamicMessage.parseFrom(type, payload));
    } catch (InvalidProtocolBufferException e) {
      out.put("rejected", "undecodable: " + e.getMessage());
      return out;
    }
    out.put("id", event.getId());
    out.put("type", event.getType());
    out.put("source", event.getSource().toString());
    out.put("subject", event.getSubject());
    out.put("time", headers.get("ce_time"));
    out.put("correlationid", String.valueOf(event.getExtension("correlationid")));
    out.put("data", new Json.Raw(data));
    String wrong = disorder(r, event.getSubject(), OffsetDateTime.parse(headers.get("ce_time")));
    if (wrong != null) {
      out.put("disorder", wrong);
    }
    return out;
  }

  public static void main(String[] argv) throws Exception {
    Args args = Args.parse(argv);
    Subscriber subscriber = new Subscriber(Path.of(args.protoset));
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, args.bootstrap);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, args.group);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    // Commit only what was processed: at least once, keyed on ce_id.
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    int seen = 0;
    boolean disordered = false;
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props)) {
      consumer.subscribe(args.topics);
      long deadline = System.nanoTime() + (long) (args.timeout * 1e9);
      long quiet = System.nanoTime();
      while (args.count == 0 || seen < args.count) {
        ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(200));
        long now = System.nanoTime();
        if (records.isEmpty()) {
          if (seen > 0 && args.idle > 0 && now - quiet > (long) (args.idle * 1e9)) {
            break;
          }
          if (seen == 0 && now > deadline) {
            System.err.println("no record within " + args.timeout + " s");
            System.exit(1);
          }
          continue;
        }
        quiet = now;
        for (ConsumerRecord<String, byte[]> r : records) {
          if (args.count != 0 && seen >= args.count) {
            break;
          }
          Map<String, Object> out = subscriber.handle(r);
          disordered |= out.containsKey("disorder");
          System.out.println(Json.write(out));
          seen++;
        }
        System.out.flush();
        consumer.commitSync();
      }
    }
    System.exit(disordered ? 1 : 0);
  }

  /** The command line every example takes (examples/README.md). */
  static final class Args {
    String bootstrap = "127.0.0.1:9092";
    List<String> topics = new ArrayList<>();
    String protoset = "dualnet.protoset";
    String group = "example-" + UUID.randomUUID();
    int count;
    double timeout = 60;
    double idle;

    static Args parse(String[] argv) {
      Args a = new Args();
      for (int i = 0; i + 1 < argv.length; i += 2) {
        String v = argv[i + 1];
        switch (argv[i]) {
          case "--bootstrap" -> a.bootstrap = v;
          case "--topic" -> a.topics.add(v);
          case "--protoset" -> a.protoset = v;
          case "--group" -> a.group = v;
          case "--count" -> a.count = Integer.parseInt(v);
          case "--timeout" -> a.timeout = Double.parseDouble(v);
          case "--idle" -> a.idle = Double.parseDouble(v);
          default -> throw new IllegalArgumentException("unknown option " + argv[i]);
        }
      }
      if (a.topics.isEmpty()) {
        throw new IllegalArgumentException("give at least one --topic");
      }
      return a;
    }
  }
}
