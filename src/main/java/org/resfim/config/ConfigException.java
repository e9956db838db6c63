package org.resfim.config;

/**
 * The one configuration error of ResFIM: the message names the file (when known) and the key at fault. An error
 * found while reading a file's YAML also keeps the file, the rule broken and the problem apart
 * ({@code c.yaml: unknown key 'imagess' in 'data.sites[0]' … [rule: config.known-keys]}).
 */
public class ConfigException extends LocatedException {
    public ConfigException(String message) {
        super(message);
    }

    /** A problem in {@code file} breaking {@code rule}: "FILE: PROBLEM [rule: RULE]". */
    public ConfigException(String file, String rule, String problem) {
        this(file, rule, problem, null);
    }

    public ConfigException(String file, String rule, String problem, Throwable cause) {
        super(file, rule, problem, cause);
    }
}
