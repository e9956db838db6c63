package org.resfim.federation;

import java.util.List;
import java.util.Map;

/** An algorithm's server side: combines uploads and decides what each site gets back. Engine-free. */
public interface ServerProcedure {

    /** Combines the SETUP uploads (e.g. a style bank) into what every FIT request carries; empty by default. */
    default Message setup(List<Reply> replies) {
        return Message.empty();
    }

    /**
     * Combines the uploads of {@code round} (only the sites that trained) and returns the message each of
     * {@code sites} receives for evaluation and for the next round.
     */
    Map<String, Message> aggregate(int round, List<Reply> uploads, List<String> sites);

    /** Uploads of the last aggregation that were refused, site → reason (reported by the coordinator). */
    default Map<String, String> lastRejections() {
        return Map.of();
    }

    /**
     * What a SETUP answer must be, from the configuration ({@link Algorithm#setupBound}): the server checks every
     * site's against it rather than against whichever site answered first. Nothing to do by default.
     */
    default void expectSetup(SetupBound bound) {
    }

    /** What each accepted upload of the last aggregation weighed (sample count, weight, update norm). */
    default List<UploadSummary> lastUploads() {
        return List.of();
    }

    /**
     * Uses {@code aggregation} from now on (the coordinator passes {@code federation.*}); a procedure that cannot
     * honour anything but the default refuses the others, naming the key.
     */
    default void configure(Aggregation aggregation) {
        if (!aggregation.standard()) {
            throw new org.resfim.config.ConfigException((aggregation.privacy().active() || aggregation.privacy().secagg()
                    ? "privacy: this method's server (" + getClass().getSimpleName() + ") does not aggregate state deltas on the shared"
                    + " masked path, so neither differential privacy nor secure aggregation applies to it"
                    : "federation.aggregator/weights/max_samples/clip_norm: this method's server (" + getClass().getSimpleName()
                    + ") only aggregates with the defaults"));
        }
    }

    /** How the server reaches a site between FIT and its aggregation (secure aggregation's steps). */
    @FunctionalInterface
    interface Exchange {
        Message call(String site, int round, Message request) throws ParticipantException;

        /**
         * One step to several sites ({@code requests}: site → message, in site order), each site's answer or failure in
         * the same order. This default calls one site after another; the coordinator's calls all at once where its
         * transport can ({@link Transport#callAll}).
         */
        default java.util.List<Transport.Outcome> callAll(int round, java.util.Map<String, Message> requests) {
            java.util.List<Transport.Outcome> out = new java.util.ArrayList<>();
            for (java.util.Map.Entry<String, Message> e : requests.entrySet()) {
                try {
                    out.add(new Transport.Outcome(e.getKey(), new Reply(e.getKey(), Phase.SECAGG, round, call(e.getKey(), round, e.getValue()), 0, null,
                            null), null));
                } catch (ParticipantException x) {
                    out.add(new Transport.Outcome(e.getKey(), null, x));
                }
            }
            return out;
        }
    }

    /** The coordinator hands the server its way to the sites; servers that need no exchange ignore it. */
    default void connect(Exchange exchange) {
    }

    ProcedureState save();

    void restore(ProcedureState state);
}
