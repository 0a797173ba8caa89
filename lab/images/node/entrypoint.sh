#!/bin/sh
# Starts the node's Docker engine. A node container that was stopped (the chaos drill) and started
# again still holds the pid files of the engine it lost: remove them or dockerd refuses to start.
set -eu
rm -f /var/run/docker.pid /run/docker.pid \
      /var/run/docker/containerd/containerd.pid /run/docker/containerd/containerd.pid
# /run/lab-api is a host directory: the lab CLI talks to this engine through the second socket,
# a unix socket readable only by root on the host (no TCP listener anywhere).
mkdir -p /run/lab-api
exec dockerd -H unix:///var/run/docker.sock -H unix:///run/lab-api/docker.sock "$@"
