package jenzyme.kernel;

/** Reads what the notebook's stubs leave in the user's objects and records, which live in JShell's classes. */
final class Reflected {

    private Reflected() {}

    /** Field {@code name} of {@code object}, whatever its access. */
    static Object field(Object object, String name) throws ReflectiveOperationException {
        var field = object.getClass().getDeclaredField(name);
        field.setAccessible(true);
        return field.get(object);
    }

    /** Component {@code component} of a record the stubs return. */
    static Object component(Object record, String component) throws ReflectiveOperationException {
        var accessor = record.getClass().getDeclaredMethod(component);
        accessor.setAccessible(true);
        return accessor.invoke(record);
    }
}
