package org.resfim.config;

/**
 * The one configuration error of ResFIM: the message names the file (when known) and the key at fault. An error
 * found while reading a file's YAML also keeps the file, the rule broken and the problem apart
 * ({@code c.yaml: unknown key 'imagess' in 'data.sites[0]' … [rule: config.known-keys]}).
 */
public class ConfigException extends RuntimeException {
    private final String file;
    private final String rule;
    private final String problem;

    public ConfigException(String message) {
        super(message);
        this.file = null;
        this.rule = null;
        this.problem = message;
    }

    /** A problem in {@code file} breaking {@code rule}: "FILE: PROBLEM [rule: RULE]". */
    public ConfigException(String file, String rule, String problem) {
        this(file, rule, problem, null);
    }

    public ConfigException(String file, String rule, String problem, Throwable cause) {
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

    /** The configuration file at fault, or null when the message names none apart. */
    public String file() {
        return file;
    }

    /** The rule broken ({@code config.known-keys}, {@code config.value of data.channels}), or null. */
    public String rule() {
        return rule;
    }

    /** The problem without file and rule. */
    public String problem() {
        return problem;
    }
}
