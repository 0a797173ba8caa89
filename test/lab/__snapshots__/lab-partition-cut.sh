set -eu
[ -e /sys/class/net/eth0 ] || { echo "no interface eth0 in this node" >&2; exit 1; }
echo tok-1 > /run/swarm-ha-partition
iptables -w -t raw -I PREROUTING 1 -i eth0 -j DROP
iptables -w -t mangle -I POSTROUTING 1 -o eth0 -j DROP
