package org.resfim.transport;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.resfim.run.Plans;
import org.resfim.run.RunPlan;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Issue #17, scenario 2, with a real server process on 127.0.0.1: an answer inside the server's byte limit that
 * decodes to millions of objects. Limits are applied before anything is allocated: by phase on the declared size
 * (a SETUP answer may carry the style bank the configuration allows, no more), and on every count as it is read.
 */
class ServerLimitsTest {
    private final List<Process> children = new ArrayList<>();
    private final List<AutoCloseable> closing = new ArrayList<>();
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void cleanUp() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
        for (Process p : children) {
            p.destroyForcibly();
        }
        threads.shutdownNow();
    }

    /**
     * A valid RFIM encoding of {@code count} empty tensors: ~23 bytes each on the wire, ~10 times that as Java
     * objects once decoded.
     */
    static byte[] manyEmptyTensors(int count) {
        int perTensor = 4 + 8 + 3 + 4;
        long headerLen = 8 + (long) count * perTensor;
        long total = 12 + headerLen + 4 + 4L * count + 4;
        ByteBuffer b = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RFIM".getBytes(StandardCharsets.US_ASCII)).putInt(1).putInt((int) headerLen);
        b.putInt(0).putInt(count);
        for (int i = 0; i < count; i++) {
            b.putInt(8).put((byte) 'w');
            for (int d = 1000000; d > 0; d /= 10) {
                b.put((byte) ('0' + (i / d) % 10));
            }
            b.put((byte) 0).put((byte) 0).put((byte) 1).putInt(0);
        }
        b.putInt((int) crc(b.array(), 0, b.position()));
        for (int i = 0; i < count; i++) {
            b.putInt(0); // the CRC32 of no bytes
        }
        b.putInt((int) crc(b.array(), 0, b.position()));
        return b.array();
    }

    private static long crc(byte[] a, int off, int len) {
        CRC32 c = new CRC32();
        c.update(a, off, len);
        return c.getValue();
    }

    private static String read(Path f) {
        try {
            return Files.exists(f) ? Files.readString(f) : "";
        } catch (IOException e) {
            return "";
        }
    }

    private Process java(Path log, String heap, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), heap,
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), "org.resfim.cli.Main"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        children.add(p);
        return p;
    }

    private static void await(String what, long seconds, java.util.function.BooleanSupplier done, Path log) throws Exception {
        DeploymentTest.await(what, seconds, done, log);
    }

    /** Connects as {@code site} without TLS and answers the first call with {@code payload} as its state. */
    private void hostileSite(int port, String site, String plan, byte[] payload) {
        ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().maxInboundMessageSize(Protocol.MAX_FRAME_BYTES).build();
        closing.add(ch::shutdownNow);
        StreamObserver<Frame>[] toServer = new StreamObserver[1];
        toServer[0] = ClientCalls.asyncBidiStreamingCall(ch.newCall(Protocol.SESSION, CallOptions.DEFAULT), new StreamObserver<>() {
            private boolean answered;

            @Override
            public void onNext(Frame f) {
                if (f instanceof Frame.Call c && !answered) {
                    answered = true;
                    threads.submit(() -> {
                        synchronized (toServer) {
                            toServer[0].onNext(new Frame.Answer(c.id(), c.phase(), c.round(), site, 10, null, null, null, payload.length, 0,
                                    Protocol.DTYPE, "", false));
                            for (Frame.Chunk x : new Payload(payload, new byte[0]).chunks(c.id())) {
                                toServer[0].onNext(x);
                            }
                        }
                    });
                }
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
            }
        });
        synchronized (toServer) {
            toServer[0].onNext(new Frame.Hello(Protocol.VERSION, site, "hostile", plan));
        }
    }

    @Test
    void aSetupAnswerOfMillionsOfTinyTensorsIsRefusedBeforeDecodingAndTheServerLivesOn(@TempDir Path tmp) throws Exception {
        Path cfg = tmp.resolve("tiny.yaml");
        Files.writeString(cfg, DeploymentTest.yaml(2, "pfl-resfim"));
        Path run = tmp.resolve("run");
        RunPlan plan = Plans.build(new Plans.Overrides(cfg, null, null, null, null, null, null, run));
        byte[] bomb = manyEmptyTensors(2_600_000);
        assertTrue(bomb.length > 55_000_000 && bomb.length < 82_000_000, "size " + bomb.length);
        Path serverLog = tmp.resolve("server.log");
        // 256 MB of heap; 60 MB of tiny tensors (inside the 82 MB the server accepted for any answer) decode to ~300 MB
        Process server = java(serverLog, "-Xmx256m", "server", "--config", cfg.toString(), "--out", run.toString(), "--host", "127.0.0.1",
                "--port", "0", "--insecure", "--wait-for-sites", "10", "--rejoin-grace", "0", "--call-timeout", "120");
        int port = DeploymentTest.awaitPort(run, serverLog);
        hostileSite(port, "synthetic-1", Deployment.planSha256(plan), bomb);

        await("the refusal of the SETUP answer", 120, () -> read(serverLog).contains("its SETUP answer (round 0) declares a payload of "
                + bomb.length + " bytes, more than the limit of"), serverLog);
        await("the server to go on with the round", 120, () -> read(serverLog).contains("round 1/2 complete"), serverLog);
        String s = read(serverLog);
        assertFalse(s.contains("OutOfMemoryError"), s);
        assertTrue(s.contains("site 'synthetic-1' broke the protocol"), s);
    }
}
