#!/bin/bash
# One database and one role per service; no service can read another's
# tables. Passwords come from the environment of the postgres container.
set -euo pipefail
create() { # role database password
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<SQL
CREATE ROLE "$1" LOGIN PASSWORD '$3';
CREATE DATABASE "$2" OWNER "$1";
REVOKE ALL ON DATABASE "$2" FROM PUBLIC;
SQL
}
create governance dualnet_governance "${GOVERNANCE_DB_PASSWORD:-governance}"
create partygrid dualnet_partygrid "${PARTYGRID_DB_PASSWORD:-partygrid}"
create complaints dualnet_complaints "${COMPLAINTS_DB_PASSWORD:-complaints}"
create arbitration dualnet_arbitration "${ARBITRATION_DB_PASSWORD:-arbitration}"
