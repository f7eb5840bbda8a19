package dev.vivarium.core.deploy;

import dev.vivarium.core.config.VivariumSettings;

/**
 * How large an uploaded bundle may be once unpacked ({@code deployments.bundle.*}): a zip bomb or a
 * tar of a million empty files is refused while it is read, before it fills the disk.
 *
 * @param maxEntries most entries, files and directories
 * @param maxEntrySize largest file, uncompressed
 * @param maxTotalSize all files together, uncompressed
 */
public record BundleLimits(int maxEntries, long maxEntrySize, long maxTotalSize) {
    public static final BundleLimits DEFAULT =
            new BundleLimits(
                    VivariumSettings.DEPLOYMENTS_BUNDLE_MAX_ENTRIES.defaultParsed(),
                    VivariumSettings.DEPLOYMENTS_BUNDLE_MAX_ENTRY_SIZE.defaultParsed(),
                    VivariumSettings.DEPLOYMENTS_BUNDLE_MAX_TOTAL_SIZE.defaultParsed());

    public BundleLimits {
        if (maxEntries < 1 || maxEntrySize < 1 || maxTotalSize < 1) {
            throw new IllegalArgumentException("bundle limits must be at least 1: " + this);
        }
    }
}
