package jenzyme.spark;

/**
 * A Spark job failed because a task kept failing on the executors: the message names the Java exception the task
 * raised there (e.g. the {@code ArrayIndexOutOfBoundsException} of a binding given a too-short array), which is
 * also the cause when Spark could bring it back.
 */
public final class SparkTaskFailure extends RuntimeException {
    SparkTaskFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
