# Shared by the scripts: install and start what dualnet needs on this machine
# (a private PostgreSQL server, a Tansu broker), and stop them again.
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
# fsync off: figures measured on it say so.
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

# Finds Tansu: $TANSU_BIN, then `tansu` on PATH, else builds it with cargo.
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
