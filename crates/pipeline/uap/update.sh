#!/usr/bin/env bash
# Regenerates regexes.json from uap-core's regexes.yaml (the maintained rule
# set of the ua-parser project). Usage: update.sh path/to/uap-core/regexes.yaml
# JSON rather than YAML so that the binary needs no YAML parser.
set -euo pipefail
python3 -c 'import json,sys,yaml; json.dump(yaml.safe_load(open(sys.argv[1])), open(sys.argv[2],"w"), separators=(",",":"))' \
  "$1" "$(dirname "$0")/regexes.json"
