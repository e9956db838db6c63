package org.resfim.transport;

import org.resfim.algorithms.AlgorithmRegistry;
import org.resfim.federation.Message;
import org.resfim.federation.Phase;
import org.resfim.federation.Reply;
import org.resfim.federation.Request;
import org.resfim.federation.ServerProcedure;
import org.resfim.state.ModelState;
import org.resfim.state.NetworkPart;
import org.resfim.state.StateFile;
import org.resfim.state.Tensor;
import org.resfim.state.TensorRole;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Not a test: one model exchange (server → site, site → server) over loopback with mutual TLS, for 3.2 M and
 * 50 M parameters, against a raw byte copy of the same size (memory, and a plain loopback TCP socket) in the
 * same run; and the server's aggregation time with 10 sites.
 * {@code java -cp ... org.resfim.transport.ExchangeBenchmark [repeats]}
 */
public final class ExchangeBenchmark {
    private ExchangeBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int repeats = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        Path pki = Files.createTempDirectory("resfim-bench-pki");
        DevCertificates.create(pki, List.of("a"), List.of(), Duration.ofDays(1));
        EventLog quiet = new EventLog(null, "bench");
        FederationServer server = new FederationServer(new FederationServer.Options("127.0.0.1", 0,
                new Tls.Pem(pki.resolve("ca.pem"), pki.resolve("server.pem"), pki.resolve("server-key.pem")),
                AllowList.read(pki.resolve("allowlist.txt")), List.of("a"), "bench", 1L << 31), quiet);
        int port = server.start();
        ModelState[] held = new ModelState[1];
        SiteClient.Handler echo = (run, seed, r) -> {
            if (r.phase() == Phase.SETUP) {
                held[0] = r.message().tensors();
                return new Reply("a", Phase.SETUP, 0, null, 1, null, null);
            }
            return new Reply("a", Phase.FIT, r.round(), Message.of(held[0]), 1, null, null);
        };
        ExecutorService pool = Executors.newCachedThreadPool();
        Path auditFile = Files.createTempFile("resfim-bench", ".jsonl");
        pool.submit(new SiteClient(new SiteClient.Options("127.0.0.1", port, "a",
                new Tls.Pem(pki.resolve("ca.pem"), pki.resolve("site-a.pem"), pki.resolve("site-a-key.pem")), "bench", 100, 500, 0, null),
                echo, new Audit(auditFile), quiet)::run);
        server.awaitSites(List.of("a"), 30_000);
        System.out.println("| parameters | MB | gRPC+TLS down (s) | up (s) | MB/s (each way) | raw memory copy (s) | raw loopback TCP (s) | TCP MB/s |");
        System.out.println("|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (long n : new long[] {3_200_000L, 50_000_000L}) {
            ModelState m = state(n);
            double mb = StateFile.toBytes(m).length / 1e6;
            GrpcTransport t = new GrpcTransport(server, List.of("a"), new GrpcTransport.Settings(600_000, 600_000, 0), quiet,
                    (s, r, sd, a, u, b, rj) -> { });
            t.beginRun("bench", 0, m, 0, 2 * m.numElements());
            double bestDown = Double.MAX_VALUE;
            double bestUp = Double.MAX_VALUE;
            for (int i = 0; i < repeats; i++) {
                long t0 = System.nanoTime();
                t.call("a", new Request(Phase.SETUP, 0, Message.of(m)));
                bestDown = Math.min(bestDown, (System.nanoTime() - t0) / 1e9);
                t0 = System.nanoTime();
                t.call("a", new Request(Phase.FIT, 1, Message.empty()));
                bestUp = Math.min(bestUp, (System.nanoTime() - t0) / 1e9);
            }
            held[0] = null;
            byte[] bytes = StateFile.toBytes(m);
            double copy = Double.MAX_VALUE;
            double tcp = Double.MAX_VALUE;
            for (int i = 0; i < repeats; i++) {
                long t0 = System.nanoTime();
                byte[] c = bytes.clone();
                copy = Math.min(copy, (System.nanoTime() - t0) / 1e9);
                if (c.length != bytes.length) {
                    throw new IllegalStateException();
                }
                tcp = Math.min(tcp, tcpCopy(bytes));
            }
            System.out.printf(Locale.ROOT, "| %,d | %.1f | %.3f | %.3f | %.0f | %.4f | %.3f | %.0f |%n", n, mb, bestDown, bestUp,
                    mb / ((bestDown + bestUp) / 2), copy, tcp, mb / tcp);
        }
        server.byeAll("done");
        server.close();
        pool.shutdownNow();

        // aggregation at the server: 10 FedAvg uploads of a 3.2 M-parameter model
        ModelState initial = state(3_200_000);
        ServerProcedure fedavg = AlgorithmRegistry.create("fedavg").newServer(initial);
        List<Reply> uploads = new ArrayList<>();
        List<String> sites = new ArrayList<>();
        for (int k = 0; k < 10; k++) {
            sites.add("s" + k);
            uploads.add(new Reply("s" + k, Phase.FIT, 1, Message.of(state(3_200_000, k + 1)), 100 + k, null, null));
        }
        double agg = Double.MAX_VALUE;
        for (int i = 0; i < repeats; i++) {
            long t0 = System.nanoTime();
            fedavg.aggregate(1, uploads, sites);
            agg = Math.min(agg, (System.nanoTime() - t0) / 1e9);
        }
        System.out.printf(Locale.ROOT, "%nFedAvg aggregation of 10 sites × 3.2 M parameters (validation included): %.3f s%n", agg);
    }

    static ModelState state(long n) {
        return state(n, 0);
    }

    static ModelState state(long n, long seed) {
        ModelState s = new ModelState();
        SplittableRandom r = new SplittableRandom(seed);
        int per = 1 << 22;
        int k = 0;
        for (long left = n; left > 0; left -= per, k++) {
            int c = (int) Math.min(per, left);
            float[] d = new float[c];
            for (int i = 0; i < c; i++) {
                d[i] = (float) r.nextDouble(-1, 1);
            }
            s.put(new Tensor("layer." + k + ".weight", TensorRole.CONV_WEIGHT, NetworkPart.ENCODER, new int[] {c}, d));
        }
        return s;
    }

    /** Seconds to send {@code bytes} through a plain loopback TCP socket and read them back at the other end. */
    static double tcpCopy(byte[] bytes) throws IOException, InterruptedException {
        try (ServerSocket ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            byte[] into = new byte[bytes.length];
            Thread reader = new Thread(() -> {
                try (Socket s = ss.accept(); InputStream in = s.getInputStream()) {
                    new DataInputStream(in).readFully(into);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            reader.start();
            long t0 = System.nanoTime();
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), ss.getLocalPort()); OutputStream out = s.getOutputStream()) {
                out.write(bytes);
            }
            reader.join();
            return (System.nanoTime() - t0) / 1e9;
        }
    }
}
