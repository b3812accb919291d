# Shared by the scripts: install and start what dualnet needs on this machine
# (a private PostgreSQL server, an Apache Kafka broker), and stop them again.
# Source it; every function reports on stderr.

DUALNET_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/dualnet/target}

log() { printf '[dualnet] %s\n' "$*" >&2; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_port() { # host port seconds
  local deadline=$((SECONDS + $3))
  until (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; do
    if ((SECONDS > deadline)); then return 1; fi
    sleep 0.2
  done
}

pg_bin_dir() {
  if [[ -n "${DUALNET_PG_BIN:-}" ]]; then echo "$DUALNET_PG_BIN"; return; fi
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | while read -r d; do
    [[ -x "$d/initdb" ]] && echo "$d"
  done | tail -n1
}

# Installs the PostgreSQL server from Debian's packages when it is missing.
ensure_postgres() {
  if [[ -n "$(pg_bin_dir)" ]]; then return; fi
  if [[ $(id -u) -ne 0 ]]; then
    log "PostgreSQL server binaries are missing; install the postgresql package (or set DUALNET_PG_BIN)"
    return 1
  fi
  log "installing the PostgreSQL server (apt)"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
}

# start_postgres DIR → exports PG_PORT, PG_DIR. A throwaway cluster with
# fsync off: figures measured on it say so. PostgreSQL cannot bind port 0, so
# its port is picked here; it starts before anything else of the run does.
start_postgres() {
  local dir=$1 bin
  bin=$(pg_bin_dir)
  PG_DIR=$dir
  PG_PORT=$(free_port)
  mkdir -p "$dir"
  local run=()
  if [[ $(id -u) -eq 0 ]]; then
    # The server refuses to run as root.
    chown -R postgres "$dir"
    run=(runuser -u postgres --)
  fi
  PG_RUN=("${run[@]}")
  PG_BIN=$bin
  "${run[@]}" "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; return 1; }
  "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
    -o "-p $PG_PORT -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=600" \
    start >/dev/null || { cat "$dir/log" >&2; return 1; }
  export PG_PORT PG_DIR
  log "PostgreSQL on 127.0.0.1:$PG_PORT ($dir)"
}

stop_postgres() {
  if [[ -n "${PG_DIR:-}" && -d "${PG_DIR}/data" ]]; then
    "${PG_RUN[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    log "PostgreSQL stopped"
  fi
}

# The test broker is Apache Kafka itself: the `kafka_2.13` artifact and its
# runtime dependencies from Maven Central, in a cache outside the clone,
# reused across runs. KAFKA_VERSION pins it; compose runs the same version.
KAFKA_VERSION=${DUALNET_KAFKA_VERSION:-4.1.1}
KAFKA_LIB=${DUALNET_KAFKA_LIB:-$HOME/.cache/dualnet/kafka-$KAFKA_VERSION/lib}

# Installs a JDK (17+) and Maven with apt when missing, then fetches the
# broker's jars once → exports KAFKA_LIB.
ensure_kafka() {
  local missing=()
  command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
  [[ -f "$KAFKA_LIB/.complete" ]] || command -v mvn >/dev/null || missing+=(maven)
  if ((${#missing[@]})); then
    if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
      log "missing: ${missing[*]} (Apache Kafka needs Java 17+; its jars come through Maven)"
      return 1
    fi
    log "installing ${missing[*]} (apt)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
      { DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2; }
  fi
  if [[ ! -f "$KAFKA_LIB/.complete" ]]; then
    local pom
    pom=$(mktemp -d)
    cat >"$pom/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dualnet</groupId><artifactId>test-broker</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-simple</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
POM
    log "fetching Apache Kafka $KAFKA_VERSION from Maven Central (once, into $KAFKA_LIB)"
    rm -rf "$KAFKA_LIB"
    mkdir -p "$KAFKA_LIB"
    (cd "$pom" && mvn -q -B dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$KAFKA_LIB" >&2) ||
      { rm -rf "$pom"; return 1; }
    rm -rf "$pom"
    touch "$KAFKA_LIB/.complete"
  fi
  export KAFKA_LIB
}

# start_kafka DIR → exports KAFKA_PORT, KAFKA_PID. One KRaft node (broker and
# controller) with its log in DIR/data, formatted on the first start and kept
# across restarts. The client listener binds port 0 and the bound port is read
# from the broker's log; the controller listener, which only the node itself
# uses, gets a random port and another one if that was taken.
start_kafka() {
  local dir=$1 attempt
  mkdir -p "$dir"
  for attempt in 1 2 3 4 5; do
    if _start_kafka_once "$dir"; then
      export KAFKA_PORT KAFKA_PID
      log "Apache Kafka $KAFKA_VERSION on 127.0.0.1:$KAFKA_PORT ($dir)"
      return 0
    fi
    grep -q "Address already in use" "$dir/kafka.log" 2>/dev/null || { tail -n 40 "$dir/kafka.log" >&2; return 1; }
    log "the controller port was taken; trying another"
  done
  return 1
}

_start_kafka_once() {
  local dir=$1 cport=$((20000 + RANDOM % 12000))
  sed -e "s|@PORT@|${KAFKA_PORT:-0}|g" -e "s|@CONTROLLER@|$cport|g" -e "s|@DATA@|$dir/data|g" \
    "$DUALNET_ROOT/scripts/lib/kafka.properties" >"$dir/server.properties"
  if [[ ! -f "$dir/data/meta.properties" ]]; then
    java -cp "$KAFKA_LIB/*" kafka.tools.StorageTool format --ignore-formatted \
      -t "$(python3 -c 'import uuid,base64;print(base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="))')" \
      -c "$dir/server.properties" >"$dir/format.log" 2>&1 || { cat "$dir/format.log" >&2; return 1; }
  fi
  java -Xms256m -Xmx512m -cp "$KAFKA_LIB/*" kafka.Kafka "$dir/server.properties" >"$dir/kafka.log" 2>&1 &
  KAFKA_PID=$!
  local deadline=$((SECONDS + 120)) port
  until grep -q "Kafka Server started" "$dir/kafka.log" 2>/dev/null; do
    if ! kill -0 "$KAFKA_PID" 2>/dev/null || ((SECONDS > deadline)); then
      kill "$KAFKA_PID" 2>/dev/null; wait "$KAFKA_PID" 2>/dev/null
      return 1
    fi
    sleep 0.2
  done
  port=$(grep -o "Awaiting socket connections on 127.0.0.1:[0-9]*" "$dir/kafka.log" | grep -v ":$cport\$" | tail -n1 | grep -o '[0-9]*$')
  [[ -n "$port" ]] || return 1
  KAFKA_PORT=$port
}

stop_kafka() {
  if [[ -n "${KAFKA_PID:-}" ]]; then
    kill "$KAFKA_PID" 2>/dev/null || true
    wait "$KAFKA_PID" 2>/dev/null || true
    log "Apache Kafka stopped"
  fi
}

# The test broker: Apache Kafka, or Tansu with DUALNET_TEST_BROKER=tansu.
ensure_broker() {
  if [[ "${DUALNET_TEST_BROKER:-kafka}" == tansu ]]; then ensure_tansu; else ensure_kafka; fi
}
start_broker() {
  if [[ "${DUALNET_TEST_BROKER:-kafka}" == tansu ]]; then
    start_tansu "$1"
    BROKER_PID=$TANSU_PID BROKER_NAME=tansu
  else
    start_kafka "$1"
    BROKER_PID=$KAFKA_PID BROKER_NAME=kafka
  fi
  export BROKER_PID BROKER_NAME
}
stop_broker() {
  stop_kafka
  stop_tansu
}

# Tansu, kept as an optional broker (DUALNET_TEST_BROKER=tansu): $TANSU_BIN,
# then `tansu` on PATH, else built with cargo.
ensure_tansu() {
  if [[ -n "${TANSU_BIN:-}" && -x "$TANSU_BIN" ]]; then return; fi
  if command -v tansu >/dev/null; then TANSU_BIN=$(command -v tansu); export TANSU_BIN; return; fi
  log "building Tansu (cargo install tansu --locked --features dynostore,libsql; ~20-30 minutes, once)"
  cargo install tansu --locked --features dynostore,libsql >&2
  TANSU_BIN=${CARGO_HOME:-$HOME/.cargo}/bin/tansu
  export TANSU_BIN
}

# start_tansu DIR → exports KAFKA_PORT.
start_tansu() {
  local dir=$1
  mkdir -p "$dir"
  KAFKA_PORT=$(free_port)
  # Tansu reads a .env from its working directory and these variables from
  # the environment: start it clean, from a directory of its own.
  (cd "$dir" && exec env -u LISTENER_URL -u ADVERTISED_LISTENER_URL -u STORAGE_ENGINE -u DATABASE_URL \
    "$TANSU_BIN" broker --listener-url "tcp://127.0.0.1:$KAFKA_PORT" \
    --advertised-listener-url "tcp://127.0.0.1:$KAFKA_PORT" --storage-engine memory://tansu/ \
    >"$dir/tansu.log" 2>&1) &
  TANSU_PID=$!
  if ! wait_port 127.0.0.1 "$KAFKA_PORT" 30; then
    cat "$dir/tansu.log" >&2
    return 1
  fi
  export KAFKA_PORT TANSU_PID
  log "Tansu on 127.0.0.1:$KAFKA_PORT ($TANSU_BIN)"
}

stop_tansu() {
  if [[ -n "${TANSU_PID:-}" ]]; then
    kill "$TANSU_PID" 2>/dev/null || true
    wait "$TANSU_PID" 2>/dev/null || true
    log "Tansu stopped"
  fi
}

# ensure_buf → exports BUF: the `buf` CLI (lint, format, breaking) at a pinned
# version, built once from the Go module proxy into the cache outside the
# clone (about four minutes on two cores).
BUF_VERSION=v1.75.0
ensure_buf() {
  BUF=$(go_tool buf github.com/bufbuild/buf/cmd/buf "$BUF_VERSION")
  export BUF
}

# go_tool NAME MODULE/cmd/X VERSION → prints the binary's path: a Go program
# at a pinned version, built once from the Go module proxy into the cache
# outside the clone (a stamp file records the version it was built at).
go_tool() {
  local name=$1 package=$2 version=$3
  local bin=${DUALNET_TOOLS:-$HOME/.cache/dualnet/bin}
  if [[ ! -x "$bin/$name" ]] || [[ "$(cat "$bin/.$name.version" 2>/dev/null)" != "$version" ]]; then
    if ! command -v go >/dev/null; then
      log "$name is missing and so is Go to build it: install Go (golang-go) or put $name $version at $bin/$name"
      return 1
    fi
    log "building $name $version from the Go module proxy (once, into $bin)"
    mkdir -p "$bin"
    GOBIN="$bin" GOFLAGS=-mod=mod go install "$package@$version" >&2
    echo "$version" >"$bin/.$name.version"
  fi
  echo "$bin/$name"
}

# ensure_grpc_clients → exports DUALNET_TEST_GRPCURL and DUALNET_TEST_GHZ:
# the gRPC clients integrators use, beside buf curl (ensure_buf).
GRPCURL_VERSION=v1.9.3
GHZ_VERSION=v0.120.0
ensure_grpc_clients() {
  DUALNET_TEST_GRPCURL=$(go_tool grpcurl github.com/fullstorydev/grpcurl/cmd/grpcurl "$GRPCURL_VERSION")
  DUALNET_TEST_GHZ=$(go_tool ghz github.com/bojand/ghz/cmd/ghz "$GHZ_VERSION")
  export DUALNET_TEST_GRPCURL DUALNET_TEST_GHZ
}

# ensure_jaeger → exports DUALNET_TEST_JAEGER: Jaeger v2 (the `jaeger`
# binary of the v1.75 release line, built on the OpenTelemetry Collector)
# from the Go module proxy; the trace test runs it with in-memory storage.
# Its module has replace directives, so `go install module@version` refuses
# it: it is built as a tool of a one-line module in the cache (about five
# minutes on two cores, once).
JAEGER_VERSION=v1.75.0
ensure_jaeger() {
  local bin=${DUALNET_TOOLS:-$HOME/.cache/dualnet/bin}
  DUALNET_TEST_JAEGER="$bin/jaeger"
  if [[ ! -x "$DUALNET_TEST_JAEGER" ]] || [[ "$(cat "$bin/.jaeger.version" 2>/dev/null)" != "$JAEGER_VERSION" ]]; then
    if ! command -v go >/dev/null; then
      log "Jaeger is missing and so is Go to build it: install Go (golang-go) or put jaeger $JAEGER_VERSION at $DUALNET_TEST_JAEGER"
      return 1
    fi
    local module="$bin/../jaeger-module"
    log "building Jaeger $JAEGER_VERSION from the Go module proxy (once, into $bin)"
    rm -rf "$module" && mkdir -p "$module" "$bin"
    printf 'module dualnet.tools/jaeger\n\ngo 1.26.0\n' >"$module/go.mod"
    (cd "$module" && go get -tool "github.com/jaegertracing/jaeger/cmd/jaeger@$JAEGER_VERSION" &&
      go build -o "$DUALNET_TEST_JAEGER" github.com/jaegertracing/jaeger/cmd/jaeger) >&2
    echo "$JAEGER_VERSION" >"$bin/.jaeger.version"
  fi
  export DUALNET_TEST_JAEGER
}

# ensure_promtool → exports DUALNET_TEST_PROMTOOL: `promtool` out of
# Debian's prometheus package, unpacked into the cache (not installed: no
# Prometheus server is set up or started).
PROMETHEUS_DEBIAN_VERSION=2.42.0+ds-5+deb12u1
ensure_promtool() {
  local bin=${DUALNET_TOOLS:-$HOME/.cache/dualnet/bin}
  DUALNET_TEST_PROMTOOL="$bin/promtool"
  if [[ ! -x "$DUALNET_TEST_PROMTOOL" ]]; then
    local tmp
    tmp=$(mktemp -d)
    chmod 777 "$tmp" # apt's own user writes the download
    log "fetching promtool from Debian's prometheus package (once, into $bin)"
    (cd "$tmp" && {
      apt-get download -q "prometheus=$PROMETHEUS_DEBIAN_VERSION" ||
        { log "prometheus $PROMETHEUS_DEBIAN_VERSION is no longer served; taking Debian's current one"; apt-get update -q && apt-get download -q prometheus; }
    } >&2 && dpkg-deb -x prometheus_*.deb x) || { rm -rf "$tmp"; log "could not fetch Debian's prometheus package"; return 1; }
    mkdir -p "$bin"
    cp "$tmp/x/usr/bin/promtool" "$DUALNET_TEST_PROMTOOL"
    rm -rf "$tmp"
  fi
  export DUALNET_TEST_PROMTOOL
}

# ensure_asyncapi → exports DUALNET_NODE_PATH: the official AsyncAPI parser
# (@asyncapi/parser, pinned) from npm, in a directory kept outside the clone.
ASYNCAPI_PARSER_VERSION=3.6.6
ensure_asyncapi() {
  local dir=${DUALNET_NODE_DIR:-$HOME/.cache/dualnet/node}
  DUALNET_NODE_PATH="$dir/node_modules"
  local stamp="$dir/.asyncapi-parser"
  if [[ ! -f "$stamp" ]] || [[ "$(cat "$stamp")" != "$ASYNCAPI_PARSER_VERSION" ]]; then
    if ! command -v npm >/dev/null; then
      log "npm is missing: install Node.js 20 (nodejs, npm) for the AsyncAPI check"
      return 1
    fi
    log "installing @asyncapi/parser $ASYNCAPI_PARSER_VERSION (npm, once, into $dir)"
    mkdir -p "$dir"
    (cd "$dir" && npm install --no-audit --no-fund --silent "@asyncapi/parser@$ASYNCAPI_PARSER_VERSION" >&2)
    echo "$ASYNCAPI_PARSER_VERSION" >"$stamp"
  fi
  export DUALNET_NODE_PATH
}

# ensure_java_example → exports DUALNET_TEST_JAVA_SUBSCRIBER: the Java
# subscriber (examples/java) built by Maven into a directory outside the
# clone; Maven keeps its downloads in ~/.m2 and rebuilds only what changed.
ensure_java_example() {
  local out=${DUALNET_EXAMPLES_BUILD:-$HOME/.cache/dualnet/examples}/java
  if ! command -v mvn >/dev/null || ! command -v java >/dev/null; then
    log "Maven and a JDK 17 are missing: install maven and openjdk-17-jdk-headless for the Java subscriber"
    return 1
  fi
  log "building the Java subscriber (examples/java, Maven)"
  mvn -q -B -f "$DUALNET_ROOT/examples/java/pom.xml" package -DbuildDir="$out" >&2
  export DUALNET_TEST_JAVA_SUBSCRIBER="$out/dualnet-subscriber.jar"
}

# ensure_go_example → exports DUALNET_TEST_GO_SUBSCRIBER: the Go subscriber
# (examples/go) built from the Go module proxy into the cache outside the
# clone (Go's own build cache makes a rebuild take a second).
ensure_go_example() {
  local bin=${DUALNET_TOOLS:-$HOME/.cache/dualnet/bin}
  if ! command -v go >/dev/null; then
    log "Go is missing: install Go (golang-go) for the Go subscriber"
    return 1
  fi
  log "building the Go subscriber (examples/go)"
  mkdir -p "$bin"
  (cd "$DUALNET_ROOT/examples/go" && go build -o "$bin/dualnet-go-subscriber" .) >&2
  export DUALNET_TEST_GO_SUBSCRIBER="$bin/dualnet-go-subscriber"
}

# ensure_python_example → exports DUALNET_TEST_PYTHON: a Python with the
# example subscriber's requirements (examples/python) and the compose
# checker's (scripts/lib), in a virtualenv kept outside the clone and rebuilt
# when the requirements change.
ensure_python_example() {
  local env=${DUALNET_PYENV:-$HOME/.cache/dualnet/pyenv}
  local stamp="$env/.requirements"
  local req="$env.requirements"
  mkdir -p "$(dirname "$env")"
  cat "$DUALNET_ROOT/examples/python/requirements.txt" "$DUALNET_ROOT/scripts/lib/requirements.txt" >"$req"
  if [[ ! -x "$env/bin/python" ]] || ! cmp -s "$req" "$stamp"; then
    if ! command -v python3 >/dev/null || ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
      if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        log "installing python3 and python3-venv with apt"
        apt-get install -y -q python3 python3-venv >&2 || { apt-get update -q >&2 && apt-get install -y -q python3 python3-venv >&2; }
      fi
    fi
    log "preparing the Python example's environment ($env)"
    rm -rf "$env"
    python3 -m venv "$env"
    "$env/bin/pip" install -q -r "$req" >&2
    cp "$req" "$stamp"
  fi
  export DUALNET_TEST_PYTHON="$env/bin/python"
}
