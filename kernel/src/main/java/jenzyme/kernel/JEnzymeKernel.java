package jenzyme.kernel;

import jenzyme.kernel.cell.CellParser;
import jenzyme.kernel.cell.CellPart;
import jenzyme.kernel.exec.CodeAssistant;
import jenzyme.kernel.exec.EvaluationException;
import jenzyme.kernel.exec.JavaEvaluator;
import jenzyme.kernel.exec.SnippetValue;
import jenzyme.kernel.help.NotebookHelp;
import jenzyme.magics.DisplayRegistration;
import jenzyme.magics.registration.MagicRegistration;
import jenzyme.magics.NotebookSession;
import jenzyme.runtime.error.Messages;
import org.dflib.jjava.jupyter.channels.ShellReplyEnvironment;
import org.dflib.jjava.jupyter.kernel.BaseKernel;
import org.dflib.jjava.jupyter.kernel.HelpLink;
import org.dflib.jjava.jupyter.kernel.LanguageInfo;
import org.dflib.jjava.jupyter.kernel.ReplacementOptions;
import org.dflib.jjava.jupyter.kernel.comm.CommManager;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.dflib.jjava.jupyter.kernel.display.Renderer;
import org.dflib.jjava.jupyter.kernel.display.mime.MIMEType;
import org.dflib.jjava.jupyter.kernel.magic.MagicsRegistry;
import org.dflib.jjava.jupyter.kernel.util.StringStyler;
import org.dflib.jjava.jupyter.kernel.history.HistoryEntry;
import org.dflib.jjava.jupyter.kernel.history.HistoryManager;
import org.dflib.jjava.jupyter.messages.Header;
import org.dflib.jjava.jupyter.messages.Message;
import org.dflib.jjava.jupyter.messages.publish.PublishClearOutput;
import org.dflib.jjava.jupyter.messages.publish.PublishError;
import org.dflib.jjava.jupyter.messages.publish.PublishExecuteInput;
import org.dflib.jjava.jupyter.messages.publish.PublishExecuteResult;
import org.dflib.jjava.jupyter.messages.reply.CompleteReply;
import org.dflib.jjava.jupyter.messages.reply.ErrorReply;
import org.dflib.jjava.jupyter.messages.reply.ExecuteReply;
import org.dflib.jjava.jupyter.messages.request.CompleteRequest;
import org.dflib.jjava.jupyter.messages.request.ExecuteRequest;
import org.dflib.jjava.jupyter.messages.request.HistoryRequest;
import org.dflib.jjava.jupyter.messages.request.KernelInfoRequest;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Jupyter kernel: jjava's {@link BaseKernel} (protocol, channels, rendering) with JShell as the language. It
 * owns the {@link JavaEvaluator}, runs cells through the {@link CellExecutor}, and hands the magics a
 * {@link NotebookSession}. Started by {@link Launcher}.
 */
public final class JEnzymeKernel extends BaseKernel {

    static final String NAME = "JEnzyme";
    static final String VERSION = "0.1.0";
    private static final List<HelpLink> HELP_LINKS = List.of(
            new HelpLink("JShell", "https://docs.oracle.com/en/java/javase/25/jshell/"),
            new HelpLink("Java SE 25 API", "https://docs.oracle.com/en/java/javase/25/docs/api/"),
            new HelpLink("Enzyme", "https://enzyme.mit.edu/"));
    private static final Pattern MAGIC_NAME_AT_CURSOR = Pattern.compile("^\\s*(%{1,2})([\\w-]*)$");

    private final JavaEvaluator evaluator;
    private final KernelIO kernelIO;
    private final SessionHistory sessionHistory;
    private final Displays displays;
    private final SessionListeners interruptListeners = new SessionListeners("interrupt");
    private final SessionListeners magicEndListeners = new SessionListeners("magic end");
    private final CellExecutor cells;
    private final NotebookHelp help;
    private final ErrorRenderer errors;
    private final KernelSession session;
    private volatile ShellReplyEnvironment executing;
    private QueuedCompletions queuedCompletions = new QueuedCompletions(() -> false);

    private JEnzymeKernel(JavaEvaluator evaluator, KernelIO io, SessionHistory history, Renderer renderer,
                          MagicsRegistry magics) {
        super(NAME, VERSION, languageInfo(), HELP_LINKS,
                history, io, new CommManager(), renderer, null, magics, false, new StringStyler.Builder().build());
        this.evaluator = evaluator;
        this.kernelIO = io;
        this.sessionHistory = history;
        this.displays = new Displays(renderer);
        this.help = new NotebookHelp(new HelpSources(evaluator, magics, this, JEnzymeKernel::javaOnly),
                JEnzymeKernel.class.getClassLoader());
        this.cells = new CellExecutor(evaluator, magics, this, displays, data -> {
            flushStreams();
            display(data);
        }, help, magicEndListeners::fire);
        this.errors = new ErrorRenderer(evaluator.origins());
        this.session = new KernelSession(evaluator, this::display, interruptListeners, magicEndListeners);
    }

