package org.resfim.data;

import org.resfim.config.LocatedException;

/**
 * A problem with input data or a data configuration. The message always names the file (or config
 * file) at fault and the rule it breaks, e.g. {@code .../im0077.ppm: mask missing for image
 * (expected labels-ah/im0077.ah.ppm) [rule: mask]}.
 */
public class DataException extends LocatedException {
    public DataException(String file, String rule, String problem) {
        this(file, rule, problem, null);
    }

    public DataException(String file, String rule, String problem, Throwable cause) {
        super(file, rule, problem, cause);
    }
}
