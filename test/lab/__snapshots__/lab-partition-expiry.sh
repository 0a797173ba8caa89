set -u
sleep 120
[ "$(cat /run/swarm-ha-partition 2>/dev/null)" = "tok-1" ] || exit 0
echo "swarm-ha: partition tok-1 expired after 120 s; healing" >&2
while iptables -w -t raw -D PREROUTING -i eth0 -j DROP 2>/dev/null; do :; done
while iptables -w -t mangle -D POSTROUTING -o eth0 -j DROP 2>/dev/null; do :; done
rm -f /run/swarm-ha-partition
if iptables -w -t raw -C PREROUTING -i eth0 -j DROP 2>/dev/null; then echo "partition rule still present: raw PREROUTING -i eth0 -j DROP" >&2; exit 1; fi
if iptables -w -t mangle -C POSTROUTING -o eth0 -j DROP 2>/dev/null; then echo "partition rule still present: mangle POSTROUTING -o eth0 -j DROP" >&2; exit 1; fi
