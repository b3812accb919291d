#!/bin/bash
# One database and one role per service; no service can read another's
# tables. Passwords come from the environment of the postgres container and
# reach SQL as psql variables, quoted by psql (:'…' a literal, :"…" a name),
# never spliced into the statement text.
set -euo pipefail
create() { # role database password
  if [ -z "$3" ]; then
    echo "init.sh: no password for role $1" >&2
    exit 1
  fi
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v role="$1" -v db="$2" -v password="$3" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"db" OWNER :"role";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
SQL
}
create governance dualnet_governance "${GOVERNANCE_DB_PASSWORD:-}"
create partygrid dualnet_partygrid "${PARTYGRID_DB_PASSWORD:-}"
create complaints dualnet_complaints "${COMPLAINTS_DB_PASSWORD:-}"
create arbitration dualnet_arbitration "${ARBITRATION_DB_PASSWORD:-}"
