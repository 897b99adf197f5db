#!/usr/bin/env bash
# Install everything the tests need, then lint and run the whole suite.
# Debian's chromium, chromium-driver, fonts-noto-cjk, poppler-utils (pdftotext, for the
# report tests) and default-jre-headless (Java 17, for pyspark in the Spark tests) are
# installed when missing (as root, or through sudo); Python packages come from PyPI (the
# spark extra: pyspark, sqlglot). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing+=(fonts-noto-cjk)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing ${missing[*]} from Debian"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

python3 -m pip install -q --disable-pip-version-check -e ".[test,spark]"
python3 -m ruff check .
python3 -m pytest "$@"
