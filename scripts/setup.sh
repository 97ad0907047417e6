#!/usr/bin/env bash
# Installs the Debian packages steer needs to build and test, skipping those
# already present. Safe to run again. Needs root (or sudo) only when
# something is missing.
set -euo pipefail

packages=(
  cmake ninja-build g++ clang libclang-rt-dev   # toolchain; clang for libFuzzer targets
  libgtest-dev libgmock-dev libbenchmark-dev    # tests and benchmarks
  nlohmann-json3-dev libcli11-dev               # JSON, command line
  libseccomp-dev                                # the sandbox
  zlib1g-dev                                    # gzip task files (HumanEval.jsonl.gz)
  python3                                       # sandboxed test runs (/usr/bin/python3); syntax checks
)

missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "steer setup: installing missing packages: ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
