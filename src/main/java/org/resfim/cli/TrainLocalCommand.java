package org.resfim.cli;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/** Placeholder wired below once the data layer lands. */
@Command(name = "train-local", description = "Train one U-Net on one folder of images and masks.")
public final class TrainLocalCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new UnsupportedOperationException("train-local needs the data layer");
    }
}
