package org.resfim.federation;

import org.resfim.data.Augmentation;
import org.resfim.data.Sample;
import org.resfim.engine.Batch;

import java.util.List;
import java.util.Random;

/** Packs samples into an engine {@link Batch}, replicating grey images to the model's channels and augmenting copies. */
public final class Batches {
    private Batches() {
    }

    public static Batch of(List<Sample> samples, int channels, Augmentation augmentation, Random rng) {
        Sample first = samples.get(0);
        int h = first.height();
        int w = first.width();
        int hw = h * w;
        float[] x = new float[samples.size() * channels * hw];
        float[] y = new float[samples.size() * hw];
        for (int i = 0; i < samples.size(); i++) {
            Sample s = samples.get(i);
            if (s.height() != h || s.width() != w) {
                throw new IllegalArgumentException("sample " + s.id() + " is " + s.height() + "x" + s.width()
                        + " but the batch is " + h + "x" + w);
            }
            float[] img = new float[channels * hw];
            if (s.channels() == channels) {
                System.arraycopy(s.image(), 0, img, 0, img.length);
            } else if (s.channels() == 1) {
                for (int c = 0; c < channels; c++) {
                    System.arraycopy(s.image(), 0, img, c * hw, hw);
                }
            } else {
                throw new IllegalArgumentException("sample " + s.id() + " has " + s.channels() + " channels, the model expects " + channels);
            }
            float[] mask = s.mask().clone();
            for (int p = 0; p < hw; p++) {
                mask[p] = mask[p] > 0.5f ? 1f : 0f;
            }
            if (augmentation != null) {
                augmentation.augment(img, mask, channels, h, w, rng);
            }
            System.arraycopy(img, 0, x, i * channels * hw, img.length);
            System.arraycopy(mask, 0, y, i * hw, hw);
        }
        return new Batch(x, y, samples.size(), channels, 1, h, w);
    }
}
