#!/bin/sh
# nginx starts only once the lab CLI has written the rendered nginx.conf and `nginx -t` passed:
# the CLI then creates /run/swarm-ha/ready.
set -eu
until [ -f /run/swarm-ha/ready ]; do sleep 0.2; done
rm -f /run/nginx.pid
exec nginx -g 'daemon off;'
