set -eu
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
cat > "$tmp"
cloud-init status --wait >/dev/null 2>&1 || true
sh -n "$tmp"
sudo install -d -m 0755 -o root -g root /etc/keepalived
sudo install -m 0755 -o root -g root "$tmp" /etc/keepalived/swarm-ha-notify.sh
sudo /etc/keepalived/swarm-ha-notify.sh check