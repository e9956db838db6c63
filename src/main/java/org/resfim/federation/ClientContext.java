package org.resfim.federation;

import org.resfim.data.Sample;
import org.resfim.engine.AdamState;
import org.resfim.engine.Batch;
import org.resfim.engine.LocalTrainer;
import org.resfim.engine.TrainingHooks;
import org.resfim.engine.UNet;
import org.resfim.model.UNetConfig;
import org.resfim.state.ModelState;

import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * What a site offers its algorithm: its training data, the model configuration, deterministic random
 * streams, and THE local-training loop wrapped with batching and augmentation.
 */
public interface ClientContext {
    String site();

    /** The run's seed. */
    long seed();

    /** Total number of rounds T. */
    int rounds();

    UNetConfig modelConfig();

    TrainingSettings training();

    List<Sample> trainSamples();

    /**
     * A random stream fixed by (run seed, site, round, purpose): the same in a resumed run, independent
     * of what other sites or earlier rounds drew.
     */
    SplittableRandom random(int round, String purpose);

    /** The training batches of one local epoch (shuffled and augmented from {@link #random}). */
    default List<Batch> epochBatches(int round, int epoch, String purpose) {
        return epochBatches(round, epoch, purpose, null);
    }

    /**
     * A per-sample transform applied to training samples before augmentation (pFL-ResFIM's optional
     * style augmentation); it receives the epoch's random stream.
     */
    interface SampleTransform {
        Sample apply(Sample s, java.util.Random rng);
    }

    /** The epoch's batches with {@code transform} (may be null) applied to every sample first. */
    List<Batch> epochBatches(int round, int epoch, String purpose, SampleTransform transform);

    /** Result of {@link #train}. */
    record Trained(ModelState model, AdamState optimizer, LocalTrainer.Result result) {
    }

    /**
     * Trains {@code start} for {@code epochs} local epochs with the round's learning rate through the one
     * training loop. {@code hooks} is given the live network (an AutoCloseable hook is closed afterwards).
     * The network exists in native memory only during this call.
     */
    default Trained train(ModelState start, AdamState optimizer, int round, int epochs, String purpose,
                          Function<UNet, TrainingHooks> hooks) {
        return train(start, optimizer, round, epochs, purpose, hooks, null);
    }

    /** {@link #train} on samples passed through {@code transform} first. */
    Trained train(ModelState start, AdamState optimizer, int round, int epochs, String purpose,
                  Function<UNet, TrainingHooks> hooks, SampleTransform transform);

    /** Opens {@code state} as a live network for custom computations (gradients); close it after use. */
    UNet open(ModelState state);
}
