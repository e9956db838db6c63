package org.resfim.run.html;

import org.resfim.report.*;

import org.resfim.engine.Batch;
import org.resfim.engine.Inference;
import org.resfim.engine.UNet;
import org.resfim.model.UNetConfig;
import org.resfim.state.ModelState;

/** A personal model ready for inference (BatchNorm in evaluation mode); owns native memory until closed. */
public final class SegmentationModel implements AutoCloseable {
    private final UNet net;
    private final UNetConfig config;

    public SegmentationModel(UNetConfig config, ModelState state) {
        this.config = config;
        this.net = UNet.fromState(config, state);
    }

    public UNetConfig config() {
        return config;
    }

    /**
     * Foreground per pixel (sigmoid(logit) &gt; threshold) of one image, C×H×W in [0,1] at a size the network
     * accepts (a multiple of 2^(depth−1)).
     */
    public boolean[] predict(float[] image, int channels, int height, int width, double threshold) {
        if (channels != config.inChannels()) {
            throw new IllegalArgumentException("the model takes " + config.inChannels() + " input channels, the image has " + channels);
        }
        int m = config.sizeMultiple();
        if (height % m != 0 || width % m != 0) {
            throw new IllegalArgumentException("a depth-" + config.depth() + " U-Net needs a height and width that are multiples of " + m
                    + ", got " + height + "x" + width + " (choose another --size)");
        }
        return Inference.predict(net, new Batch(image, null, 1, channels, 1, height, width), threshold);
    }

    /** Foreground per pixel of every image of a batch (sigmoid(logit) &gt; threshold), one H×W array per image. */
    public java.util.List<boolean[]> predict(Batch batch, double threshold) {
        boolean[] all = Inference.predict(net, batch, threshold);
        int hw = batch.height() * batch.width();
        java.util.List<boolean[]> out = new java.util.ArrayList<>();
        for (int i = 0; i < batch.n(); i++) {
            out.add(java.util.Arrays.copyOfRange(all, i * hw, (i + 1) * hw));
        }
        return out;
    }

    @Override
    public void close() {
        net.close();
    }
}
