package org.resfim.state;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The federation currency: an ordered collection of named tensors. Engine-free; aggregation,
 * masking, serialization and checkpoints work on it alone.
 */
public final class ModelState {
    private final LinkedHashMap<String, Tensor> tensors = new LinkedHashMap<>();

    public ModelState() {
    }

    public ModelState(Collection<Tensor> ts) {
        for (Tensor t : ts) {
            put(t);
        }
    }

    public void put(Tensor t) {
        tensors.put(t.name(), t);
    }

    public Tensor get(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no tensor named '" + name + "' in state " + tensors.keySet());
        }
        return t;
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    public List<String> names() {
        return new ArrayList<>(tensors.keySet());
    }

    public Collection<Tensor> tensors() {
        return Collections.unmodifiableCollection(tensors.values());
    }

    public Map<String, Tensor> asMap() {
        return Collections.unmodifiableMap(tensors);
    }

    public int size() {
        return tensors.size();
    }

    public long numElements() {
        long n = 0;
        for (Tensor t : tensors.values()) {
            n += t.size();
        }
        return n;
    }

    /** Deep copy. */
    public ModelState copy() {
        ModelState s = new ModelState();
        for (Tensor t : tensors.values()) {
            s.put(t.copy());
        }
        return s;
    }

    /** The tensors matching the predicate (shared, not copied). */
    public ModelState filter(Predicate<Tensor> keep) {
        ModelState s = new ModelState();
        for (Tensor t : tensors.values()) {
            if (keep.test(t)) {
                s.put(t);
            }
        }
        return s;
    }

    /** Copy of this state with every tensor present in {@code other} replaced by a copy of other's. */
    public ModelState overlay(ModelState other) {
        ModelState s = copy();
        for (Tensor t : other.tensors()) {
            Tensor mine = tensors.get(t.name());
            if (mine == null) {
                throw new IllegalArgumentException("overlay: tensor '" + t.name() + "' is not part of this model");
            }
            if (!mine.sameLayout(t)) {
                throw new IllegalArgumentException("overlay: tensor '" + t.name() + "' has shape "
                        + java.util.Arrays.toString(t.shape()) + ", model expects " + java.util.Arrays.toString(mine.shape()));
            }
            s.put(new Tensor(mine.name(), mine.role(), mine.part(), mine.shape(), t.data().clone()));
        }
        return s;
    }
}
