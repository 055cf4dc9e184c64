# Starting Apache Cassandra from Maven Central's jars, shared by the dev node (cassandra.sh) and
# the local cluster (cluster.sh). Source it after lib.sh.

HEAP=${CASSANDRA_HEAP:-1G}
DEFAULT_CASSANDRA_VERSION=$(sed -n 's:.*<cassandra.version>\(.*\)</cassandra.version>.*:\1:p' "$REPO_ROOT/cassandra/pom.xml")
# CASSANDRA_VERSION=6.0-alpha2 runs a Cassandra 6 node instead (with Accord transactions on).
CASSANDRA_VERSION=${CASSANDRA_VERSION:-$DEFAULT_CASSANDRA_VERSION}
# The resolved classpath, cached beside Maven's own cache so every clone and node shares it.
CLASSPATH_FILE="$TOOLS_CACHE/cassandra-classpath-$CASSANDRA_VERSION"

java17() {
    local candidate
    for candidate in ${JAVA_HOME:+"$JAVA_HOME/bin/java"} /usr/lib/jvm/java-17-openjdk-*/bin/java "$(command -v java || true)"; do
        [ -x "$candidate" ] && "$candidate" -version 2>&1 | grep -q 'version "17' && { echo "$candidate"; return; }
    done
    die "Cassandra needs Java 17 (run scripts/toolchain.sh, or set JAVA_HOME to a JDK 17)"
}

fetch_jars() {
    [ -s "$CLASSPATH_FILE" ] && return
    say "fetching Apache Cassandra $CASSANDRA_VERSION from Maven Central (once per machine)"
    mkdir -p "$TOOLS_CACHE"
    local log="$TOOLS_CACHE/maven-$CASSANDRA_VERSION.log"
    # Maven prints a line per file; show a count now and then instead of hundreds of lines.
    if ! mvn -B -Dstyle.color=never -f "$REPO_ROOT/cassandra/pom.xml" -Dcassandra.version="$CASSANDRA_VERSION" \
        org.apache.maven.plugins:maven-dependency-plugin:3.6.1:build-classpath \
        -Dmdep.includeScope=runtime -Dmdep.outputFile="$CLASSPATH_FILE.tmp" 2>&1 \
        | tee "$log" | awk '/^Downloaded from/ { n++; if (n % 25 == 0) { printf "    %d files downloaded\n", n; fflush() } }
                        END { printf "    %d files downloaded\n", n }' >&2 \
        || ! [ -s "$CLASSPATH_FILE.tmp" ]; then
        grep -E 'ERROR' "$log" | head -n 5 >&2
        die "Maven could not resolve Cassandra; see $log"
    fi
    mv "$CLASSPATH_FILE.tmp" "$CLASSPATH_FILE"
}

# What Cassandra's own conf/jvm17-server.options open up for it on Java 17, for the daemon and nodetool.
JAVA_MODULE_OPENS=(
    --add-exports java.base/jdk.internal.misc=ALL-UNNAMED
    --add-exports java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED
    --add-exports java.rmi/sun.rmi.registry=ALL-UNNAMED
    --add-exports java.rmi/sun.rmi.server=ALL-UNNAMED
    --add-exports java.sql/java.sql=ALL-UNNAMED
    --add-exports java.base/java.lang.ref=ALL-UNNAMED
    --add-exports jdk.unsupported/sun.misc=ALL-UNNAMED
    --add-exports jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED
    --add-exports jdk.attach/sun.tools.attach=ALL-UNNAMED
    --add-opens java.base/java.lang.module=ALL-UNNAMED
    --add-opens java.base/jdk.internal.loader=ALL-UNNAMED
    --add-opens java.base/jdk.internal.ref=ALL-UNNAMED
    --add-opens java.base/jdk.internal.reflect=ALL-UNNAMED
    --add-opens java.base/jdk.internal.math=ALL-UNNAMED
    --add-opens java.base/jdk.internal.module=ALL-UNNAMED
    --add-opens java.base/jdk.internal.util.jar=ALL-UNNAMED
    --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED
    --add-opens java.base/sun.nio.ch=ALL-UNNAMED
    --add-opens java.base/java.io=ALL-UNNAMED
    --add-opens java.base/java.lang.reflect=ALL-UNNAMED
    --add-opens jdk.compiler/com.sun.tools.javac=ALL-UNNAMED
    --add-opens java.base/java.lang=ALL-UNNAMED
    --add-opens java.base/java.util=ALL-UNNAMED
    --add-opens java.base/java.nio=ALL-UNNAMED
)

