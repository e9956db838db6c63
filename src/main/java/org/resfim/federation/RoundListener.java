package org.resfim.federation;

import java.util.List;

/** Receives the coordinator's events; the run directory writes them down. */
public interface RoundListener {
    /** SETUP answered; {@code broadcast} is what every FIT request will carry (save it for a resume). */
    default void onSetup(List<Reply> replies, Message broadcast) {
    }

    default void onFit(int round, Reply reply) {
    }

    default void onEvaluate(int round, Reply reply) {
    }

    /** A round was aggregated: what each accepted upload weighed. */
    default void onAggregate(int round, List<UploadSummary> uploads) {
    }

    /** A site failed in a phase; {@code permanent} when it is dropped for the rest of the run. */
    default void onFailure(int round, Phase phase, String site, String message, boolean permanent) {
    }

    /** The round is complete: every answering site has evaluated and saved its state. */
    default void onRoundEnd(int round, ProcedureState serverState) {
    }
}
