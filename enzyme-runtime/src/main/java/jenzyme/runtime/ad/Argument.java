package jenzyme.runtime.ad;

import java.util.Objects;
import jenzyme.runtime.error.Messages;

/**
 * One parameter of the function to differentiate: its type and its activity. A {@code scratch} argument is a Const
 * array (the user wants no derivative of it) that compiled code writes with values depending on differentiated ones
 * and reads back ({@code EntryPoint#scratchArrays}): Enzyme would take its memory as inactive and drop that path, so
 * the worker's wrapper gives it a zeroed shadow of its own, passes it as Duplicated and frees it after the call
 * (worker {@code spec::Activity::Scratch}). The bound handle takes no shadow for it, as for any Const argument.
 */
public record Argument(ArgType type, Activity activity, boolean scratch) {

    public Argument {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(activity, "activity");
        if (scratch && (activity != Activity.CONST || !type.isFloatingPointer())) {
            throw new IllegalArgumentException(Messages.SCRATCH_NOT_CONST_ARRAY.format(activity.token() + ":"
                    + type.token()));
        }
    }

    public static Argument of(Activity activity, ArgType type) {
        return new Argument(type, activity, false);
    }

    /** A Const array whose shadow the wrapper allocates (see the class comment). */
    public static Argument scratch(ArgType type) {
        return new Argument(type, Activity.CONST, true);
    }

    /** {@code <activity>:<type>}, e.g. {@code dup:double*}, or {@code scratch:double*}. */
    public String token() {
        return (scratch ? "scratch" : activity.token()) + ":" + type.token();
    }
}
