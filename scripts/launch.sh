# Shared by the scripts: builds the application jar when sources changed, then runs a command of
# it on a JVM with the flags Spark needs on Java 17. Sourced, not run.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JAR="$ROOT/target/sparkprop.jar"
CLASSPATH_FILE="$ROOT/target/classpath.txt"

# The flags Spark's own launcher adds on Java 17 (JavaModuleOptions).
JAVA_FLAGS=(-XX:+IgnoreUnrecognizedVMOptions
  --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.cs=ALL-UNNAMED
  --add-opens=java.base/sun.security.action=ALL-UNNAMED --add-opens=java.base/sun.util.calendar=ALL-UNNAMED
  -Djdk.reflect.useDirectMethodHandle=false -Dio.netty.tryReflectionSetAccessible=true -Djava.awt.headless=true)

# Without a native BLAS (libblas.so.3, e.g. from libopenblas0-pthread) netlib falls back to Java;
# the Vector API module makes that fallback 3-4x faster. With native BLAS it is not needed, and
# leaving it out spares every run the JVM's "Using incubator modules" notice.
if ! ldconfig -p 2>/dev/null | grep -q 'libblas.so.3'; then JAVA_FLAGS+=(--add-modules=jdk.incubator.vector); fi

# One BLAS thread per task: two task slots each running a multi-threaded OpenBLAS oversubscribe
# the cores (2.5-3.5x slower, see PERF-NOTES).
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
