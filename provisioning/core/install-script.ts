import { BUNDLE_FILES, PI_PATHS } from './gateway-config.ts';

/**
 * install.sh for a gateway bundle, for Raspberry Pi OS (Debian bookworm or later). Idempotent:
 * every step checks before it acts, so running it again repairs or upgrades an install.
 * (Inside this template literal, bash's "${...}" is written "\${...}".)
 */
export const NODE_MAJOR = 20;

/**
 * One function of ~160 lines, over the ~120-line guide, on purpose: its body is the bash script
 * itself, laid out exactly as it is written to install.sh, so that it reviews top to bottom like
 * the file a technician runs. Cut into per-step functions it would have to be reassembled in the
 * reader's head, and the script's own structure spans the steps (`set -e`, the helpers, the
 * EXIT trap, the variables later steps read).
 */
// Longer than a screen: the text of install.sh, kept in one piece so it reads as the script it writes.
export function renderInstallScript(input: { store: string; gateway: string; zone: string }): string {
  return `#!/usr/bin/env bash
# hushpoint gateway installer: store ${input.store}, gateway ${input.gateway}, zone ${input.zone}.
# Made by \`hushpoint provision add-gateway\`, for Raspberry Pi OS (Debian bookworm or later).
#
# Usage, on the Pi, from this bundle's folder:
#   sudo ./install.sh [RELEASE]
# RELEASE is the hushpoint release: a folder (a checkout after \`npm ci && npm run build\`, with
# dist/) or a .tar.gz of one. Default: $HUSHPOINT_RELEASE, else ./release beside this script.
#
# Safe to run again (each step checks first). It:
#   1. installs Node.js ${NODE_MAJOR} (Debian's package when it is ${NODE_MAJOR}.x, else NodeSource's) if missing or not v${NODE_MAJOR}
#   2. installs BlueZ and the build tools the native modules need
#   3. creates the system user "${PI_PATHS.user}"
#   4. copies the release to ${PI_PATHS.appDir}/releases/<version>, runs \`npm ci --omit=dev\` there and points ${PI_PATHS.currentDir} at it
#   5. installs gateway.yaml, ca.pem and credential to ${PI_PATHS.configDir} (root:${PI_PATHS.user}, 0640, folder 0750), and the public update key
#   6. installs ${PI_PATHS.service}.service, checks the config, enables and (re)starts the service
set -euo pipefail

APP_DIR=${PI_PATHS.appDir}
CONFIG_DIR=${PI_PATHS.configDir}
DATA_DIR=${PI_PATHS.dataDir}
SERVICE=${PI_PATHS.service}
SERVICE_USER=${PI_PATHS.user}
NODE_MAJOR=${NODE_MAJOR}

BUNDLE_DIR="$(cd "$(dirname "\${BASH_SOURCE[0]}")" && pwd)"
RELEASE="\${1:-\${HUSHPOINT_RELEASE:-$BUNDLE_DIR/release}}"
APT_UPDATED=no

log() { printf '[hushpoint install] %s\\n' "$*"; }
die() { printf '[hushpoint install] error: %s\\n' "$*" >&2; exit 1; }

apt_update_once() {
  if [[ $APT_UPDATED == no ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get update
    APT_UPDATED=yes
  fi
}

apt_install() {
  apt_update_once
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"
}

node_major() {
  if command -v node >/dev/null 2>&1; then
    node -p 'process.versions.node.split(".")[0]'
  else
    echo none
  fi
}

[[ $EUID -eq 0 ]] || die "run as root: sudo $0 \${1:-}"
for file in ${BUNDLE_FILES.config} ${BUNDLE_FILES.caCert} ${BUNDLE_FILES.credential} ${BUNDLE_FILES.unit}; do
  [[ -f "$BUNDLE_DIR/$file" ]] || die "$BUNDLE_DIR/$file is missing: run this script from a complete bundle made by \\\`hushpoint provision add-gateway\\\`"
done

# 1. Node.js
if [[ "$(node_major)" == "$NODE_MAJOR" ]]; then
  log "Node.js $(node --version) is installed"
else
  log "Node.js $NODE_MAJOR is needed (found: $(node_major))"
  apt_update_once
  candidate="$(apt-cache policy nodejs | awk '/Candidate:/ { print $2 }')"
  if [[ "$candidate" =~ ^([0-9]+:)?$NODE_MAJOR\\. ]]; then
    log "installing Debian's nodejs $candidate"
    apt_install nodejs npm
  else
    log "Debian offers nodejs \${candidate:-none}; adding the NodeSource repository for Node.js $NODE_MAJOR"
    apt_install ca-certificates curl gnupg
    setup="$(mktemp)"
    curl -fsSL "https://deb.nodesource.com/setup_$NODE_MAJOR.x" -o "$setup"
    bash "$setup"
    rm -f "$setup"
    APT_UPDATED=no
    apt_install nodejs
  fi
  [[ "$(node_major)" == "$NODE_MAJOR" ]] || die "Node.js $NODE_MAJOR could not be installed (found: $(node_major)); install it by hand, then run this script again"
fi

# 2. Bluetooth and build tools (noble and better-sqlite3 are native modules)
missing=()
for pkg in bluez libbluetooth-dev libudev-dev build-essential python3 rfkill; do
  dpkg-query -W -f='\${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if (( \${#missing[@]} > 0 )); then
  log "installing \${missing[*]}"
  apt_install "\${missing[@]}"
fi

# 3. The service user (no login, no home beyond its state folder)
if ! id -u "$SERVICE_USER" >/dev/null 2>&1; then
  log "creating system user $SERVICE_USER"
  useradd --system --user-group --home-dir "$DATA_DIR" --no-create-home --shell /usr/sbin/nologin "$SERVICE_USER"
fi
for group in bluetooth gpio; do
  if getent group "$group" >/dev/null; then usermod -a -G "$group" "$SERVICE_USER"; fi
done

# 4. The release, in $APP_DIR/releases/<version> (staged, then renamed) with $APP_DIR/current
#    pointing at it and the release before it kept as $APP_DIR/previous: the layout
#    \`hushpoint update apply\` keeps up for later offline updates (docs/updates.md)
source_dir="$RELEASE"
extract_dir=""
cleanup() { if [[ -n "$extract_dir" ]]; then rm -rf "$extract_dir"; fi; }
trap cleanup EXIT
if [[ -f "$RELEASE" ]]; then
  extract_dir="$(mktemp -d)"
  tar -xzf "$RELEASE" -C "$extract_dir"
  source_dir="$extract_dir"
  if [[ ! -f "$source_dir/package.json" && -f "$extract_dir/package/package.json" ]]; then source_dir="$extract_dir/package"; fi
fi
[[ -d "$source_dir" ]] || die "release \\"$RELEASE\\" not found: give a folder or .tar.gz of a hushpoint checkout built with \\\`npm ci && npm run build\\\`"
for file in package.json package-lock.json cli/hushpoint.mjs dist/cli/main.js; do
  [[ -f "$source_dir/$file" ]] || die "release \\"$RELEASE\\" has no $file: expected a hushpoint checkout built with \\\`npm ci && npm run build\\\`"
done
version="$(node -p 'require(process.argv[1]).version' "$source_dir/package.json")"
[[ "$version" =~ ^[0-9]+\\.[0-9]+\\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] || die "release \\"$RELEASE\\" has version \\"$version\\" in package.json, expected a semantic version like 0.2.0"
if [[ -d "$APP_DIR" && ! -L "$APP_DIR/current" && -f "$APP_DIR/package.json" ]]; then
  # An install from before the releases/ layout: set aside, removed once the new one is in place.
  log "moving the earlier install out of $APP_DIR"
  rm -rf "$APP_DIR.flat"
  mv "$APP_DIR" "$APP_DIR.flat"
fi
install -d -m 0755 -o root -g root "$APP_DIR" "$APP_DIR/releases"
log "installing release $version into $APP_DIR/releases/$version"
stage="$APP_DIR/releases/.stage-$$"
rm -rf "$stage"
mkdir -p "$stage"
tar -C "$source_dir" --exclude=./node_modules --exclude=./.git -cf - . | tar -C "$stage" -xf -
(cd "$stage" && npm ci --omit=dev --no-audit --no-fund)
chown -R root:root "$stage"
chmod -R go-w "$stage"
old_current="$(readlink "$APP_DIR/current" 2>/dev/null || true)"
if [[ -d "$APP_DIR/releases/$version" ]]; then mv "$APP_DIR/releases/$version" "$APP_DIR/releases/.replaced-$$"; fi
mv "$stage" "$APP_DIR/releases/$version"
rm -rf "$APP_DIR/releases/.replaced-$$" "$APP_DIR.flat"
# The links are switched by renaming a new link over the old one, as hushpoint update apply does.
if [[ -n "$old_current" && "$old_current" != "releases/$version" ]]; then
  ln -sfn "$old_current" "$APP_DIR/.previous.tmp"
  mv -Tf "$APP_DIR/.previous.tmp" "$APP_DIR/previous"
fi
ln -sfn "releases/$version" "$APP_DIR/.current.tmp"
mv -Tf "$APP_DIR/.current.tmp" "$APP_DIR/current"
printf '#!/bin/sh\\nexec /usr/bin/node %s/cli/hushpoint.mjs "$@"\\n' "$APP_DIR/current" > /usr/local/bin/hushpoint
chmod 0755 /usr/local/bin/hushpoint

# 5. Config and secrets (an edited copy on the Pi is kept as a .bak before it is replaced)
install -d -m 0750 -o root -g "$SERVICE_USER" "$CONFIG_DIR"
for file in ${BUNDLE_FILES.config} ${BUNDLE_FILES.caCert} ${BUNDLE_FILES.credential}; do
  target="$CONFIG_DIR/$file"
  if [[ -f "$target" ]] && ! cmp -s "$BUNDLE_DIR/$file" "$target"; then
    cp -p "$target" "$target.$(date +%Y%m%d%H%M%S).bak"
  fi
  install -m 0640 -o root -g "$SERVICE_USER" "$BUNDLE_DIR/$file" "$target"
done
if [[ -f "$BUNDLE_DIR/${BUNDLE_FILES.updateKey}" ]]; then
  install -m 0644 -o root -g root "$BUNDLE_DIR/${BUNDLE_FILES.updateKey}" "$CONFIG_DIR/${BUNDLE_FILES.updateKey}"
else
  log "this bundle has no ${BUNDLE_FILES.updateKey}: offline updates need it in $CONFIG_DIR (re-make the bundle with add-gateway --force)"
fi
install -d -m 0750 -o "$SERVICE_USER" -g "$SERVICE_USER" "$DATA_DIR"

# 6. The service
install -m 0644 -o root -g root "$BUNDLE_DIR/${BUNDLE_FILES.unit}" "/etc/systemd/system/$SERVICE.service"
systemctl daemon-reload
# Checked as the service user, so an unreadable credential or CA shows up here and not in a restart loop.
runuser -u "$SERVICE_USER" -- /usr/bin/node "$APP_DIR/current/cli/hushpoint.mjs" gateway --config "$CONFIG_DIR/${BUNDLE_FILES.config}" --check-config \\
  || die "the config or a file it names is not usable (see above); fix it in this bundle and run this script again"
rfkill unblock bluetooth 2>/dev/null || true
systemctl enable "$SERVICE.service"
systemctl restart "$SERVICE.service"
sleep 5
if systemctl is-active --quiet "$SERVICE.service"; then
  log "$SERVICE is running. Check it with: sudo hushpoint doctor --config $CONFIG_DIR/${BUNDLE_FILES.config}"
else
  journalctl -u "$SERVICE" -n 30 --no-pager || true
  die "$SERVICE did not stay up (log above); run: sudo hushpoint doctor --config $CONFIG_DIR/${BUNDLE_FILES.config}"
fi
`;
}
