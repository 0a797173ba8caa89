#!/usr/bin/env bash
# npm run tools: builds the real Pulumi engine this project runs in the loop, from the Go module proxy,
# into .tools/ (git-ignored), and says which resource plugins the engine has.
#
# - The CLI (github.com/pulumi/pulumi/pkg/v3/cmd/pulumi) at exactly the version package-lock.json pins for
#   @pulumi/pulumi; skipped when .tools/bin/pulumi already reports that version.
# - pulumi-analyzer-policy-nodejs: the engine's fallback for a Node.js policy pack when no Node.js language
#   plugin is installed (sdk/go/common/resource/plugin/analyzer_plugin.go, NewPolicyAnalyzer); like the script
#   Pulumi's own distribution ships, it runs @pulumi/pulumi/cmd/run-policy-pack resolved from the pack's folder.
# - The program's language runtime needs no binary: engine runs use the Automation API's in-process language
#   server (@pulumi/pulumi/automation, `--client`), the same path every inline Automation API program takes.
# - Resource plugins are never downloaded (PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION in every run). The ones
#   the lab stack needs are looked up in .tools/home and reported; see tools/README.md for why they cannot be
#   built from the module proxy here.
#
# Writes .tools/manifest.json: { pulumi, built, seconds, plugins: { name: { want, have, status } } }.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$root/.tools
mkdir -p "$out/bin" "$out/home"
export PULUMI_HOME=$out/home PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
start=$(date +%s)
log() { printf '[tools %4ss] %s\n' "$(($(date +%s) - start))" "$*"; }
fail() { printf 'tools: %s\n' "$*" >&2; exit 1; }

lockVersion() { node -p "require('./package-lock.json').packages['node_modules/$1'].version"; }
want=$(lockVersion @pulumi/pulumi)
pinned=$(grep -oE 'github.com/pulumi/pulumi/pkg/v3 v[0-9.]+' tools/go.mod | awk '{ print $2 }')
[ "$pinned" = "v$want" ] ||
  fail "tools/go.mod pins pkg/v3 $pinned but package-lock.json has @pulumi/pulumi $want: set both to one version"
command -v go >/dev/null || fail "go is not on PATH (the CLI is built from the Go module proxy)"

have=$("$out/bin/pulumi" version 2>/dev/null || true)
built=false
if [ "$have" = "v$want" ]; then
  log "pulumi v$want already built"
else
  log "building pulumi v$want from github.com/pulumi/pulumi/pkg/v3 (an empty Go module cache first downloads about 1.5 GB)"
  (cd tools && go build -trimpath \
    -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$want" \
    -o "$out/bin/pulumi.new" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
  mv "$out/bin/pulumi.new" "$out/bin/pulumi"
  have=$("$out/bin/pulumi" version)
  [ "$have" = "v$want" ] || fail "built pulumi reports $have, want v$want"
  built=true
fi

cat >"$out/bin/pulumi-analyzer-policy-nodejs" <<'EOF'
#!/bin/sh
# Started by the engine in the policy pack's folder with the engine address and "." as arguments.
script=$(node -e 'process.stdout.write(require.resolve("@pulumi/pulumi/cmd/run-policy-pack"))') || {
  echo "pulumi-analyzer-policy-nodejs: @pulumi/pulumi is not installed for the policy pack in $PWD" >&2
  exit 1
}
exec node "$script" "$@"
EOF
chmod +x "$out/bin/pulumi-analyzer-policy-nodejs"

# Plugins the lab stack needs, at exactly the SDK packages' versions.
plugins=$("$out/bin/pulumi" plugin ls --json 2>/dev/null || echo '[]')
# shellcheck disable=SC2016 # JavaScript, not shell, in single quotes
report=$(PLUGINS="$plugins" node -e '
  const lock = require("./package-lock.json").packages;
  const installed = JSON.parse(process.env.PLUGINS || "[]");
  const out = {};
  for (const name of ["command", "docker"]) {
    const want = lock[`node_modules/@pulumi/${name}`].version;
    const have = installed.filter((p) => p.kind === "resource" && p.name === name).map((p) => p.version);
    out[name] = { want, have, status: have.includes(want) ? "installed" : "missing" };
  }
  process.stdout.write(JSON.stringify(out));')
seconds=$(($(date +%s) - start))
# shellcheck disable=SC2016
node -e '
  const [pulumi, built, seconds, plugins] = process.argv.slice(1);
  const manifest = { pulumi, built: built === "true", seconds: Number(seconds), plugins: JSON.parse(plugins) };
  require("fs").writeFileSync(".tools/manifest.json", JSON.stringify(manifest, null, 2) + "\n");
  for (const [name, p] of Object.entries(manifest.plugins))
    console.log(`[tools] plugin ${name} ${p.want}: ${p.status}${p.have.length ? ` (have ${p.have.join(", ")})` : ""}`);
' "$have" "$built" "$seconds" "$report"
log "done: .tools/bin/pulumi $have"
