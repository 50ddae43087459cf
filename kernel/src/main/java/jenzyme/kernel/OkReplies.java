package jenzyme.kernel;

import org.dflib.jjava.jupyter.kernel.HelpLink;
import org.dflib.jjava.jupyter.kernel.LanguageInfo;
import org.dflib.jjava.jupyter.kernel.history.HistoryEntry;
import org.dflib.jjava.jupyter.messages.ContentType;
import org.dflib.jjava.jupyter.messages.MessageType;
import org.dflib.jjava.jupyter.messages.reply.KernelInfoReply;

import java.util.List;

/**
 * Replies that the messaging spec requires to carry {@code "status": "ok"}, which jjava-jupyter 1.0-a6 leaves out
 * of kernel_info_reply and history_reply, and serializes history entries as objects (strict clients such as jupyter_kernel_test reject them without it).
 */
final class OkReplies {

    private OkReplies() {
    }

    static final class KernelInfo extends KernelInfoReply {
        @SuppressWarnings("unused") // serialized by Gson
        private final String status = "ok";

        KernelInfo(String protocolVersion, String implementation, String implementationVersion, LanguageInfo language,
                   String banner, List<HelpLink> helpLinks) {
            super(protocolVersion, implementation, implementationVersion, language, banner, helpLinks);
        }
    }

    /**
     * history_reply with its entries as the spec's tuples ({@code [session, line, input]} or
     * {@code [session, line, [input, output]]}); jjava's HistoryReply would serialize them as objects.
     */
    static final class History implements ContentType<History> {
        @SuppressWarnings("unused") // serialized by Gson
        private final String status = "ok";
        private final List<List<Object>> history;

        History(List<HistoryEntry> entries) {
            this.history = entries.stream()
                    .map(e -> List.<Object>of(e.getSession(), e.getCellNumber(),
                            e.hasOutput() ? List.of(e.getInput(), e.getOutput()) : e.getInput()))
                    .toList();
        }

        @Override
        @SuppressWarnings({"unchecked", "rawtypes"}) // jjava types history_reply by its own reply class
        public MessageType<History> getType() {
            return (MessageType) MessageType.HISTORY_REPLY;
        }
    }
}
