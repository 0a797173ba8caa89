#!/bin/sh
# Rendered by swarm-ha (renderers/keepalived.ts); do not edit by hand.
# keepalived notify script: $1 is MASTER, BACKUP or FAULT.
set -u
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/snap/bin
export PATH
STATE_FILE='/run/swarm-ha-vrrp.state'

log() {
  echo "$*" >&2
  logger -t swarm-ha-vrrp -- "$*" 2>/dev/null || true
}

state=${1:-}

case "$state" in
  MASTER | BACKUP | FAULT)
    echo "$state" > "$STATE_FILE.tmp" && mv "$STATE_FILE.tmp" "$STATE_FILE"
    log "state $state"
    ;;
  *)
    log "unknown state '$state'"
    exit 2
    ;;
esac
