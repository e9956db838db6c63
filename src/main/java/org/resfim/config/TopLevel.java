package org.resfim.config;

import java.util.List;

/**
 * The top-level sections of the configuration file that packages above {@code data} read ({@code federation},
 * {@code method}, an algorithm's own sections, …), found with {@link java.util.ServiceLoader} so that the file parser,
 * which lies below them, accepts exactly these and refuses any other name.
 */
public interface TopLevel {
    /** Section names. */
    List<String> sections();
}