    /** Starts JShell with the notebook's imports and registers every magic. */
    public static JEnzymeKernel start() throws EvaluationException {
        JavaEvaluator evaluator = JavaEvaluator.start(JEnzymeKernel.class.getClassLoader());
        MagicsRegistry magics = new MagicsRegistry();
        Renderer renderer = new Renderer();
        DisplayRegistration.registerAll(renderer);
        JEnzymeKernel kernel = new JEnzymeKernel(evaluator, new KernelIO(), new SessionHistory(), renderer, magics);
        evaluator.eval(String.join("\n", NotebookStartup.IMPORTS));
        MagicRegistration.registerAll(magics, kernel.session);
        return kernel;
    }

    /** The kernel serving this notebook, for the notebook API called from cells. */
    public static JEnzymeKernel running() {
        if (!(BaseKernel.notebookKernel instanceof JEnzymeKernel kernel)) {
            throw new IllegalStateException(Messages.NO_KERNEL.format());
        }
        return kernel;
    }

    private static LanguageInfo languageInfo() {
        return new LanguageInfo.Builder("java")
                .version(String.valueOf(Runtime.version().feature()))
                .mimetype("text/x-java-source")
                .fileExtension(".jshell")
                .pygments("java")
                .codemirror("text/x-java")
                .build();
    }

    @Override
    public String getBanner() {
        return "Java " + Runtime.version() + " :: JEnzyme " + VERSION + " (JShell cells, jjava-jupyter protocol)";
    }

    public NotebookSession session() {
        return session;
    }

    public void display(Object value) {
        display(displays.of(value));
    }

    public void clearOutput(boolean wait) {
        ShellReplyEnvironment env = executing;
        if (env != null) {
            env.publish(wait ? PublishClearOutput.BEFORE_NEXT_OUTPUT : PublishClearOutput.NOW);
        }
    }

    @Override
    protected synchronized void handleExecuteRequest(ShellReplyEnvironment env, Message<ExecuteRequest> message) {
        commManager.setMessageContext(message);
        queuedCompletions.cellStarted();
        ExecuteRequest request = message.getContent();
        boolean storeHistory = request.shouldStoreHistory() && !request.isSilent();
        int count = storeHistory ? executionCount.getAndIncrement() : executionCount.get();
        env.setBusyDeferIdle();
        if (!request.isSilent()) {
            env.publish(new PublishExecuteInput(request.getCode(), count));
        }
        replaceOutputStreams(env);
        kernelIO.attach(env, request.isStdinEnabled());
        env.defer(() -> kernelIO.detach(env));
        executing = env;
        try {
            CellExecutor.CellResult result = cells.run(request.getCode(), "[" + count + "]");
            flushStreams();
            String text = "";
            if (result.value().isPresent() && !request.isSilent()) {
                DisplayData value = result.value().get();
                env.publish(new PublishExecuteResult(count, value));
                text = String.valueOf(Optional.ofNullable(value.getData(MIMEType.TEXT_PLAIN)).orElse(""));
            }
            if (storeHistory) {
                sessionHistory.record(count, request.getCode(), text);
            }
            env.defer().reply(result.page().isPresent()
                    ? new PagedExecuteReply(count, result.page().get())
                    : new ExecuteReply(count, Map.of()));
        } catch (Throwable failure) {
            // Whatever a cell did (even exhausting stack or heap), the client gets its error reply and the kernel
            // goes on: an escaping Error would end jjava's shell loop without a reply.
            flushStreams();
            if (storeHistory) {
                sessionHistory.record(count, request.getCode(), "");
            }
            ErrorReport report = errors.render(failure);
            env.publish(new PublishError(report.name(), report.value(), report.traceback()));
            ErrorReply reply = new ErrorReply(report.name(), report.value(), report.traceback());
            reply.setExecutionCount(count);
            env.defer().replyError(ExecuteReply.MESSAGE_TYPE.error(), reply);
        } finally {
            executing = null;
            queuedCompletions.cellEnded();
        }
    }

    /** Tells the kernel whether another request waits in the shell socket (see {@link QueuedCompletions}). */
    void watchShellQueue(java.util.function.BooleanSupplier requestWaiting) {
        queuedCompletions = new QueuedCompletions(requestWaiting);
    }

    /** A stale completion that waited behind a cell gets no matches instead of a JShell analysis. */
    @Override
    protected void handleCompleteRequest(ShellReplyEnvironment env, Message<CompleteRequest> message) {
        if (!queuedCompletions.skip()) {
            super.handleCompleteRequest(env, message);
            return;
        }
        env.setBusyDeferIdle();
        int at = message.getContent().getCursorPos();
        env.reply(new CompleteReply(List.of(), at, at, Map.of()));
    }

