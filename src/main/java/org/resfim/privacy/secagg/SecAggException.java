package org.resfim.privacy.secagg;

/** A secure-aggregation round that cannot complete; nothing of it is aggregated. */
public class SecAggException extends RuntimeException {
    public SecAggException(String message) {
        super(message);
    }
}
