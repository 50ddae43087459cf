package jenzyme.runtime.ad;

import java.util.Objects;

/** One parameter of the function to differentiate: its type and its activity. */
public record Argument(ArgType type, Activity activity) {

    public Argument {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(activity, "activity");
    }

    public static Argument of(Activity activity, ArgType type) {
        return new Argument(type, activity);
    }

    /** {@code <activity>:<type>}, e.g. {@code dup:double*}. */
    public String token() {
        return activity.token() + ":" + type.token();
    }
}
