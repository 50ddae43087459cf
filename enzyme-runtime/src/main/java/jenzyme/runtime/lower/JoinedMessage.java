package jenzyme.runtime.lower;

import java.lang.classfile.instruction.InvokeDynamicInstruction;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDesc;
import java.util.List;
import java.util.Optional;
import jenzyme.runtime.error.Messages;

/**
 * A thrown exception's message joined with {@code +} ({@code "sigma must be positive, got " + sigma}), as javac
 * compiles it: {@code invokedynamic makeConcatWithConstants} with a recipe, {@code \1} where an argument goes and
 * {@code \2} where one of the bootstrap's constants goes. Compiled code cannot make a String, so it stores the
 * arguments (numbers, booleans, chars) in the status block's message words ({@link StatusCode#MESSAGE_WORDS},
 * {@link ThrownValues}) and the binding joins them here with the JVM's own {@code String.valueOf}: the message is the
 * JVM's to the digit ({@code "got -0.0"}, {@code "got NaN"}).
 *
 * @param recipe    the recipe, one {@code \1} per argument
 * @param constants the bootstrap's constants, one per {@code \2}
 * @param kinds     each argument's descriptor letter, in order: {@code D F J I S B C Z}
 */
public record JoinedMessage(String recipe, List<String> constants, String kinds) {

    /** Descriptor letters of the values compiled code can store; every other argument is a reference. */
    private static final String PRIMITIVES = "DFJISBCZ";
    private static final char ARGUMENT = '\1';
    private static final char CONSTANT = '\2';

    /** The joined message {@code dynamic} builds, if it is a string concatenation. */
    static Optional<JoinedMessage> of(InvokeDynamicInstruction dynamic) {
        String name = dynamic.name().stringValue();
        if (!dynamic.bootstrapMethod().owner().descriptorString().equals("Ljava/lang/invoke/StringConcatFactory;")
                || !name.equals("makeConcatWithConstants") && !name.equals("makeConcat")) {
            return Optional.empty();
        }
        List<ClassDesc> parameters = dynamic.typeSymbol().parameterList();
        StringBuilder kinds = new StringBuilder();
        for (ClassDesc parameter : parameters) {
            String descriptor = parameter.descriptorString();
            kinds.append(parameter.isPrimitive() && PRIMITIVES.contains(descriptor) ? descriptor.charAt(0) : 'L');
        }
        List<ConstantDesc> arguments = dynamic.bootstrapArgs();
        String recipe = name.equals("makeConcat") ? String.valueOf(ARGUMENT).repeat(parameters.size())
                : (String) arguments.getFirst();
        List<String> constants = arguments.stream().skip(1).map(String::valueOf).toList();
        return Optional.of(new JoinedMessage(recipe, constants, kinds.toString()));
    }

    /**
     * Why compiled code cannot store this message's values, in the user's words; empty if it can. A String that is
     * not a constant (or any object) would need the JVM at the throw.
     */
    Optional<String> refusal() {
        if (kinds.indexOf('L') >= 0) {
            return Optional.of(Messages.THROW_MESSAGE_OBJECT.format());
        }
        if (kinds.length() > StatusCode.MESSAGE_VALUES) {
            return Optional.of(Messages.THROW_MESSAGE_VALUES.format(StatusCode.MESSAGE_VALUES, kinds.length()));
        }
        return Optional.empty();
    }

    /** The message, from the values the compiled code stored in {@code block}, exactly as the JVM joins them. */
    public String format(int[] block) {
        StringBuilder message = new StringBuilder();
        int argument = 0, constant = 0;
        for (int i = 0; i < recipe.length(); i++) {
            char c = recipe.charAt(i);
            if (c == CONSTANT) {
                message.append(constants.get(constant++));
            } else if (c != ARGUMENT) {
                message.append(c);
            } else {
                long bits = StatusCode.wide(block, StatusCode.MESSAGE_WORDS + 2 * argument);
                char kind = kinds.charAt(argument++);
                message.append(switch (kind) {
                    case 'D' -> String.valueOf(Double.longBitsToDouble(bits));
                    case 'F' -> String.valueOf((float) Double.longBitsToDouble(bits));
                    case 'J' -> String.valueOf(bits);
                    case 'Z' -> String.valueOf(bits != 0);
                    case 'C' -> String.valueOf((char) bits);
                    default -> String.valueOf((int) bits); // int, short, byte
                });
            }
        }
        return message.toString();
    }
}
