#!/bin/sh
for dev in /sys/class/net/*; do
  name=${dev##*/}
  [ "$name" = lo ] || ip link set dev "$name" down
done
date +%s%N
