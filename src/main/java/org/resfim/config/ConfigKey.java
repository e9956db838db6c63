package org.resfim.config;

/**
 * One documented configuration key: {@code section.name}, its default and its meaning. Every key a
 * component reads is declared as a ConfigKey, so {@code resfim config explain} lists them from the code.
 */
public record ConfigKey(String section, String name, Object defaultValue, String description) {
    public String fullName() {
        return section + "." + name;
    }
}
