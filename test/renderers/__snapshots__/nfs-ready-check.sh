set -eu
cloud-init status --wait >/dev/null 2>&1 || true
systemctl is-active --quiet nfs-server
if ! sudo exportfs -v | awk -v p='/srv/was-logs' '$1 == p { found = 1 } END { exit !found }'; then
  echo "nfs-server is running but does not export /srv/was-logs" >&2
  exit 1
fi
sudo exportfs -v