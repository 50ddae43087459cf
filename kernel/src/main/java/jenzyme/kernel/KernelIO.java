package jenzyme.kernel;

import org.dflib.jjava.jupyter.channels.ShellReplyEnvironment;
import org.dflib.jjava.jupyter.kernel.JupyterIO;

import java.nio.charset.StandardCharsets;

/**
 * The notebook's stdout, stderr, stdin and display streams, bound to the request being executed. jjava keeps the
 * binding methods protected to its own package; this subclass opens them to our execute handler.
 */
final class KernelIO extends JupyterIO {

    KernelIO() {
        super(StandardCharsets.UTF_8);
    }

    void attach(ShellReplyEnvironment env, boolean stdinAllowed) {
        setEnv(env);
        setJupyterInEnabled(stdinAllowed);
    }

    void detach(ShellReplyEnvironment env) {
        out.flush();
        err.flush();
        retractEnv(env);
    }
}
