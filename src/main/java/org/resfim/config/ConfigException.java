package org.resfim.config;

/** A configuration error; the message names the key (and file) at fault. */
public class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}
