package org.resfim.data;

/** A configuration file that cannot be used as written: the message names the file, the key and the rule. */
public class ConfigException extends DataException {
    public ConfigException(String file, String rule, String problem) {
        super(file, rule, problem);
    }

    public ConfigException(String file, String rule, String problem, Throwable cause) {
        super(file, rule, problem, cause);
    }
}
