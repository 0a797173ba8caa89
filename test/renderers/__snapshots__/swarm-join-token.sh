#!/bin/sh
set -eu
DOCKER="sudo docker"
# The engine may still be installing (cloud-init) or starting (lab node): wait for it.
waited=0
until $DOCKER info >/dev/null 2>&1; do
  if [ "$waited" -ge 300 ]; then echo "docker engine did not answer within 300s" >&2; exit 1; fi
  sleep 2
  waited=$((waited + 2))
done
state=$($DOCKER info --format '{{.Swarm.LocalNodeState}}')
if [ "$state" != "active" ]; then echo "this node is not in a swarm; run the init step first" >&2; exit 1; fi
$DOCKER swarm join-token -q worker
