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
if [ "$state" = "active" ]; then
  managers=$($DOCKER info --format '{{range .Swarm.RemoteManagers}}{{.Addr}} {{end}}')
  case " $managers " in
    *" 10.42.1.10:2377 "*)
      $DOCKER info --format '{{.Swarm.NodeID}}'
      exit 0 ;;
  esac
  echo "this node is in another swarm (managers: $managers); leaving it to join 10.42.1.10" >&2
  $DOCKER swarm leave --force >/dev/null
fi
token=""
IFS= read -r token || true
case "$token" in
  SWMTKN-*) ;;
  *) echo "expected a swarm join token (SWMTKN-...) on standard input" >&2; exit 2 ;;
esac
$DOCKER swarm join --token "$token" --advertise-addr 10.42.2.20 --listen-addr 10.42.2.20:2377 10.42.1.10:2377 >/dev/null
$DOCKER info --format '{{.Swarm.NodeID}}'
