set -eu
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
cat > "$tmp"
cloud-init status --wait >/dev/null 2>&1 || true
sudo nginx -t -q -c "$tmp"
sudo install -m 0644 "$tmp" /etc/nginx/nginx.conf
sudo systemctl reload nginx