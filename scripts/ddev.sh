#!/usr/bin/env bash
# Run Datadog's own `ddev` on this repository.
#
# ddev expects the integrations-core layout (<repo>/<integration>/datadog_checks/<integration>/), so we
# build that view with symlinks in a throw-away git repository and run ddev from there. Whatever ddev
# writes (conf.yaml.example, config_models) lands in the real files through the links.
#   scripts/ddev.sh sync       regenerate conf.yaml.example and config models from spec.yaml
#   scripts/ddev.sh validate   run ddev's validations, failing when a generated file is out of date
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
ddev=${DDEV:-$here/.venv-ddev/bin/ddev}
shim=$(mktemp -d)
trap 'rm -rf "$shim"' EXIT

mkdir -p "$shim/genesys_cloud/datadog_checks"
for entry in "$here"/* "$here"/.[!.]*; do
  name=$(basename "$entry")
  case "$name" in .git|.venv|.venv-ddev|datadog_checks) continue ;; esac
  ln -s "$entry" "$shim/genesys_cloud/$name"
done
ln -s "$here/genesys_cloud" "$shim/genesys_cloud/datadog_checks/genesys_cloud"
git -C "$shim" init -q
cd "$shim"
export DDEV_SKIP_GENERIC_TAGS_CHECK=0 NO_COLOR=1 FORCE_COLOR=0

case "${1:-validate}" in
  sync)
    "$ddev" -x validate config genesys_cloud -s
    "$ddev" -x validate models genesys_cloud -s
    ;;
  validate)
    "$ddev" -x validate config genesys_cloud
    "$ddev" -x validate models genesys_cloud
    "$ddev" -x validate metadata genesys_cloud
    "$ddev" -x validate dashboards genesys_cloud
    "$ddev" -x validate service-checks genesys_cloud
    ;;
  *) echo "usage: $0 sync|validate" >&2; exit 2 ;;
esac
