package org.resfim.cli;

import org.resfim.config.OptionException;
import org.resfim.config.Section;

/**
 * Range checks of numeric options, made before a command does any work. A value out of range is a usage
 * error (exit code 2) whose one line names the option and what it accepts, in the words configuration keys
 * use: "--threads must be between 0 and 1024, got -3 (0 = all cores)".
 */
final class OptionChecks {
    /** The most libtorch threads an option may ask for. */
    static final int MAX_THREADS = 1024;

    private OptionChecks() {
    }

    /** {@code min <= value <= max}; {@code note}, if not empty, is added in parentheses. */
    static void range(String option, long value, long min, long max, String note) {
        String problem = Section.outside(value, min, max);
        if (problem != null) {
            throw new OptionException(option + " " + problem + (note == null || note.isEmpty() ? "" : " (" + note + ")"));
        }
    }

    static void range(String option, long value, long min, long max) {
        range(option, value, min, max, "");
    }

    /** A real number in an interval with open or closed ends. */
    static void range(String option, double value, double min, double max, boolean minInclusive, boolean maxInclusive) {
        String problem = Section.outside(value, min, max, minInclusive, maxInclusive);
        if (problem != null) {
            throw new OptionException(option + " " + problem);
        }
    }

    /** libtorch threads: 0 (all cores) up to {@link #MAX_THREADS}. */
    static void threads(int value) {
        range("--threads", value, 0, MAX_THREADS, "0 = all cores");
    }

    /** An image size the reference U-Net (5 stages: a multiple of 16) takes. */
    static void imageSize(String option, int value) {
        int m = org.resfim.model.UNetConfig.reference().sizeMultiple();
        if (value < m || value % m != 0) {
            throw new OptionException(option + " must be a positive multiple of " + m + " (the U-Net halves the image "
                    + (Integer.numberOfTrailingZeros(m)) + " times), got " + value);
        }
    }

    /** Seconds, at least 0. */
    static long millis(String option, double seconds) {
        range(option, seconds, 0, 1e9, true, true);
        return Math.round(seconds * 1000);
    }
}
