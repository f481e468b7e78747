#!/bin/sh
# One-shot, once the Temporal server is up: waits until it serves, then creates the namespace the
# worker uses (the server image, unlike the old auto-setup image, creates none). Safe to re-run.
# The custom search attributes are registered by `warmctl apply`, not here.
set -eu

: "${TEMPORAL_ADDRESS:=temporal:7233}"
: "${NAMESPACE:=default}"
: "${NAMESPACE_RETENTION:=72h}"

tries=0
until temporal operator cluster health --address "$TEMPORAL_ADDRESS" | grep -q SERVING; do
  tries=$((tries + 1))
  if [ "$tries" -ge 60 ]; then
    echo "Temporal at $TEMPORAL_ADDRESS did not report SERVING within about 2 minutes" >&2
    exit 1
  fi
  sleep 2
done

if temporal operator namespace describe --address "$TEMPORAL_ADDRESS" --namespace "$NAMESPACE" >/dev/null 2>&1; then
  echo "namespace $NAMESPACE exists"
else
  temporal operator namespace create --address "$TEMPORAL_ADDRESS" --namespace "$NAMESPACE" --retention "$NAMESPACE_RETENTION"
  echo "namespace $NAMESPACE created (retention $NAMESPACE_RETENTION)"
fi
