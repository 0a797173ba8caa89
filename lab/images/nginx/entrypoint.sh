#!/bin/sh
# PID 1 of a lab balancer. nginx starts only once the lab CLI has written the rendered nginx.conf
# and `nginx -t` passed (the CLI then creates /run/swarm-ha/ready). In a pair, keepalived runs in
# the foreground beside it, in this container's network namespace, from the rendered
# /etc/keepalived/keepalived.conf.
#
# `docker stop` (SIGTERM) shuts the balancer down in the order that loses no request:
#  0. the drain flag tells keepalived's health check to pass from now on: the address must stay
#     here until nginx has closed its connections (a check failing on the closed listening socket
#     during a long drain would move it early, and the new holder would reset the connections nginx
#     was still answering);
#  1. new connections to the floating address are dropped (not refused): the client's kernel sends
#     its SYN again a second later, by when the standby holds the address;
#  2. nginx quits gracefully: requests in flight are answered, their connections closed;
#  3. keepalived stops: its priority-0 advert makes the standby MASTER after its skew time.
# Each step is logged with a timestamp (docker logs) so a drill can tell where time went.
set -eu
until [ -f /run/swarm-ha/ready ]; do sleep 0.2; done
# /run survives a restart of the container: no stale pid or VRRP state from the last run.
DRAIN_FLAG=/run/swarm-ha-draining
rm -f /run/nginx.pid /run/keepalived.pid /run/vrrp.pid /run/swarm-ha-vrrp.state "$DRAIN_FLAG"
VIP=$(cat /run/swarm-ha/vip 2>/dev/null || true)
iptables -D INPUT -d "${VIP:-0.0.0.0}" -p tcp --syn -j DROP 2>/dev/null || true

nginx -g 'daemon off;' &
nginx_pid=$!
ka_pid=
if [ -s /etc/keepalived/keepalived.conf ]; then
  keepalived --dont-fork --log-console --log-detail -f /etc/keepalived/keepalived.conf &
  ka_pid=$!
fi

log() { echo "swarm-ha: $(date +%H:%M:%S.%3N) $*" >&2; }

# $1: pid, $2: tenths of a second to wait for it to exit.
wait_gone() {
  n=0
  while kill -0 "$1" 2>/dev/null && [ "$n" -lt "$2" ]; do sleep 0.1; n=$((n + 1)); done
}

shutdown() {
  trap - TERM INT
  log "drain: start"
  touch "$DRAIN_FLAG"
  if [ -n "$ka_pid" ] && [ -n "$VIP" ]; then
    iptables -I INPUT -d "$VIP" -p tcp --syn -j DROP 2>/dev/null || log "drain: cannot drop new connections (no iptables)"
  fi
  kill -QUIT "$nginx_pid" 2>/dev/null || true
  log "drain: new connections dropped, nginx quitting"
  wait_gone "$nginx_pid" 50
  if kill -0 "$nginx_pid" 2>/dev/null; then log "drain: nginx still running after 5 s"; else log "drain: nginx gone"; fi
  if [ -n "$ka_pid" ]; then
    kill -TERM "$ka_pid" 2>/dev/null || true
    wait_gone "$ka_pid" 30
    log "drain: keepalived stopped"
  fi
  exit 0
}
trap shutdown TERM INT

# Either process ending ends the container (docker restarts nothing by itself; the pair's other
# node takes over): nginx gone means keepalived's check fails anyway.
while kill -0 "$nginx_pid" 2>/dev/null && { [ -z "$ka_pid" ] || kill -0 "$ka_pid" 2>/dev/null; }; do
  sleep 0.5 &
  wait $! || true
done
shutdown
