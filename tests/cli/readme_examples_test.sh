#!/usr/bin/env bash
# Runs the shell block of README.md's "A five-minute tour" with the built
# binary, so the README's examples keep working. Usage: STEER BINARY, SOURCE DIR.
set -euo pipefail
steer_bin=$1
src=$2
cd "$src"
if [ ! -d ../shared ] && [ -z "${STEER_SHARED:-}" ]; then
  echo "SKIP: README examples use ../shared, which is absent"
  exit 0
fi
block=$(awk '/^## A five-minute tour/{t=1} t&&/^```sh/{c=1;next} c&&/^```/{exit} c{print}' README.md)
[ -n "$block" ] || { echo "no tour block found in README.md"; exit 1; }
block=${block//steer=.\/build\/bin\/steer/steer=$steer_bin}
# Run each command; `steer check` answers 0 for accept, which is what the example shows.
bash -euo pipefail -c "$block" > /dev/null
echo "README tour: all commands succeeded"
