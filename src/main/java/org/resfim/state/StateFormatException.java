package org.resfim.state;

import java.io.IOException;

/**
 * A state file (or exported directory) that cannot be accepted: truncated, corrupted, of another format or
 * version, or not matching the expected model layout. The message names the source, the section or
 * tensor at fault and, where known, its byte range {@code start..end} (end exclusive), e.g.
 * {@code model.rfim: tensor 'enc1.conv1.weight' bytes 1204..5640: checksum mismatch}.
 */
public class StateFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String source;
    private final String section;
    private final long start;
    private final long end;

    /**
     * @param source  the file or stream name
     * @param section what is at fault, e.g. {@code tensor 'enc1.conv1.weight'} or {@code header}; may be null
     * @param start   first byte at fault, or -1 when unknown
     * @param end     one past the last byte at fault, or -1 when unknown
     * @param problem what is wrong, e.g. {@code checksum mismatch}
     */
    public StateFormatException(String source, String section, long start, long end, String problem) {
        super(compose(source, section, start, end, problem));
        this.source = source;
        this.section = section;
        this.start = start;
        this.end = end;
    }

    /** A problem with no particular section or byte range. */
    public StateFormatException(String source, String problem) {
        this(source, null, -1, -1, problem);
    }

    private static String compose(String source, String section, long start, long end, String problem) {
        StringBuilder sb = new StringBuilder(source).append(": ");
        if (section != null) {
            sb.append(section);
            if (start >= 0) {
                sb.append(" bytes ").append(start).append("..").append(end);
            }
            sb.append(": ");
        } else if (start >= 0) {
            sb.append("bytes ").append(start).append("..").append(end).append(": ");
        }
        return sb.append(problem).toString();
    }

    /** The file or stream name. */
    public String source() {
        return source;
    }

    /** The section or tensor at fault, or null. */
    public String section() {
        return section;
    }

    /** First byte at fault, or -1. */
    public long start() {
        return start;
    }

    /** One past the last byte at fault, or -1. */
    public long end() {
        return end;
    }
}
