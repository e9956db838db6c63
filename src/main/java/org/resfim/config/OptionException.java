package org.resfim.config;

/**
 * A command-line option with a value it cannot take; the message names the option and what it accepts
 * ({@code --rounds must be at least 1, got 0}). The command line reports it as a usage error (exit code 2).
 */
public final class OptionException extends IllegalArgumentException {
    public OptionException(String message) {
        super(message);
    }
}
