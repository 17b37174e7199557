#!/usr/bin/env bash
# Check the alert rules: syntax (promtool check rules) and behaviour
# (promtool test rules: each alert fires on synthetic failing series and not
# on healthy ones). Needs promtool (Debian: apt-get install prometheus).
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v promtool >/dev/null 2>&1; then
  echo "check.sh: promtool not found (Debian/Ubuntu: apt-get install prometheus)" >&2
  exit 2
fi

promtool check rules alerts.yaml
promtool test rules alerts.test.yaml
