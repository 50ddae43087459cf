package jenzyme.kernel;

import jenzyme.kernel.help.NotebookHelp;
import org.dflib.jjava.jupyter.messages.reply.ExecuteReply;

import java.util.List;
import java.util.Map;

/** An execute_reply that carries text for the front end's pager (the "page" payload), e.g. for {@code Math.abs?}. */
final class PagedExecuteReply extends ExecuteReply {

    @SuppressWarnings("unused") // serialized by Gson as the reply's "payload"
    private final List<Map<String, Object>> payload;

    PagedExecuteReply(int executionCount, NotebookHelp.Help help) {
        super(executionCount, Map.of());
        this.payload = List.of(Map.of("source", "page", "start", 0,
                "data", Map.of("text/plain", help.plainText(), "text/markdown", help.markdown())));
    }
}
