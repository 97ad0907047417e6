#!/usr/bin/env bash
# Installs what tools/train needs (PyTorch and numpy from Debian, OpenBLAS
# with threads so torch does not fall back to the reference BLAS, matplotlib
# for the loss plot). Only for retraining the embedded model; building and
# testing steer does not need these.
set -euo pipefail
packages=(python3-torch python3-numpy python3-matplotlib libopenblas0-pthread)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "steer setup-train: installing ${missing[*]}" >&2
sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
