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
if [ "$state" != "active" ]; then
  $DOCKER swarm init --advertise-addr 10.42.1.10 --listen-addr 10.42.1.10:2377 --dispatcher-heartbeat 1s >/dev/null
fi
# Re-applied on every run so a changed heartbeat reaches an existing swarm.
$DOCKER swarm update --dispatcher-heartbeat 1s >/dev/null
$DOCKER info --format '{{.Swarm.NodeID}}'
