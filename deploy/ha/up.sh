#!/usr/bin/env bash
# Bring up the 3-node Patroni cluster (etcd, 3 x PostgreSQL 15, HAProxy) on 127.0.0.1 and wait until it is
# healthy. Prints TICKETBOOTH_HA_ROOT=..., TICKETBOOTH_DATABASE_URL=... and TICKETBOOTH_DATABASE_REPLICA_URL=...
# Run as root (the daemons drop to the postgres user). Pass --install to apt-get the packages when missing.
# Stop it with: deploy/ha/down.sh <TICKETBOOTH_HA_ROOT>
set -euo pipefail
exec python3 "$(dirname "$0")/hacluster.py" up "$@"
