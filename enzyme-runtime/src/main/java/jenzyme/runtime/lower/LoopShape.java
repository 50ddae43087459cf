package jenzyme.runtime.lower;

import java.util.Set;

/**
 * A loop {@link MethodLowering} strip-mines (see {@link LoopShapes}): javac's top-tested loop whose header only
 * computes its condition, so the header may run again after each poll.
 *
 * @param header        offset of the header (the target of the backward jumps)
 * @param end           offset of the last backward jump: the loop's code is {@code [header, end]}
 * @param branchBci     offset of the header's exit test
 * @param exitBci       where the exit test jumps to, past {@code end}
 * @param chunk         iterations between two interrupt polls
 * @param inductionSlot the local a final {@code i++} counts, or -1 (then the loop is not versioned)
 * @param storedLocals  every local the loop stores to
 * @param versioned     whether the loop also gets a copy without the bounds checks its counter makes redundant
 * @param plainWhenShort whether only the unchecked copy is strip-mined, and the checked one polls every iteration
 *                      and runs short trips ({@link LoopPolling#CHUNKED_WHEN_LONG}); implies {@code versioned}
 * @param oneChunk      whether the unchecked copy runs a whole trip of at most one chunk, without a budget, and the
 *                      checked copy, which polls every iteration, any other: a loop inside another under
 *                      {@link LoopPolling#CHUNKED_WHEN_LONG}; implies {@code versioned}
 */
record LoopShape(int header, int end, int branchBci, int exitBci, int chunk, int inductionSlot,
                 Set<Integer> storedLocals, boolean versioned, boolean plainWhenShort, boolean oneChunk) {

    boolean contains(int bci) {
        return header <= bci && bci <= end;
    }
}
