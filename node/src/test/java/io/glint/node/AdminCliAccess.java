package io.glint.node;

/** Test-side door to the package-private {@link AdminCli#run}, for tests in other packages. */
public final class AdminCliAccess {
    private AdminCliAccess() {}

    public static int run(String... args) {
        return AdminCli.run(args);
    }
}
