// A subscriber to dualnet's events, in Go.
//
// Reads CloudEvents in Kafka binary mode with Sarama (a pure-Go Kafka client:
// no librdkafka, one static binary) and the CloudEvents Go SDK's Sarama
// binding, checks each record's headers and the order of each subject's
// events, and decodes the protobuf payload by its ce_type with the compiled
// contract that `dualnet descriptor-set > dualnet.protoset` writes — no
// generated code, no .proto files needed.
//
//	go build -o dualnet-subscriber .
//	dualnet descriptor-set > dualnet.protoset
//	./dualnet-subscriber --bootstrap 127.0.0.1:9092 --topic dualnet.governance.v1
//
// One JSON object per record on stdout (examples/README.md); exits 1 if a
// subject's events arrive out of order.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"github.com/cloudevents/sdk-go/protocol/kafka_sarama/v2"
	"github.com/cloudevents/sdk-go/v2/binding"
	"github.com/google/uuid"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

var required = []string{"ce_specversion", "ce_id", "ce_source", "ce_type", "ce_subject", "ce_time", "ce_correlationid"}

type topics []string

func (t *topics) String() string     { return strings.Join(*t, ",") }
func (t *topics) Set(v string) error { *t = append(*t, v); return nil }

// checkHeaders says why a record is not one of dualnet's CloudEvents, or "".
// The SDK accepts records without ce_id; a subscriber that keys its
// processing on ce_id must not.
func checkHeaders(h map[string]string, key string) string {
	for _, name := range required {
		if h[name] == "" {
			return "no " + name + " header"
		}
	}
	if h["ce_specversion"] != "1.0" {
		return "ce_specversion " + h["ce_specversion"] + ", not 1.0"
	}
	if h["content-type"] != "application/protobuf" {
		return "content-type is not application/protobuf"
	}
	if h["ce_subject"] != key {
		return "the record key is not ce_subject"
	}
	if _, err := uuid.Parse(h["ce_id"]); err != nil {
		return "malformed attribute: " + err.Error()
	}
	if _, err := time.Parse(time.RFC3339Nano, h["ce_time"]); err != nil {
		return "malformed attribute: " + err.Error()
	}
	return ""
}

type position struct {
	partition int32
	offset    int64
	time      time.Time
}

// subscriber decodes records and checks that each subject's events come from
// one partition, in offset order and never earlier in time than the one
// before (per topic: the record key is the aggregate id). Sarama consumes
// partitions concurrently, hence the lock.
type subscriber struct {
	files      *protoregistry.Files
	mu         sync.Mutex
	last       map[string]position
	seen       int
	disordered bool
	out        *json.Encoder
}

func (s *subscriber) handle(ctx context.Context, m *sarama.ConsumerMessage) map[string]any {
	out := map[string]any{"topic": m.Topic, "partition": m.Partition, "offset": m.Offset}
	h := map[string]string{}
	for _, r := range m.Headers {
		h[string(r.Key)] = string(r.Value)
	}
	if problem := checkHeaders(h, string(m.Key)); problem != "" {
		out["key"], out["rejected"] = string(m.Key), problem
		return out
	}
	event, err := binding.ToEvent(ctx, kafka_sarama.NewMessageFromConsumerMessage(m))
	if err != nil {
		out["rejected"] = "not a CloudEvent: " + err.Error()
		return out
	}
	desc, err := s.files.FindDescriptorByName(protoreflect.FullName(event.Type()))
	md, ok := desc.(protoreflect.MessageDescriptor)
	if err != nil || !ok {
		out["rejected"] = "undecodable: type " + event.Type() + " is not in the contract"
		return out
	}
	msg := dynamicpb.NewMessage(md)
	if err := proto.Unmarshal(event.Data(), msg); err != nil {
		out["rejected"] = "undecodable: " + err.Error()
		return out
	}
	text, err := protojson.Marshal(msg)
	if err != nil {
		out["rejected"] = "undecodable: " + err.Error()
		return out
	}
	correlation, _ := event.Extensions()["correlationid"].(string)
	out["id"], out["type"], out["source"], out["subject"] = event.ID(), event.Type(), event.Source(), event.Subject()
	out["time"], out["correlationid"], out["data"] = h["ce_time"], correlation, json.RawMessage(text)
	when, _ := time.Parse(time.RFC3339Nano, h["ce_time"])
	if wrong := s.disorder(m, event.Subject(), when); wrong != "" {
		out["disorder"] = wrong
	}
	return out
}

