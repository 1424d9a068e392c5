#!/usr/bin/env bash
# Makes `prometheus` and `promtool` available for the ops checks (Debian package `prometheus`).
# apt-get update runs only when the first install fails: the package lists of a fresh machine are
# often there already, and an update costs a minute.
set -euo pipefail

if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure_prometheus: prometheus is missing and apt-get is not available" >&2
  exit 1
fi
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo -n); fi
install() {
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends \
    prometheus >/dev/null
}
if ! install; then
  echo "ensure_prometheus: install failed; running apt-get update and retrying" >&2
  "${sudo_cmd[@]}" apt-get update -q >/dev/null
  install
fi
command -v prometheus >/dev/null && command -v promtool >/dev/null
# The package may start a daemon where an init system runs; the tests start their own instance.
