package org.resfim.state;

import java.util.Arrays;
import java.util.Objects;

/**
 * A named float tensor with its shape, role and network part. The data array is owned by the tensor;
 * {@link #copy()} makes a deep copy. Shapes are row-major (C order), as in PyTorch.
 */
public final class Tensor {
    private final String name;
    private final TensorRole role;
    private final NetworkPart part;
    private final int[] shape;
    private final float[] data;

    public Tensor(String name, TensorRole role, NetworkPart part, int[] shape, float[] data) {
        this.name = Objects.requireNonNull(name, "name");
        this.role = Objects.requireNonNull(role, "role");
        this.part = Objects.requireNonNull(part, "part");
        this.shape = shape.clone();
        this.data = Objects.requireNonNull(data, "data");
        long n = numElements(shape);
        if (n != data.length) {
            throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape)
                    + " holds " + n + " elements but data has " + data.length);
        }
    }

    public static long numElements(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n *= d;
        }
        return n;
    }

    public String name() {
        return name;
    }

    public TensorRole role() {
        return role;
    }

    public NetworkPart part() {
        return part;
    }

    public int[] shape() {
        return shape.clone();
    }

    /** The live data array (not a copy): callers that mutate it own the consequences. */
    public float[] data() {
        return data;
    }

    public int size() {
        return data.length;
    }

    public Tensor copy() {
        return new Tensor(name, role, part, shape, data.clone());
    }

    /** A tensor with the same metadata and new data (the array is taken, not copied). */
    public Tensor withData(float[] newData) {
        return new Tensor(name, role, part, shape, newData);
    }

    public boolean sameLayout(Tensor other) {
        return name.equals(other.name) && Arrays.equals(shape, other.shape);
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape) + "(" + role + "," + part + ")";
    }
}
