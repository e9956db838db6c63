package org.resfim.config;

/**
 * A problem with a named input: "FILE: PROBLEM [rule: RULE]", with the file, the rule broken and the problem kept
 * apart for callers that report them separately. The configuration's and the data's errors are both of this shape.
 */
public abstract class LocatedException extends RuntimeException {
    private final String file;
    private final String rule;
    private final String problem;

    /** A message that names what is at fault itself (no file or rule apart). */
    protected LocatedException(String message) {
        super(message);
        this.file = null;
        this.rule = null;
        this.problem = message;
    }

    protected LocatedException(String file, String rule, String problem, Throwable cause) {
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

    /** The rule broken (e.g. {@code config.known-keys}, {@code mask}, {@code label.values}), or null. */
    public String rule() {
        return rule;
    }

    /** The problem without file and rule. */
    public String problem() {
        return problem;
    }
}
