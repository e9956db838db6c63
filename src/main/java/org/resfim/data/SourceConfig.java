package org.resfim.data;

/**
 * One folder of a site's samples, as declared.
 *
 * @param folder  relative to the site folder ({@code "."} for the site folder itself)
 * @param split   the official split of every sample found here, or null (split by ratios)
 * @param images  glob for image files, relative to {@link #folder} (e.g. {@code images/*.tif})
 * @param mask    template for the mask path, relative to {@link #folder}: {@code {stem}}, {@code {name}},
 *                {@code {ext}} of the image file, and the named groups of {@link #match} (e.g.
 *                {@code 1st_manual/{num}_manual1.gif})
 * @param fov     template for a field-of-view mask, or null
 * @param match   regular expression searched in the image file name; its named groups feed the templates;
 *                null for none
 * @param patient template for the patient id, or null (each image is its own patient)
 */
public record SourceConfig(String folder, Split split, String images, String mask, String fov, String match,
                           String patient) {
}
