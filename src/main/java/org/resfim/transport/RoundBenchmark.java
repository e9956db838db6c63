package org.resfim.transport;

import org.resfim.algorithms.AlgorithmRegistry;
import org.resfim.federation.ProcedureState;
import org.resfim.federation.Coordinator;
import org.resfim.federation.FederationSettings;
import org.resfim.federation.Message;
import org.resfim.federation.ParticipantException;
import org.resfim.federation.Request;
import org.resfim.federation.Transport;
import org.resfim.federation.Phase;
import org.resfim.federation.Reply;
import org.resfim.federation.RoundListener;
import org.resfim.state.ModelState;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Not a test: the wall time of a federation round over loopback with mutual TLS when every site's training is
 * replaced by a fixed wait, for 1, 3 and 10 sites: the real {@link Coordinator}, {@link GrpcTransport},
 * {@link FederationServer} and {@link SiteClient}s (threads of this JVM, each with its own TLS connection),
 * FedAvg on a model of {@code params} parameters. A round is FIT (wait, upload) + aggregation + EVALUATE. Each
 * count is run twice: with the phases' calls one after another (the coordinator before #16) and all at once.
 * {@code java -cp ... org.resfim.transport.RoundBenchmark [trainSeconds] [params] [rounds]}
 */
public final class RoundBenchmark {
    private RoundBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        double train = args.length > 0 ? Double.parseDouble(args[0]) : 2.0;
        long params = args.length > 1 ? Long.parseLong(args[1]) : 1_000_000L;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        System.out.printf(Locale.ROOT, "training replaced by a %.1f s wait; FedAvg of %,d parameters (%.1f MB per upload); %d rounds%n%n",
                train, params, 4 * params / 1e6, rounds);
        System.out.println("| sites | one site after another (s) | × one site's round | all at once (s) | × one site's round |");
        System.out.println("|---:|---:|---:|---:|---:|");
        double one = 0;
        for (int k : new int[] {1, 3, 10}) {
            double seq = round(k, train, params, rounds, true);
            double all = round(k, train, params, rounds, false);
            if (k == 1) {
                one = Math.min(seq, all);
            }
            System.out.printf(Locale.ROOT, "| %d | %.2f | %.2f | %.2f | %.2f |%n", k, seq, seq / one, all, all / one);
        }
    }

    /** The transport as the coordinator saw it before #16: the calls of a phase one after another. */
    private static Transport sequential(GrpcTransport t) {
        return new Transport() {
            @Override
            public List<String> sites() {
                return t.sites();
            }

            @Override
            public Reply call(String site, Request request) throws ParticipantException {
                return t.call(site, request);
            }
        };
    }

    /** Mean wall time of rounds 1..rounds with {@code k} sites. */
    static double round(int k, double trainSeconds, long params, int rounds, boolean oneAfterAnother) throws Exception {
        List<String> sites = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            sites.add("s" + (i + 1));
        }
        Path pki = Files.createTempDirectory("resfim-round-bench");
        DevCertificates.create(pki, sites, List.of(), Duration.ofDays(1));
        EventLog quiet = new EventLog(null, "bench");
        FederationServer server = new FederationServer(new FederationServer.Options("127.0.0.1", 0,
                new Tls.Pem(pki.resolve("ca.pem"), pki.resolve("server.pem"), pki.resolve("server-key.pem")),
                AllowList.read(pki.resolve("allowlist.txt")), sites, "bench", 1L << 31), quiet);
        int port = server.start();
        ModelState initial = ExchangeBenchmark.state(params);
        ExecutorService pool = Executors.newCachedThreadPool();
        try {
            for (String s : sites) {
                ModelState[] held = new ModelState[1];
                SiteClient.Handler handler = (run, seed, r) -> {
                    switch (r.phase()) {
                        case SETUP -> {
                            held[0] = r.message().tensors();
                            return new Reply(s, Phase.SETUP, r.round(), null, 10, null, null);
                        }
                        case FIT -> {
                            try {
                                Thread.sleep((long) (trainSeconds * 1000));
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                            return new Reply(s, Phase.FIT, r.round(), Message.of(held[0]), 10, null, null);
                        }
                        default -> {
                            if (!r.message().isEmpty()) {
                                held[0] = r.message().tensors();
                            }
                            return new Reply(s, Phase.EVALUATE, r.round(), null, 10, null, null);
                        }
                    }
                };
                pool.submit(new SiteClient(new SiteClient.Options("127.0.0.1", port, s,
                        new Tls.Pem(pki.resolve("ca.pem"), pki.resolve("site-" + s + ".pem"), pki.resolve("site-" + s + "-key.pem")), "bench",
                        100, 500, 0, null), handler, new Audit(Files.createTempFile(pki, "audit-" + s, ".jsonl")), quiet)::run);
            }
            if (!server.awaitSites(sites, 60_000).containsAll(sites)) {
                throw new IllegalStateException("the sites did not connect");
            }
            GrpcTransport t = new GrpcTransport(server, sites, new GrpcTransport.Settings(600_000, 600_000, 0), quiet,
                    (s, r, sd, a, u, b, rj) -> { });
            t.beginRun("fedavg", 0, initial, 0, 2 * initial.numElements());
            long[] ends = new long[rounds + 1];
            RoundListener timer = new RoundListener() {
                @Override
                public void onSetup(List<Reply> replies, Message broadcast) {
                    ends[0] = System.nanoTime();
                }

                @Override
                public void onFailure(int round, Phase phase, String site, String message, boolean permanent) {
                    throw new IllegalStateException(site + " failed in " + phase + " round " + round + ": " + message);
                }

                @Override
                public void onRoundEnd(int round, ProcedureState serverState) {
                    ends[round] = System.nanoTime();
                }
            };
            new Coordinator(oneAfterAnother ? sequential(t) : t, AlgorithmRegistry.create("fedavg").newServer(initial), new FederationSettings(rounds, 1.0, k), timer, 0)
                    .run(initial);
            server.byeAll("done");
            return (ends[rounds] - ends[0]) / 1e9 / rounds;
        } finally {
            server.close();
            pool.shutdownNow();
        }
    }
}