# launch_cassandra STATE_DIR YAML JMX_PORT LOG_FILE [JVM FLAGS...]: starts CassandraDaemon in the
# background with data under STATE_DIR/data; prints nothing; the caller records $!.
launch_cassandra() {
    local state=$1 yaml=$2 jmx_port=$3 log=$4; shift 4
    local java cp jamm
    java=$(java17)
    cp="$(cat "$CLASSPATH_FILE")"
    jamm=$(tr ':' '\n' <"$CLASSPATH_FILE" | grep '/jamm-[^/]*\.jar$' | head -n1)
    # Flags from Cassandra's own conf/jvm17-server.options; see ../shared/reference if you change them.
    setsid nohup "$java" -Xms"$HEAP" -Xmx"$HEAP" -Xss256k \
        -XX:+UseG1GC -XX:+ParallelRefProcEnabled -XX:MaxTenuringThreshold=1 \
        -XX:+HeapDumpOnOutOfMemoryError -XX:HeapDumpPath="$state/logs" -XX:+ExitOnOutOfMemoryError \
        -XX:+PerfDisableSharedMem -XX:CICompilerCount=2 \
        -ea -da:net.openhft... -Djava.net.preferIPv4Stack=true -Djdk.attach.allowAttachSelf=true \
        "${JAVA_MODULE_OPENS[@]}" \
        -Dio.netty.tryReflectionSetAccessible=true -Dio.netty.allocator.useCacheForAllThreads=true \
        -Dio.netty.allocator.maxOrder=11 \
        ${jamm:+-javaagent:"$jamm"} \
        -Dcassandra-foreground=yes \
        -Dcassandra.config="file://$yaml" "$@" \
        -Dlogback.configurationFile="file://$REPO_ROOT/cassandra/logback.xml" \
        -Dcassandra.storagedir="$state/data" -Dcassandra.logdir="$state/logs" \
        -Dcassandra.jmx.local.port="$jmx_port" -Dcom.sun.management.jmxremote.authenticate=false \
        -Dcassandra.skip_wait_for_gossip_to_settle=0 \
        -cp "$cp" org.apache.cassandra.service.CassandraDaemon \
        >>"$log" 2>&1 </dev/null &
}

# run_nodetool JMX_PORT ARGS...: nodetool from the same jars, against the node with that JMX port.
run_nodetool() {
    local port=$1; shift
    "$(java17)" "${JAVA_MODULE_OPENS[@]}" -Dcassandra.logdir="$TOOLS_CACHE" \
        -Dlogback.configurationFile="file://$REPO_ROOT/cassandra/logback-tools.xml" \
        -cp "$(cat "$CLASSPATH_FILE")" org.apache.cassandra.tools.NodeTool -h 127.0.0.1 -p "$port" "$@"
}

# refresh_size_estimates JMX_PORT: the node estimates every table's size now. The estimator walks
# every keyspace, and fails with "Unknown keyspace" when one is dropped under it (tests drop theirs
# while others run), so it is asked again a few times.
refresh_size_estimates() {
    local attempt
    for attempt in 1 2 3 4 5; do
        run_nodetool "$1" refreshsizeestimates && return 0
        echo "==> size estimates were interrupted (attempt $attempt of 5); asking again" >&2
        sleep 2
    done
    return 1
}
