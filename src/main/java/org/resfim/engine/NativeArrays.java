package org.resfim.engine;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

import java.nio.FloatBuffer;

/**
 * Native arrays filled from Java data that own their memory. DJL's {@code NDManager.create(buffer)} makes a
 * libtorch tensor that points into a JVM direct buffer (the garbage collector frees that memory once the Java
 * object lets go of it), and {@code NDArray.set(buffer)} swaps a tensor's storage for a new such buffer instead
 * of copying into it. libtorch can then end up reading memory the collector has already released: the numbers
 * of a run depended on when garbage collections happened (a test forcing collections every few milliseconds
 * made every run of the same seed different). The same holds for DJL's arithmetic with a Java number
 * ({@code x.mul(0.5)}): it wraps the number in such a tensor and closes it right after the operation, while
 * autograd keeps it for the backward pass, which then reads freed memory if a collection came in between.
 * Everything the engine builds from Java data goes through here — the data is staged in a short-lived buffer
 * and copied into memory libtorch allocated and reference-counts — and graph code multiplies by
 * {@link #scalar} tensors, never by Java numbers.
 */
public final class NativeArrays {
    private NativeArrays() {
    }

    /** A new float32 array of {@code shape} in {@code manager}, in libtorch's own memory, holding {@code data}. */
    public static PtNDArray copyOf(NDManager manager, float[] data, Shape shape) {
        try (NDManager staging = manager.newSubManager()) {
            PtNDArray owned = JniUtils.clone(staged(staging, data, shape));
            owned.attach(manager);
            return owned;
        }
    }

    /** A 0-d float32 constant in libtorch's own memory, for arithmetic that autograd may keep for the backward pass. */
    public static PtNDArray scalar(NDManager manager, float value) {
        return copyOf(manager, new float[] {value}, new Shape());
    }

    /** Copies {@code data} into {@code target}'s existing memory (bit-exact), outside autograd. */
    public static void copyInto(PtNDArray target, float[] data) {
        Shape shape = target.getShape();
        long[] end = shape.getShape();
        long[] start = new long[end.length];
        long[] step = new long[end.length];
        java.util.Arrays.fill(step, 1);
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDManager staging = target.getManager().newSubManager()) {
            JniUtils.indexSet(target, staged(staging, data, shape), start, end, step);
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    /** {@code data} in a JVM-owned tensor of {@code staging}: valid only until {@code staging} closes. */
    private static PtNDArray staged(NDManager staging, float[] data, Shape shape) {
        if (data.length != shape.size()) {
            throw new IllegalArgumentException(data.length + " values do not fill an array of shape " + shape);
        }
        return (PtNDArray) staging.create(FloatBuffer.wrap(data), shape, DataType.FLOAT32);
    }
}
