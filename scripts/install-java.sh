#!/usr/bin/env bash
# Install a Java runtime for Spark (17 or later) from Debian's packages, unless one is there.
# IHUB_SKIP_SPARK=1 (opting out of the Spark tests) skips this step.
set -euo pipefail
if [ "${IHUB_SKIP_SPARK:-}" = "1" ]; then
  echo "install-java: IHUB_SKIP_SPARK=1, not installing Java (the Spark tests will be skipped)"
  exit 0
fi
java_major() {
  # the runtime's own answer, e.g. "17" (or "1.8" for Java 8)
  "$1" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}'
}
for candidate in "${JAVA_HOME:+$JAVA_HOME/bin/java}" "$(command -v java || true)"; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then
    major="$(java_major "$candidate")"
    if [ "${major%%.*}" -ge 17 ] 2>/dev/null; then
      exit 0
    fi
    echo "install-java: $candidate is Java $major; Spark needs 17 or later" >&2
  fi
done
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-java: need root (or sudo) to apt-get install a Java runtime" >&2; exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless >/dev/null
java -version
