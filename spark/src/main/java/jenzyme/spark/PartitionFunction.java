package jenzyme.spark;

import java.io.Serializable;
import java.util.Iterator;
import jenzyme.runtime.api.Gradient;

/**
 * User code that runs on an executor over one partition, with the shipped derivative already compiled there (once
 * per executor JVM). Its class must be on the executors' classpath (a program's jar); see {@link SparkAD#mapPartitions}.
 */
@FunctionalInterface
public interface PartitionFunction<T, R> extends Serializable {
    Iterator<R> call(Gradient loss, Iterator<T> rows) throws Exception;
}
