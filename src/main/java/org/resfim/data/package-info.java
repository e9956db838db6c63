/**
 * Multi-site data: sites declared in YAML, image and NIfTI readers, label rules, preprocessing, seeded
 * patient-level splits with manifests, augmentation, and the built-in synthetic federation.
 *
 * <p>Imports no deep-learning engine and, of ResFIM's packages, only {@code config} (declared keys and name
 * suggestions) and {@code state} (JSON through Jackson, atomic file writes), which lie below it. Entry points:
 * {@link org.resfim.data.FederationConfig#load}, {@link org.resfim.data.FederationData#load},
 * {@link org.resfim.data.SyntheticSites#generate}, {@link org.resfim.data.DataCheck#run},
 * {@link org.resfim.data.DataPreview#write}.
 *
 * <h2>Configuration ({@code data:} section)</h2>
 * The keys are declared once, with default and meaning, in {@link org.resfim.data.FederationConfig#documentedKeys}
 * (parsing accepts exactly those); {@code resfim config explain --section data} prints them, and
 * {@code examples/*.yaml} use them. The other top-level sections are kept as raw maps for the packages that own them.
 */
package org.resfim.data;
