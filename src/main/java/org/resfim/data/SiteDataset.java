package org.resfim.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One site's data after discovery, split and preprocessing at training resolution, held in memory.
 *
 * @param name     the site's name (unique in a federation)
 * @param train    training samples
 * @param val      validation samples
 * @param test     test samples
 * @param manifest which file went where, with content hashes, to save with a run and reproduce the split
 */
public record SiteDataset(String name, List<Sample> train, List<Sample> val, List<Sample> test,
                          SplitManifest manifest) {
    public SiteDataset {
        Objects.requireNonNull(name, "name");
        train = List.copyOf(train);
        val = List.copyOf(val);
        test = List.copyOf(test);
    }

    public List<Sample> split(Split split) {
        switch (split) {
            case TRAIN: return train;
            case VAL: return val;
            default: return test;
        }
    }

    /** Train, then validation, then test samples. */
    public List<Sample> all() {
        List<Sample> all = new ArrayList<>(train.size() + val.size() + test.size());
        all.addAll(train);
        all.addAll(val);
        all.addAll(test);
        return all;
    }

    public int size() {
        return train.size() + val.size() + test.size();
    }

    private Sample first() {
        if (!train.isEmpty()) {
            return train.get(0);
        }
        if (!val.isEmpty()) {
            return val.get(0);
        }
        if (!test.isEmpty()) {
            return test.get(0);
        }
        throw new IllegalStateException("site " + name + " has no samples");
    }

    public int channels() {
        return first().channels();
    }

    public int height() {
        return first().height();
    }

    public int width() {
        return first().width();
    }
}