func (s *subscriber) disorder(m *sarama.ConsumerMessage, subject string, when time.Time) string {
	at := m.Topic + "\x00" + subject
	previous, ok := s.last[at]
	s.last[at] = position{m.Partition, m.Offset, when}
	switch {
	case !ok:
		return ""
	case previous.partition != m.Partition:
		return fmt.Sprintf("subject %s on partitions %d and %d", subject, previous.partition, m.Partition)
	case m.Offset <= previous.offset:
		return fmt.Sprintf("subject %s at offset %d after %d", subject, m.Offset, previous.offset)
	case when.Before(previous.time):
		return fmt.Sprintf("subject %s at %s after %s", subject, when, previous.time)
	}
	return ""
}

// group is the consumer-group handler: every record is printed, then its
// offset marked, so a restart resumes after what was processed.
type group struct {
	s        *subscriber
	count    int
	activity chan struct{}
	done     context.CancelFunc
}

func (g *group) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (g *group) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (g *group) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for m := range claim.Messages() {
		g.s.mu.Lock()
		if g.count == 0 || g.s.seen < g.count {
			out := g.s.handle(sess.Context(), m)
			if out["disorder"] != nil {
				g.s.disordered = true
			}
			_ = g.s.out.Encode(out)
			g.s.seen++
			sess.MarkMessage(m, "")
		}
		if g.count != 0 && g.s.seen >= g.count {
			g.done()
		}
		g.s.mu.Unlock()
		select {
		case g.activity <- struct{}{}:
		default:
		}
	}
	return nil
}

func loadContract(path string) (*protoregistry.Files, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	set := &descriptorpb.FileDescriptorSet{}
	if err := proto.Unmarshal(raw, set); err != nil {
		return nil, err
	}
	return protodesc.NewFiles(set)
}

func main() {
	var topicList topics
	bootstrap := flag.String("bootstrap", "127.0.0.1:9092", "Kafka bootstrap servers")
	flag.Var(&topicList, "topic", "repeatable; prefix the namespace if any")
	protoset := flag.String("protoset", "dualnet.protoset", "the compiled contract")
	groupID := flag.String("group", "example-"+uuid.NewString(), "consumer group")
	count := flag.Int("count", 0, "stop after this many records (0: never)")
	timeout := flag.Float64("timeout", 60, "give up if no record comes within this many seconds")
	idle := flag.Float64("idle", 0, "stop once no record came for this many seconds (0: never)")
	flag.Parse()
	if len(topicList) == 0 {
		fmt.Fprintln(os.Stderr, "give at least one --topic")
		os.Exit(2)
	}
	files, err := loadContract(*protoset)
	if err != nil {
		fmt.Fprintln(os.Stderr, "contract:", err)
		os.Exit(2)
	}
	config := sarama.NewConfig()
	config.Version = sarama.V3_0_0_0
	config.Consumer.Offsets.Initial = sarama.OffsetOldest
	config.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategySticky()}
	consumer, err := sarama.NewConsumerGroup(strings.Split(*bootstrap, ","), *groupID, config)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kafka:", err)
		os.Exit(2)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &subscriber{files: files, last: map[string]position{}, out: json.NewEncoder(os.Stdout)}
	s.out.SetEscapeHTML(false)
	handler := &group{s: s, count: *count, activity: make(chan struct{}, 1), done: cancel}
	go func() {
		for ctx.Err() == nil {
			if err := consumer.Consume(ctx, topicList, handler); err != nil && !errors.Is(err, sarama.ErrClosedConsumerGroup) {
				fmt.Fprintln(os.Stderr, "kafka:", err)
			}
		}
	}()
	wait := time.Duration(*timeout * float64(time.Second))
	quiet := time.Duration(*idle * float64(time.Second))
	status := watch(ctx, handler, s, wait, quiet)
	cancel()
	_ = consumer.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	if status == 0 && s.disordered {
		status = 1
	}
	os.Exit(status)
}

// watch returns once the count is reached, the topics are quiet for `quiet`
// after a first record, or no record came within `wait` (status 1).
func watch(ctx context.Context, g *group, s *subscriber, wait, quiet time.Duration) int {
	first := time.NewTimer(wait)
	for {
		s.mu.Lock()
		started := s.seen > 0
		s.mu.Unlock()
		var idle <-chan time.Time
		if started && quiet > 0 {
			idle = time.After(quiet)
		}
		select {
		case <-ctx.Done():
			return 0
		case <-g.activity:
		case <-idle:
			return 0
		case <-first.C:
			if !started {
				fmt.Fprintf(os.Stderr, "no record within %v\n", wait)
				return 1
			}
		}
	}
}
