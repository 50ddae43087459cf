package jenzyme.kernel;

import org.dflib.jjava.jupyter.kernel.KernelConnectionProperties;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The kernelspec's entry point: {@code java ... jenzyme.kernel.Launcher <connection file>}. Starts the kernel
 * (JShell, imports, magics), binds the Jupyter sockets described by the connection file and serves until shutdown.
 */
public final class Launcher {

    private Launcher() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: java -cp ... jenzyme.kernel.Launcher <connection file>");
            System.exit(2);
        }
        Path connectionFile = Path.of(args[0]);
        if (!Files.isRegularFile(connectionFile)) {
            System.err.println("JEnzyme: expected a Jupyter connection file, got " + connectionFile);
            System.exit(2);
        }
        KernelConnectionProperties properties = KernelConnectionProperties.parse(Files.readString(connectionFile));
        JEnzymeKernel kernel = JEnzymeKernel.start();
        kernel.onStartup();
        GuardedConnection connection = new GuardedConnection(properties);
        kernel.becomeHandlerForConnection(connection);
        kernel.watchShellQueue(connection::shellRequestWaiting);
        connection.connect();
        connection.waitUntilClose();
        // Threads abandoned after an interrupt, or started by user code, must not keep the JVM alive.
        System.exit(0);
    }
}
