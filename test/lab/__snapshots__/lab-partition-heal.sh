set -u
while iptables -w -t raw -D PREROUTING -i eth0 -j DROP 2>/dev/null; do :; done
while iptables -w -t mangle -D POSTROUTING -o eth0 -j DROP 2>/dev/null; do :; done
rm -f /run/swarm-ha-partition
if iptables -w -t raw -C PREROUTING -i eth0 -j DROP 2>/dev/null; then echo "partition rule still present: raw PREROUTING -i eth0 -j DROP" >&2; exit 1; fi
if iptables -w -t mangle -C POSTROUTING -o eth0 -j DROP 2>/dev/null; then echo "partition rule still present: mangle POSTROUTING -o eth0 -j DROP" >&2; exit 1; fi
