package org.resfim.data;

import java.util.List;
import java.util.Objects;

/**
 * A site as declared in a configuration: a name, a folder and where its samples are.
 *
 * @param name    unique in the federation; letters, digits, {@code . _ -}
 * @param folder  the site folder: absolute, or relative to the data root (or to the config file's folder)
 * @param sources the folders of samples (at least one)
 * @param label   how mask values become labels
 * @param nifti   how volumes are sliced (used for {@code .nii}/{@code .nii.gz} files)
 */
public record SiteConfig(String name, String folder, List<SourceConfig> sources, LabelRule label,
                         NiftiOptions nifti) {
    public SiteConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(folder, "folder");
        sources = List.copyOf(sources);
        if (sources.isEmpty()) {
            throw new IllegalArgumentException("site " + name + " has no sources");
        }
        label = label == null ? LabelRule.DEFAULT : label;
        nifti = nifti == null ? NiftiOptions.DEFAULT : nifti;
    }
}
