#!/bin/sh
# PID 1 of a lab balancer. nginx starts only once the lab CLI has written the rendered nginx.conf
# and `nginx -t` passed (the CLI then creates /run/swarm-ha/ready). In a pair, keepalived runs in
# the foreground beside it, in this container's network namespace, from the rendered
# /etc/keepalived/keepalived.conf.
#
# `docker stop` (SIGTERM) shuts the balancer down in the order that loses no request:
#  1. new connections to the floating address are dropped (not refused): the client's kernel sends
#     its SYN again a second later, by when the standby holds the address;
#  2. nginx quits gracefully: requests in flight are answered, their connections closed;
#  3. keepalived stops: its priority-0 advert makes the standby MASTER at once.
set -eu
until [ -f /run/swarm-ha/ready ]; do sleep 0.2; done
# /run survives a restart of the container: no stale pid or VRRP state from the last run.
rm -f /run/nginx.pid /run/keepalived.pid /run/vrrp.pid /run/swarm-ha-vrrp.state
VIP=$(cat /run/swarm-ha/vip 2>/dev/null || true)
iptables -D INPUT -d "${VIP:-0.0.0.0}" -p tcp --syn -j DROP 2>/dev/null || true

nginx -g 'daemon off;' &
nginx_pid=$!
ka_pid=
if [ -s /etc/keepalived/keepalived.conf ]; then
  keepalived --dont-fork --log-console --log-detail -f /etc/keepalived/keepalived.conf &
  ka_pid=$!
fi

# $1: pid, $2: tenths of a second to wait for it to exit.
wait_gone() {
  n=0
  while kill -0 "$1" 2>/dev/null && [ "$n" -lt "$2" ]; do sleep 0.1; n=$((n + 1)); done
}

shutdown() {
  trap - TERM INT
  if [ -n "$ka_pid" ] && [ -n "$VIP" ]; then
    iptables -I INPUT -d "$VIP" -p tcp --syn -j DROP 2>/dev/null || echo "swarm-ha: cannot drop new connections (no iptables)" >&2
  fi
  kill -QUIT "$nginx_pid" 2>/dev/null || true
  wait_gone "$nginx_pid" 50
  if [ -n "$ka_pid" ]; then
    kill -TERM "$ka_pid" 2>/dev/null || true
    wait_gone "$ka_pid" 30
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
