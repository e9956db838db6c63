package org.resfim.data;

/**
 * A problem with input data or a data configuration. The message always names the file (or config
 * file) at fault and the rule it breaks, e.g. {@code .../im0077.ppm: mask missing for image
 * (expected labels-ah/im0077.ah.ppm) [rule: mask]}.
 */
public class DataException extends RuntimeException {
    private final String file;
    private final String rule;
    private final String problem;

    public DataException(String file, String rule, String problem) {
        this(file, rule, problem, null);
    }

    public DataException(String file, String rule, String problem, Throwable cause) {
        super(format(file, rule, problem), cause);
        this.file = file;
        this.rule = rule;
        this.problem = problem;
    }

    private static String format(String file, String rule, String problem) {
        StringBuilder sb = new StringBuilder();
        if (file != null && !file.isEmpty()) {
            sb.append(file).append(": ");
        }
        sb.append(problem);
        if (rule != null && !rule.isEmpty()) {
            sb.append(" [rule: ").append(rule).append(']');
        }
        return sb.toString();
    }

    /** The file at fault (a path as text), or null when no single file is. */
    public String file() {
        return file;
    }

    /** The rule that was broken, e.g. {@code mask}, {@code label.values}, {@code config.unknown-key}. */
    public String rule() {
        return rule;
    }

    /** The problem without file and rule. */
    public String problem() {
        return problem;
    }
}
