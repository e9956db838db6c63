/**
 * Multi-site data: sites declared in YAML, image and NIfTI readers, label rules, preprocessing, seeded
 * patient-level splits with manifests, augmentation, and the built-in synthetic federation.
 *
 * <p>Imports no deep-learning engine and, of ResFIM's packages, only {@code config} (declared keys and name
 * suggestions), which lies below it. Entry points:
 * {@link org.resfim.data.FederationConfig#load}, {@link org.resfim.data.FederationData#load},
 * {@link org.resfim.data.SyntheticSites#generate}, {@link org.resfim.data.DataCheck#run},
 * {@link org.resfim.data.DataPreview#write}.
 *
 * <h2>Configuration ({@code data:} section)</h2>
 * <pre>
 * seed: 0                          # split seed (and synthetic data seed unless data.synthetic.seed is set)
 * data:
 *   root: ../../shared/data/fed-vessel   # base of site folders, relative to this file; --data-root replaces it
 *   image_size: 128                # or [height, width]: the training resolution
 *   channels: 3                    # 1 or 3 (grey replicated to 3, colour to grey by luminance)
 *   preprocess:
 *     center_crop: none            # none | square | size | [height, width], before resizing
 *     intensity: scale             # scale (by bit depth) | minmax | percentile (per image)
 *     percentiles: [0.5, 99.5]     # for intensity: percentile
 *     interpolation: bilinear      # bilinear (antialiased) | nearest; masks always nearest
 *   augment: {hflip: 0.5, vflip: 0.5, rot90: 0.5}   # or true / false
 *   split: {train: 0.7, val: 0.1, test: 0.2}        # by patient; an official split is honoured
 *   manifest: runs/x/splits.json   # reproduce a saved split (hashes checked)
 *   defaults: {...}                # any site key except name, merged into every site (site keys win)
 *   sites:
 *     - name: DRIVE                # unique, [A-Za-z0-9._-]
 *       folder: DRIVE              # default: the name; relative to data.root (else to this file)
 *       images: images/*.tif       # glob, relative to the source folder
 *       mask: '1st_manual/{num}_manual1.gif'   # template: {stem} {name} {ext} and named groups of match
 *       fov: 'mask/{stem}_mask.gif'            # optional field-of-view mask template
 *       match: '^(?&lt;num&gt;\d+)_'     # optional regex searched in the image file name
 *       patient: '{num}'           # optional patient id template (default: each image its own patient)
 *       split: test                # optional official split of all samples here
 *       label: {threshold: 128, invert: false}                        # stored value >= threshold is 1
 *       # label: {values: {0: cup, 128: rim, 255: background}, foreground: [cup, rim]}   # strict mapping
 *       nifti: {axis: z, clip: [0.5, 99.5], slices: all}   # for .nii / .nii.gz (slices: all | foreground)
 *       sources:                   # optional: several folders, each inheriting the keys above
 *         - {folder: training, split: train}
 *         - {folder: test, split: test}
 *   synthetic: {sites: 4, samples: 40, size: 128, seed: 0}   # instead of sites: the built-in federation
 * federation: {...}                # not read here: raw maps for the packages that own them
 * method: {...}
 * training: {...}
 * evaluation: {...}
 * </pre>
 */
package org.resfim.data;
