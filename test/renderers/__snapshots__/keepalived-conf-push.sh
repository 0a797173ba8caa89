set -eu
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
cat > "$tmp"
sudo keepalived -t -f "$tmp"
sudo install -m 0644 -o root -g root "$tmp" /etc/keepalived/keepalived.conf
sudo systemctl daemon-reload
sudo systemctl enable keepalived
if sudo systemctl is-active --quiet keepalived; then sudo systemctl reload keepalived; else sudo systemctl start keepalived; fi