#!/usr/bin/env bash
# Tear down the cluster started by up.sh: only the PIDs recorded in its folder, then remove the folder.
set -euo pipefail
root="${1:-${TICKETBOOTH_HA_ROOT:-}}"
[ -n "$root" ] || { echo "usage: $0 <TICKETBOOTH_HA_ROOT> [--keep-logs DEST]" >&2; exit 2; }
shift || true
exec python3 "$(dirname "$0")/hacluster.py" down --root "$root" "$@"
