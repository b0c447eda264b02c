# Shared by the scripts: builds the application jar when sources changed, then runs a command of
# it on a JVM with the flags Spark needs on Java 17. Sourced, not run.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JAR="$ROOT/target/sparkprop.jar"
CLASSPATH_FILE="$ROOT/target/classpath.txt"

# The flags Spark's own launcher adds on Java 17 (JavaModuleOptions), listed once in jvm.properties.
read -r -a JAVA_FLAGS <<< "$(sed -n 's/^spark.java.opens=//p' "$ROOT/scripts/jvm.properties")"
JAVA_FLAGS+=(-Djava.awt.headless=true)

# The application jar carries native OpenBLAS for Linux x86-64 (core/BundledOpenBlas). Elsewhere,
# without a system libblas.so.3, netlib falls back to Java, and the Vector API module makes that
# 3-4x faster; where native BLAS loads it is not needed, and leaving it out spares every run the
# JVM's "Using incubator modules" notice.
if [ "$(uname -sm)" != "Linux x86_64" ] && ! ldconfig -p 2>/dev/null | grep -q 'libblas.so.3'; then
  JAVA_FLAGS+=(--add-modules=jdk.incubator.vector)
fi

# One OpenBLAS kernel family (AVX2's) for this JVM, read by OpenBLAS when it loads, so that a seed
# gives the same bits on any x86-64 CPU; executors get the same from spark.executorEnv (SparkContexts).
# SPARKPROP_BLAS_KERNEL=per-node lets each CPU use its fastest kernel instead.
if [ "${SPARKPROP_BLAS_KERNEL:-}" != per-node ]; then export OPENBLAS_CORETYPE="${OPENBLAS_CORETYPE:-Haswell}"; fi

# One BLAS thread per task: two task slots each running a multi-threaded OpenBLAS oversubscribe
# the cores (2.5-3.5x slower, docs/PERF-NOTES.md). This covers the scripts' own JVMs (the driver,
# local-mode executors, a loopback cluster's daemons); executors elsewhere get it from
# spark.executorEnv, set by the application itself (SparkContexts).
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"

build_if_needed() {
  local stale=0
  [ -f "$JAR" ] && [ -f "$CLASSPATH_FILE" ] || stale=1
  if [ "$stale" = 0 ] && [ -n "$(find "$ROOT/src/main" "$ROOT/conf" "$ROOT/pom.xml" -newer "$JAR" -print -quit)" ]; then stale=1; fi
  if [ "$stale" = 1 ]; then
    echo "building sparkprop (mvn package)..." >&2
    # package also writes target/classpath.txt and target/spark-home/jars (see pom.xml).
    (cd "$ROOT" && mvn -q -B -DskipTests package >&2) || { echo "error: the build failed (see the Maven output above)" >&2; exit 1; }
  fi
}

# run_main COMMAND [ARGS...]: the application with Spark and Hadoop on the classpath (local mode).
run_main() {
  build_if_needed
  exec java "${JAVA_FLAGS[@]}" ${SPARKPROP_JAVA_OPTS:-} -Dsparkprop.log.dir="${SPARKPROP_LOG_DIR:-logs}" \
    -cp "$JAR:$(cat "$CLASSPATH_FILE")" sparkprop.cli.Main "$@"
}

# log_options DIR: sets LOG_OPTS, the JVM flags with which our log4j2 configuration sends Spark's
# logging to DIR/sparkprop.log; an array, since the checkout's path may hold spaces.
log_options() {
  LOG_OPTS=("-Dlog4j2.configurationFile=$ROOT/conf/log4j2.properties" "-Dsparkprop.log.dir=$1")
}

# ensure_mnist: fetches MNIST into data/mnist unless its four files are there.
ensure_mnist() {
  local f
  for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
    [ -f "$ROOT/data/mnist/$f" ] || { "$ROOT/scripts/fetch-mnist"; return; }
  done
}
