#!/bin/sh
# ganesha needs a system D-Bus and its run directory; it starts once the lab CLI has written the
# rendered ganesha.conf and created /run/swarm-ha/ready.
set -eu
mkdir -p /var/run/ganesha /run/dbus
rm -f /run/dbus/pid /var/run/ganesha/ganesha.pid
dbus-daemon --system --fork
until [ -f /run/swarm-ha/ready ]; do sleep 0.2; done
exec ganesha.nfsd -F -L /dev/stdout -f /etc/ganesha/ganesha.conf -N NIV_EVENT
