package org.resfim.federation;

import org.resfim.data.Augmentation;
import org.resfim.data.Sample;
import org.resfim.engine.Batch;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;

/**
 * Packs samples into an engine {@link Batch}, replicating grey images to the model's channels and augmenting copies;
 * and the seeded shuffle and cutting into batches that every drawing of a site's samples goes through (the epochs of
 * local training, FedALA's sample, pFL-ResFIM's Fisher samples), so that one seed gives one order everywhere.
 */
public final class Batches {
    private Batches() {
    }

    /**
     * A copy of {@code xs} in a seeded random order: Fisher–Yates from the end, position i (from n−1 down to 1)
     * swapped with {@code rng.nextInt(i + 1)}. Taking the first k is a uniform draw of k without replacement.
     */
    public static <T> List<T> shuffled(List<T> xs, SplittableRandom rng) {
        List<T> out = new ArrayList<>(xs);
        for (int i = out.size() - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            T t = out.get(i);
            out.set(i, out.get(j));
            out.set(j, t);
        }
        return out;
    }

    /** {@code xs} cut in order into consecutive groups of {@code size} (the last one shorter). */
    public static <T> List<List<T>> chunks(List<T> xs, int size) {
        if (size < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + size);
        }
        List<List<T>> out = new ArrayList<>();
        for (int i = 0; i < xs.size(); i += size) {
            out.add(xs.subList(i, Math.min(xs.size(), i + size)));
        }
        return out;
    }

    /** {@code samples} in order as batches of at most {@code batchSize}, not augmented. */
    public static List<Batch> of(List<Sample> samples, int batchSize, int channels) {
        List<Batch> out = new ArrayList<>();
        for (List<Sample> chunk : chunks(samples, batchSize)) {
            out.add(of(chunk, channels, null, null));
        }
        return out;
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
