package org.resfim.federation;

import org.resfim.state.ModelState;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The server's round loop (Flower's lifecycle): SETUP once, then per round sample sites, FIT them,
 * aggregate with the algorithm's {@link ServerProcedure}, and EVALUATE every site on what it receives. Each
 * phase goes to all its sites at once ({@link Transport#callAll}; the in-process transport calls them in turn),
 * and the answers are taken in site order, so the results do not depend on which site answered first.
 * A site that fails is skipped for the round; a site whose training diverged is dropped for the rest of
 * the run; the run and its results so far are kept.
 */
public final class Coordinator {
    private final Transport transport;
    private final ServerProcedure server;
    private final FederationSettings settings;
    private final RoundListener listener;
    private final long seed;
    private final Set<String> dropped = new LinkedHashSet<>();
    private Message setupBroadcast = Message.empty();

    public Coordinator(Transport transport, ServerProcedure server, FederationSettings settings, RoundListener listener, long seed) {
        this.transport = transport;
        this.server = server;
        this.settings = settings;
        this.listener = listener;
        this.seed = seed;
        settings.validate(transport.sites().size());
        server.configure(settings.aggregation());
        server.connect(new ServerProcedure.Exchange() {
            @Override
            public Message call(String site, int round, Message m) throws ParticipantException {
                return transport.call(site, new Request(Phase.SECAGG, round, m)).upload();
            }

            @Override
            public List<Transport.Outcome> callAll(int round, Map<String, Message> requests) {
                Map<String, Request> calls = new LinkedHashMap<>();
                requests.forEach((site, m) -> calls.put(site, new Request(Phase.SECAGG, round, m)));
                return transport.callAll(calls); // every site of a step at once where the transport can
            }
        });
    }

    /** Runs rounds 1..T from the common initial model. */
    public void run(ModelState initial) {
        List<Reply> replies = new ArrayList<>();
        // the SETUP request tells every site the privacy settings it applies to its uploads (privacy.dp)
        Request setup = new Request(Phase.SETUP, 0, new Message(initial, null, settings.aggregation().privacy().toMeta()));
        for (Transport.Outcome o : transport.callAll(same(transport.sites(), setup))) {
            if (o.failed()) {
                fail(0, Phase.SETUP, o.failure());
            } else {
                replies.add(o.reply());
            }
        }
        setupBroadcast = server.setup(replies);
        listener.onSetup(replies, setupBroadcast);
        rounds(1);
    }

    /**
     * Continues after the last completed round {@code completed}: the server state is restored from
     * {@code serverState}, every site restores its own state for that round, the setup broadcast is rebuilt.
     */
    public void resume(int completed, ProcedureState serverState, Message broadcast, Set<String> droppedSites) {
        server.restore(serverState);
        setupBroadcast = broadcast;
        dropped.addAll(droppedSites);
        List<String> restore = transport.sites().stream().filter(s -> !dropped.contains(s)).toList();
        for (Transport.Outcome o : transport.callAll(same(restore, new Request(Phase.SETUP, completed, new Message(null, null, settings.aggregation().privacy().toMeta()))))) {
            if (o.failed()) {
                fail(completed, Phase.SETUP, o.failure());
            }
        }
        rounds(completed + 1);
    }

    public Message setupBroadcast() {
        return setupBroadcast;
    }

    public Set<String> dropped() {
        return Set.copyOf(dropped);
    }

    private void rounds(int first) {
        List<String> sites = transport.sites();
        for (int round = first; round <= settings.rounds(); round++) {
            List<String> alive = new ArrayList<>();
            for (String s : sites) {
                if (!dropped.contains(s)) {
                    alive.add(s);
                }
            }
            if (alive.isEmpty()) {
                return;
            }
            // every sampled site trains at once (where the transport can); the answers are taken in site order
            List<Reply> uploads = new ArrayList<>();
            for (Transport.Outcome o : transport.callAll(same(sample(alive, round), new Request(Phase.FIT, round, setupBroadcast)))) {
                if (o.failed()) {
                    fail(round, Phase.FIT, o.failure());
                } else {
                    uploads.add(o.reply());
                    listener.onFit(round, o.reply());
                }
            }
            Map<String, Message> downlinks;
            if (uploads.size() >= settings.minSites()) {
                downlinks = server.aggregate(round, uploads, alive);
                for (Map.Entry<String, String> rej : server.lastRejections().entrySet()) {
                    listener.onFailure(round, Phase.FIT, rej.getKey(), rej.getValue(), false);
                }
                if (!server.lastUploads().isEmpty()) {
                    listener.onAggregate(round, server.lastUploads());
                }
            } else {
                listener.onFailure(round, Phase.FIT, "*", "only " + uploads.size() + " sites answered, fewer than federation.min_sites = "
                        + settings.minSites() + "; the round is not aggregated", false);
                downlinks = Map.of();
            }
            Map<String, Request> evaluate = new LinkedHashMap<>();
            for (String site : alive) {
                if (!dropped.contains(site)) {
                    evaluate.put(site, new Request(Phase.EVALUATE, round, downlinks.getOrDefault(site, Message.empty())));
                }
            }
            for (Transport.Outcome o : transport.callAll(evaluate)) {
                if (o.failed()) {
                    fail(round, Phase.EVALUATE, o.failure());
                } else {
                    listener.onEvaluate(round, o.reply());
                }
            }
            listener.onRoundEnd(round, server.save());
        }
    }

    /** The same request for each of {@code sites}, in their order. */
    private static Map<String, Request> same(List<String> sites, Request request) {
        Map<String, Request> calls = new LinkedHashMap<>();
        for (String s : sites) {
            calls.put(s, request);
        }
        return calls;
    }

    private void fail(int round, Phase phase, ParticipantException e) {
        if (e.permanent()) {
            dropped.add(e.site());
        }
        listener.onFailure(round, phase, e.site(), e.getMessage(), e.permanent());
    }

    /** The sites that train in {@code round}: all, or a seeded sample of round(fraction·K) of them. */
    List<String> sample(List<String> alive, int round) {
        int k = Math.min(alive.size(), settings.sampledPerRound(alive.size()));
        if (k >= alive.size()) {
            return alive;
        }
        List<String> pool = new ArrayList<>(alive);
        SplittableRandom r = new SplittableRandom(seed * 1_000_003L + round);
        for (int i = pool.size() - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            String t = pool.get(i);
            pool.set(i, pool.get(j));
            pool.set(j, t);
        }
        List<String> chosen = new ArrayList<>(pool.subList(0, k));
        chosen.sort((a, b) -> Integer.compare(alive.indexOf(a), alive.indexOf(b)));
        return chosen;
    }
}