    @Override
    protected void handleKernelInfoRequest(ShellReplyEnvironment env, Message<KernelInfoRequest> message) {
        env.setBusyDeferIdle();
        env.reply(new OkReplies.KernelInfo(Header.PROTOCOL_VERISON, name, version, getLanguageInfo(), getBanner(),
                getHelpLinks()));
    }

    @Override
    protected void handleHistoryRequest(ShellReplyEnvironment env, Message<HistoryRequest> message) {
        HistoryRequest request = message.getContent();
        env.setBusyDeferIdle();
        Set<HistoryManager.ResultFlag> flags = EnumSet.noneOf(HistoryManager.ResultFlag.class);
        if (request.includeOutput()) {
            flags.add(HistoryManager.ResultFlag.INCLUDE_OUTPUT);
        }
        List<HistoryEntry> entries = switch (request) {
            case HistoryRequest.Tail tail -> sessionHistory.lookupTail(tail.getMaxReturnLength(), flags);
            case HistoryRequest.Range range ->
                    sessionHistory.lookupRange(range.getSessionIndex(), range.getStart(), range.getStop(), flags);
            case HistoryRequest.Search search -> {
                if (search.filterUnique()) {
                    flags.add(HistoryManager.ResultFlag.UNIQUE);
                }
                yield sessionHistory.search(search.getPattern(), search.getMaxReturnLength(), flags);
            }
            default -> List.of();
        };
        env.reply(new OkReplies.History(entries));
    }

    /** Runs a cell (Java and magics) on the calling thread; the execute handler adds the Jupyter messages. */
    CellExecutor.CellResult runCell(String code) throws EvaluationException, MagicFailure {
        return cells.run(code, "");
    }

    /** How {@code failure} reads in the notebook. */
    ErrorReport report(Throwable failure) {
        return errors.render(failure);
    }

    private void flushStreams() {
        kernelIO.out.flush();
        kernelIO.err.flush();
    }

    /** Evaluates Java source (no magics) and returns its value object: jjava's programmatic entry point. */
    @Override
    public Object evalRaw(String source) {
        try {
            return evaluator.eval(source).value().map(SnippetValue::value).orElse(null);
        } catch (EvaluationException e) {
            throw new IllegalArgumentException(errors.render(e).traceback().getFirst(), e);
        }
    }

    @Override
    public DisplayData inspect(String code, int at, boolean extraDetail) {
        // Shift+Tab asks without extra detail; a bare signature is what the issue was about, so both get the docs.
        return help.at(code, at).map(found -> {
            DisplayData data = new DisplayData(found.plainText());
            data.putMarkdown(found.markdown());
            return data;
        }).orElse(null);
    }

    @Override
    public ReplacementOptions complete(String code, int at) {
        int lineStart = code.lastIndexOf('\n', Math.max(0, at - 1)) + 1;
        Matcher magic = MAGIC_NAME_AT_CURSOR.matcher(code.substring(lineStart, at));
        if (magic.matches()) {
            String percent = magic.group(1);
            Set<String> names = percent.length() == 2 ? magicsRegistry.getCellMagicNames() : magicsRegistry.getLineMagicNames();
            List<String> matches = names.stream().filter(n -> n.startsWith(magic.group(2))).sorted().map(n -> percent + n).toList();
            return new ReplacementOptions(matches, lineStart + magic.start(1), at);
        }
        CodeAssistant.Completions completions = evaluator.assistant().complete(javaOnly(code), at);
        return new ReplacementOptions(completions.matches(), completions.start(), completions.end());
    }

    @Override
    public String isComplete(String code) {
        CodeAssistant.Completeness completeness = evaluator.assistant().completeness(javaOnly(code));
        return switch (completeness.status()) {
            case COMPLETE -> IS_COMPLETE_YES;
            case INVALID -> IS_COMPLETE_BAD;
            case INCOMPLETE -> completeness.indent();
        };
    }

    /** The cell with magic lines blanked out (same offsets), for JShell's source analysis; a cell magic's body is not Java. */
    static String javaOnly(String code) {
        if (CellParser.parse(code).stream().anyMatch(p -> p instanceof CellPart.CellMagicCall)) {
            return "";
        }
        StringBuilder blanked = new StringBuilder(code.length());
        for (String line : code.split("\n", -1)) {
            blanked.append(CellParser.isLineMagic(line) ? " ".repeat(line.length()) : line).append('\n');
        }
        return blanked.substring(0, code.length());
    }

    @Override
    public void interrupt() {
        evaluator.interrupt();
        interruptListeners.fire();
    }

    @Override
    public void onShutdown(boolean isRestarting) {
        super.onShutdown(isRestarting);
        evaluator.close();
    }

    @Override
    public List<String> formatError(Throwable e) {
        return errors.render(e).traceback();
    }
}
