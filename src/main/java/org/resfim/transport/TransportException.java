package org.resfim.transport;

/** A peer broke the protocol (a bad frame, a payload too large, a chunk out of order). */
public class TransportException extends Exception {
    public TransportException(String message) {
        super(message);
    }

    public TransportException(String message, Throwable cause) {
        super(message, cause);
    }
}
