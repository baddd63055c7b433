#!/usr/bin/env bash
# Fetch the Apache Kafka broker (scripts/kafka-dist/pom.xml: kafka_2.13 4.4.0 and a log4j2
# binding) from Maven Central into a cache that tide/stack/kafka_dist.py reads:
#
#   ${TIDE_KAFKA_HOME:-$HOME/.cache/tide/kafka-4.4.0}/libs/*.jar   the classpath
#   .../log4j2.yaml                                                the broker's logging
#   .../fetched.stamp                                              written last
#
# Idempotent: with the stamp present it does nothing. The jars are copied into a scratch
# folder and renamed into place, and the stamp is written only after that, so an interrupted
# fetch is never taken for a complete one.
#
# Never fails the build: without java 17+ or mvn, or when the fetch fails, it says why in
# one line and exits 0 — the Kafka tests then skip with that reason.
set -uo pipefail

version=4.4.0
case "${BASH_SOURCE[0]}" in
    */*) here="${BASH_SOURCE[0]%/*}" ;;
    *) here=. ;;
esac
here="$(cd "$here" && pwd)"  # builtins only: this must work with java and mvn off PATH
home="${TIDE_KAFKA_HOME:-$HOME/.cache/tide/kafka-$version}"
stamp="$home/fetched.stamp"

skip() {
    echo "fetch-kafka: $1; the Kafka tests will be skipped" >&2
    exit 0
}

if [ -f "$stamp" ] && [ -d "$home/libs" ]; then
    exit 0
fi
command -v java >/dev/null 2>&1 || skip "java not found"
java_major="$(java -version 2>&1 | sed -E -n 's/.* version "([0-9]+).*/\1/p' | head -n 1)"
[ "${java_major:-0}" -ge 17 ] 2>/dev/null || skip "java ${java_major:-?} found, Kafka $version needs 17+"
command -v mvn >/dev/null 2>&1 || skip "mvn not found"

mkdir -p "$home" || skip "cannot create $home"
scratch="$(mktemp -d "$home/libs.partial.XXXXXX")" || skip "cannot create a folder in $home"
trap 'rm -rf "$scratch"' EXIT
mvn_log="$home/fetch.log"
echo "fetch-kafka: fetching Apache Kafka $version from Maven Central into $home (about a minute)" >&2
if ! mvn -q -B -f "$here/kafka-dist/pom.xml" dependency:copy-dependencies \
        -DoutputDirectory="$scratch" >"$mvn_log" 2>&1; then
    skip "mvn could not fetch Kafka $version (see $mvn_log)"
fi
ls "$scratch"/kafka_2.13-"$version".jar >/dev/null 2>&1 || skip "kafka_2.13-$version.jar missing after the fetch (see $mvn_log)"

rm -rf "$home/libs" && mv "$scratch" "$home/libs" || skip "cannot move the jars into $home/libs"
cp "$here/kafka-dist/log4j2.yaml" "$home/log4j2.yaml" || skip "cannot write $home/log4j2.yaml"
echo "$version" >"$stamp" || skip "cannot write $stamp"
echo "fetch-kafka: Apache Kafka $version ready in $home" >&2
