#!/bin/sh
# Rendered by swarm-ha (renderers/keepalived.ts); do not edit by hand.
# keepalived notify script: $1 is MASTER, BACKUP or FAULT, or check (IAM dry run).
set -u
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/snap/bin
export PATH
STATE_FILE='/run/swarm-ha-vrrp.state'

log() {
  echo "$*" >&2
  logger -t swarm-ha-vrrp -- "$*" 2>/dev/null || true
}

state=${1:-}
ALLOCATION_ID='eipalloc-0123456789abcdef0'
ATTEMPTS=5
RETRY_DELAY=1
AWS='/snap/bin/aws'
IMDS='http://169.254.169.254'

# IMDSv2: a session token first (the instances refuse token-less metadata calls).
# shellcheck disable=SC2317 # called through retry's "$@", which shellcheck cannot follow
imds_get() {
  token=$(curl -fsS --max-time 2 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "$IMDS/latest/api/token") || return 1
  curl -fsS --max-time 2 -H "X-aws-ec2-metadata-token: $token" "$IMDS/latest/meta-data/$1"
}

# Runs "$@" up to ATTEMPTS times (API throttling, IAM propagation right after launch).
retry() {
  what=$1
  shift
  n=1
  while :; do
    if out=$("$@" 2>&1); then
      printf '%s\n' "$out"
      return 0
    fi
    log "$what: attempt $n/$ATTEMPTS failed: $out"
    if [ "$n" -ge "$ATTEMPTS" ]; then
      return 1
    fi
    sleep $((RETRY_DELAY * n))
    n=$((n + 1))
  done
}

case "$state" in
  MASTER | BACKUP | FAULT)
    echo "$state" > "$STATE_FILE.tmp" && mv "$STATE_FILE.tmp" "$STATE_FILE"
    log "state $state"
    ;;
  check) ;;
  *)
    log "unknown state '$state'"
    exit 2
    ;;
esac

if [ "$state" != MASTER ] && [ "$state" != check ]; then
  exit 0
fi

if ! instance_id=$(retry "instance id from IMDS" imds_get instance-id); then
  log "cannot read the instance id from IMDS: the Elastic IP stays where it is"
  exit 1
fi
if ! region=$(retry "region from IMDS" imds_get placement/region); then
  log "cannot read the region from IMDS: the Elastic IP stays where it is"
  exit 1
fi

if [ "$state" = check ]; then
  # DryRun answers DryRunOperation when allowed and UnauthorizedOperation when not, without acting.
  out=$("$AWS" ec2 associate-address --region "$region" --allocation-id "$ALLOCATION_ID" \
    --instance-id "$instance_id" --allow-reassociation --dry-run 2>&1)
  case "$out" in
    *DryRunOperation*)
      log "check: this instance may move $ALLOCATION_ID to itself"
      exit 0
      ;;
    *)
      log "check: associate-address is not allowed for $instance_id: $out"
      exit 1
      ;;
  esac
fi

holder=$("$AWS" ec2 describe-addresses --region "$region" --allocation-ids "$ALLOCATION_ID" \
  --query 'Addresses[0].InstanceId' --output text 2>/dev/null || echo unknown)
if [ "$holder" = "$instance_id" ]; then
  log "MASTER: $ALLOCATION_ID is already on $instance_id"
  exit 0
fi

started=$(date +%s)
if retry "associate-address" "$AWS" ec2 associate-address --region "$region" --allocation-id "$ALLOCATION_ID" \
  --instance-id "$instance_id" --allow-reassociation --output text >/dev/null; then
  log "MASTER: moved $ALLOCATION_ID from $holder to $instance_id in $(($(date +%s) - started)) s"
  exit 0
fi
log "MASTER: could not move $ALLOCATION_ID to $instance_id after $ATTEMPTS attempts"
exit 1
