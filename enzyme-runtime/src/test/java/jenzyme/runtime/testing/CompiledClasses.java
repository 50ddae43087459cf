package jenzyme.runtime.testing;

import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import jenzyme.runtime.lower.ClassBytesSource;

/** Classes compiled by {@link InMemoryJavac}: their bytes for the frontend, and loaded classes for the JVM side. */
public final class CompiledClasses implements ClassBytesSource {

    private final Map<String, byte[]> bytes;
    private final ClassLoader loader;

    CompiledClasses(Map<String, byte[]> bytes) {
        this.bytes = Map.copyOf(bytes);
        this.loader = new ClassLoader(CompiledClasses.class.getClassLoader()) {
            @Override
            protected Class<?> findClass(String name) throws ClassNotFoundException {
                byte[] classBytes = CompiledClasses.this.bytes.get(name.replace('.', '/'));
                if (classBytes == null) {
                    throw new ClassNotFoundException(name);
                }
                return defineClass(name, classBytes, 0, classBytes.length);
            }
        };
    }

    @Override
    public Optional<byte[]> bytesOf(String internalName) {
        return Optional.ofNullable(bytes.get(internalName)).map(byte[]::clone);
    }

    /** The class as this test's loader loads it (the binder reads static fields from it). */
    @Override
    public Optional<Class<?>> loadedClass(String internalName) {
        return bytes.containsKey(internalName) ? Optional.of(load(internalName.replace('/', '.'))) : Optional.empty();
    }

    /** Writes the classes under {@code root} as a class directory (for class-path tests); returns {@code root}. */
    public Path writeTo(Path root) throws IOException {
        for (Map.Entry<String, byte[]> entry : bytes.entrySet()) {
            Path file = root.resolve(entry.getKey() + ".class");
            Files.createDirectories(file.getParent());
            Files.write(file, entry.getValue());
        }
        return root;
    }

    public Class<?> load(String binaryName) {
        try {
            return loader.loadClass(binaryName);
        } catch (ClassNotFoundException e) {
            throw new IllegalArgumentException("no compiled class " + binaryName, e);
        }
    }

    /** The static methods declared by {@code binaryName}, in source-independent (name) order. */
    public List<Method> staticMethods(String binaryName) {
        return Arrays.stream(load(binaryName).getDeclaredMethods())
                .filter(m -> Modifier.isStatic(m.getModifiers()) && !m.isSynthetic())
                .sorted((a, b) -> a.getName().compareTo(b.getName()))
                .toList();
    }

    /** A handle to the JVM version of a static method, by its unique name. */
    public MethodHandle jvmHandle(String binaryName, String methodName) {
        Method method = staticMethods(binaryName).stream().filter(m -> m.getName().equals(methodName))
                .findFirst().orElseThrow(() -> new IllegalArgumentException("no static method " + methodName));
        try {
            method.setAccessible(true);
            return MethodHandles.lookup().unreflect(method);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }
}
