package jenzyme.kernel;

import java.util.List;

/** What every notebook starts with: the imports cells can rely on without writing them. */
final class NotebookStartup {

    static final List<String> IMPORTS = List.of(
            "import java.util.*;",
            "import java.util.function.*;",
            "import java.util.stream.*;",
            "import java.awt.image.BufferedImage;",
            "import jenzyme.visualization.Plots;",
            "import jenzyme.magics.gradcheck.GradCheck;",
            "import static jenzyme.kernel.api.Notebook.*;");

    private NotebookStartup() {
    }
}
