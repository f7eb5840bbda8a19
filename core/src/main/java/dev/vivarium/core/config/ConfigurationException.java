package dev.vivarium.core.config;

/**
 * A configuration value is missing, malformed or out of range. The message names the setting, the
 * bad value and what is valid, so the container can stop at start with it.
 */
public final class ConfigurationException extends RuntimeException {
    public ConfigurationException(String message) {
        super(message);
    }

    public ConfigurationException(String message, Throwable cause) {
        super(message, cause);
    }
}
