package org.resfim.transport;

import io.grpc.Attributes;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServerTransportFilter;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;

import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The server's gRPC endpoint: sites dial in, prove who they are, and keep one session each: a second connection
 * for a site whose session is live is refused, a stream must say Hello within {@link Limits#helloTimeoutMillis},
 * and one identity holds a bounded number of connections and streams. With TLS a
 * client certificate from the CA is required, its identity must be on the allow-list, and the site it
 * claims in its Hello must be the one its identity is bound to; without TLS ({@code --insecure}) a site
 * is whoever it says it is. Every refusal is logged and nothing the refused peer sent is used.
 */
public final class FederationServer implements AutoCloseable {
    private static final Context.Key<Peer> PEER = Context.key("resfim-peer");

    private static final Attributes.Key<Connection> CONNECTION = Attributes.Key.create("resfim-connection");
    private static final AtomicLong CONNECTION_IDS = new AtomicLong();

    /** Who is at the other end of a stream, as the TLS layer proved it, and on which connection. */
    /**
     * @param streamsAtOpen the connection's open streams counting this one, taken in the same atomic step that counted
     *                      it (0 without a counted connection): concurrent opens get distinct numbers, so exactly the
     *                      streams past the cap are refused
     */
    record Peer(String identity, String fingerprint, String address, Connection connection, int streamsAtOpen) {
    }

    /** One TCP (TLS) connection: its proven identity, its streams, and why its streams are refused (over a cap). */
    static final class Connection {
        final long id = CONNECTION_IDS.incrementAndGet();
        final String identity;
        final String address;
        final AtomicInteger streams = new AtomicInteger();
        volatile String refusal;

        Connection(String identity, String address) {
            this.identity = identity;
            this.address = address;
        }
    }

    /**
     * What one peer may hold open.
     *
     * @param helloTimeoutMillis        a stream that has not said Hello by then is refused and closed
     * @param maxStreamsPerConnection   more streams on one connection are refused (a site needs one)
     * @param maxConnectionsPerIdentity more connections with one certificate identity are refused (TLS only)
     * @param idleTimeoutMillis         a connection without any stream for that long is closed
     * @param livenessTimeoutMillis     a site whose handler makes no progress on a call for that long (its
     *                                  {@link Frame.Progress} reports stand still or stop) is skipped for the round and
     *                                  told to reconnect, long before the call's deadline; 0 = no liveness check
     */
    public record Limits(long helloTimeoutMillis, int maxStreamsPerConnection, int maxConnectionsPerIdentity, long idleTimeoutMillis,
                         long livenessTimeoutMillis) {
        public static final long DEFAULT_LIVENESS_MILLIS = 60_000;
        public static final Limits DEFAULT = new Limits(10_000, 4, 4, 120_000, DEFAULT_LIVENESS_MILLIS);

        public Limits {
            if (helloTimeoutMillis <= 0 || maxStreamsPerConnection < 1 || maxConnectionsPerIdentity < 1 || idleTimeoutMillis <= 0
                    || livenessTimeoutMillis < 0) {
                throw new IllegalArgumentException("connection limits must be positive: " + helloTimeoutMillis + " ms, " + maxStreamsPerConnection
                        + " streams, " + maxConnectionsPerIdentity + " connections, " + idleTimeoutMillis + " ms, liveness "
                        + livenessTimeoutMillis + " ms");
            }
        }

        public Limits(long helloTimeoutMillis, int maxStreamsPerConnection, int maxConnectionsPerIdentity, long idleTimeoutMillis) {
            this(helloTimeoutMillis, maxStreamsPerConnection, maxConnectionsPerIdentity, idleTimeoutMillis, DEFAULT_LIVENESS_MILLIS);
        }

        /** How often a site reports its progress on a call: four reports per liveness timeout (0: none). */
        public long progressMillis() {
            return livenessTimeoutMillis == 0 ? 0 : Math.max(50, livenessTimeoutMillis / 4);
        }
    }

    /**
     * @param tls             PEM files, or null for plaintext ({@code --insecure})
     * @param allow           identity → site bindings (required with TLS)
     * @param sites           the sites of the federation
     * @param planSha256      hash of the settings every site must share
     * @param maxPayloadBytes largest payload (state + mask) a site may send with one answer
     * @param limits          what one peer may hold open
     */
    public record Options(String host, int port, Tls.Pem tls, AccessLists access, List<String> sites, String planSha256,
                          long maxPayloadBytes, Limits limits) {
        public Options(String host, int port, Tls.Pem tls, AllowList allow, List<String> sites, String planSha256, long maxPayloadBytes) {
            this(host, port, tls, allow, sites, planSha256, maxPayloadBytes, Limits.DEFAULT);
        }

        public Options(String host, int port, Tls.Pem tls, AllowList allow, List<String> sites, String planSha256, long maxPayloadBytes,
                       Limits limits) {
            this(host, port, tls, allow == null ? null : AccessLists.fixed(allow), sites, planSha256, maxPayloadBytes, limits);
        }

        public Options {
            limits = limits == null ? Limits.DEFAULT : limits;
        }
    }

    private final Options options;
    private final EventLog log;
    private final Map<String, SiteSession> sessions = new ConcurrentHashMap<>();
    private final Map<String, Set<Connection>> connectionsOf = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "federation-server-timers");
        t.setDaemon(true);
        return t;
    });
    private final Object changed = new Object();
    private volatile Consumer<String> onChange = s -> { };
    private final java.util.concurrent.atomic.AtomicLong refusals = new java.util.concurrent.atomic.AtomicLong();
    private volatile String lastRefusal;
    private Server server;

    public FederationServer(Options options, EventLog log) {
        this.options = options;
        this.log = log;
        if (options.tls() != null && options.access() == null) {
            throw new IllegalArgumentException("with TLS the server needs an allow-list (--allow FILE) binding certificate identities to sites");
        }
        if (options.tls() != null) {
            options.tls().checkServerFiles(log);
        }
    }

    /** Starts listening; returns the bound port (the requested one, or an ephemeral one for port 0). */
    public int start() {
        ServerServiceDefinition def = ServerServiceDefinition.builder(Protocol.SERVICE)
                .addMethod(Protocol.SESSION, ServerCalls.asyncBidiStreamingCall(this::open)).build();
        InetSocketAddress at = new InetSocketAddress(options.host(), options.port());
        NettyServerBuilder b = (options.tls() != null ? NettyServerBuilder.forAddress(at, Tls.serverCredentials(options.tls(), log))
                : NettyServerBuilder.forAddress(at))
                .addService(ServerInterceptors.intercept(def, new PeerInterceptor()))
                .addTransportFilter(new ConnectionCounter())
                // a backstop under the per-connection stream cap checked (and logged) in open()
                .maxConcurrentCallsPerConnection(Math.max(16, 4 * options.limits().maxStreamsPerConnection()))
                .maxConnectionIdle(options.limits().idleTimeoutMillis(), TimeUnit.MILLISECONDS)
                .maxInboundMessageSize(Protocol.MAX_FRAME_BYTES)
                .flowControlWindow(Protocol.FLOW_WINDOW_BYTES)
                .keepAliveTime(30, TimeUnit.SECONDS)
                .keepAliveTimeout(20, TimeUnit.SECONDS)
                .permitKeepAliveTime(5, TimeUnit.SECONDS)
                .permitKeepAliveWithoutCalls(true);
        try {
            server = b.build().start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + options.host() + ":" + options.port() + ": " + e.getMessage(), e);
        }
        int port = server.getPort();
        if (options.tls() != null) {
            List<String> unpinned = options.access().allow().unpinned();
            if (!unpinned.isEmpty()) {
                log.warn("the allow-list binds " + unpinned.size() + " identities by name only (" + LogText.clean(String.valueOf(unpinned), 300)
                        + "): any certificate of the CA with such a name is admitted; add its sha256 fingerprint to bind it to one certificate");
            }
            // a changed allow- or deny-list takes effect without a restart, for live sessions too
            timers.scheduleWithFixedDelay(this::recheckSessions, 2, 2, TimeUnit.SECONDS);
        }
        log.info("listening on " + options.host() + ":" + port + (options.tls() != null ? " with mutual TLS" : " WITHOUT TLS (--insecure)")
                + ", protocol version " + Protocol.VERSION + ", sites " + options.sites());
        return port;
    }

    /** Called with a one-line description whenever a site connects or disconnects. */
    public void onChange(Consumer<String> listener) {
        this.onChange = listener;
    }

    public SiteSession session(String site) {
        SiteSession s = sessions.get(site);
        return s != null && s.open() ? s : null;
    }

    /** Waits up to {@code millis} for {@code site} to be connected. */
    public SiteSession awaitSession(String site, long millis) throws InterruptedException {
        long end = System.nanoTime() + millis * 1_000_000L;
        synchronized (changed) {
            while (true) {
                SiteSession s = session(site);
                long left = (end - System.nanoTime()) / 1_000_000L;
                if (s != null || left <= 0) {
                    return s;
                }
                changed.wait(Math.min(left, 200));
            }
        }
    }

    /** Waits up to {@code millis} for all of {@code sites}; returns the connected ones. */
    public Set<String> awaitSites(Collection<String> sites, long millis) throws InterruptedException {
        long end = System.nanoTime() + millis * 1_000_000L;
        synchronized (changed) {
            while (true) {
                Set<String> c = connected();
                long left = (end - System.nanoTime()) / 1_000_000L;
                if (c.containsAll(sites) || left <= 0) {
                    return c;
                }
                changed.wait(Math.min(left, 200));
            }
        }
    }

    public Set<String> connected() {
        Set<String> out = new TreeSet<>();
        sessions.forEach((k, v) -> {
            if (v.open()) {
                out.add(k);
            }
        });
        return out;
    }

    /** Tells every connected site the federation is over. */
    public void byeAll(String reason) {
        for (SiteSession s : sessions.values()) {
            s.bye(reason);
        }
    }

    @Override
    public void close() {
        timers.shutdownNow();
        if (server != null) {
            server.shutdownNow();
            try {
                server.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Re-reads changed access lists; closes, for good, every live session whose certificate they no longer admit. */
    private void recheckSessions() {
        try {
            if (!options.access().refresh(log)) {
                return;
            }
            for (SiteSession s : sessions.values()) {
                if (!s.open()) {
                    continue;
                }
                String why = options.access().refusal(s.identity(), s.fingerprint());
                if (why == null && !s.site().equals(options.access().allow().siteOf(s.identity()))) {
                    why = "certificate identity " + LogText.quote(s.identity()) + " is no longer bound to site '" + s.site() + "'";
                }
                if (why != null) {
                    log.warn("closing the session of site '" + s.site() + "' (" + s.address() + "): " + why);
                    s.revoke(why);
                }
            }
        } catch (RuntimeException e) {
            log.warn("could not re-check the access lists: " + e.getMessage());
        }
    }

    private void changed(String what) {
        synchronized (changed) {
            changed.notifyAll();
        }
        log.info(what);
        onChange.accept(what);
    }

    // ------------------------------------------------------------------ one stream

    private StreamObserver<Frame> open(StreamObserver<Frame> toSite) {
        ServerCallStreamObserver<Frame> obs = (ServerCallStreamObserver<Frame>) toSite;
        // frames are read one at a time: a session may stop reading while its answer waits for a place to be received
        obs.disableAutoRequest();
        Outbound out = new Outbound(obs);
        obs.setOnReadyHandler(out::onReady);
        Peer peer = PEER.get();
        if (peer.connection() != null && peer.connection().refusal != null) {
            return refuse(out, peer, peer.connection().refusal, false, Status.RESOURCE_EXHAUSTED);
        }
        int maxStreams = options.limits().maxStreamsPerConnection();
        if (peer.connection() != null && peer.streamsAtOpen() > maxStreams) {
            return refuse(out, peer, "more than " + maxStreams + " streams on one connection", false, Status.RESOURCE_EXHAUSTED);
        }
        String boundSite = null;
        if (options.tls() != null) {
            options.access().refresh(log);
            String why = options.access().refusal(peer.identity(), peer.fingerprint());
            if (why != null) {
                return refuse(out, peer, why, true, Status.PERMISSION_DENIED);
            }
            boundSite = options.access().allow().siteOf(peer.identity());
        }
        String bound = boundSite;
        var stream = new StreamObserver<Frame>() {
            private SiteSession session;
            private boolean refused;
            private java.util.concurrent.ScheduledFuture<?> helloTimer;

            /** No Hello in time: the stream is refused (and logged with the peer's address). */
            synchronized void helloTimedOut() {
                if (session == null && !refused) {
                    refused = true;
                    refuse(out, peer, "no Hello within " + options.limits().helloTimeoutMillis() / 1000.0 + " s", false, Status.DEADLINE_EXCEEDED);
                }
            }

            synchronized void startHelloTimer() {
                helloTimer = timers.schedule(this::helloTimedOut, options.limits().helloTimeoutMillis(), TimeUnit.MILLISECONDS);
            }

            @Override
            public synchronized void onNext(Frame f) {
                if (refused) {
                    return;
                }
                if (session != null) {
                    if (session.onFrame(f)) {
                        obs.request(1);
                    }
                    return;
                }
                obs.request(1);
                if (helloTimer != null) {
                    helloTimer.cancel(false);
                }
                if (!(f instanceof Frame.Hello h)) {
                    refused = true;
                    refuse(out, peer, "the first frame must be Hello, got " + f.getClass().getSimpleName(), true, Status.INVALID_ARGUMENT);
                    return;
                }
                String why = admit(h, bound, peer);
                if (why != null) {
                    refused = true;
                    refuse(out, peer, why, true, Status.PERMISSION_DENIED);
                    return;
                }
                SiteSession s = new SiteSession(h.site(), options.tls() == null ? "(insecure)" : peer.identity(), peer.fingerprint(),
                        peer.address(), out, options.maxPayloadBytes(), options.limits().livenessTimeoutMillis(), log, () -> {
                            try {
                                obs.request(1);
                            } catch (RuntimeException ignored) {
                                // the stream is closed already
                            }
                        });
                // one live session per site: a second connection is refused while the first is open (a stolen key
                // cannot push the real site off); a site whose old connection is gone gets in at once
                SiteSession[] live = new SiteSession[1];
                sessions.compute(h.site(), (k, old) -> {
                    if (old != null && old.open()) {
                        live[0] = old;
                        return old;
                    }
                    return s;
                });
                if (live[0] != null) {
                    refused = true;
                    refuse(out, peer, "site '" + h.site() + "' is already connected (from " + live[0].address() + " as " + live[0].identity()
                            + "); a second connection for a live site is refused", false, Status.ALREADY_EXISTS);
                    return;
                }
                session = s;
                try {
                    out.sendNow(new Frame.Welcome(Protocol.VERSION, h.site(), org.resfim.run.BuildInfo.version(), options.planSha256(),
                            options.limits().progressMillis()));
                } catch (TransportException e) {
                    s.closed(e.getMessage());
                    return;
                }
                changed("site '" + h.site() + "' connected from " + peer.address() + " as " + LogText.quote(s.identity()) + " (software "
                        + LogText.clean(h.software(), 100) + "); connected: " + connected());
            }

            @Override
            public void onError(Throwable t) {
                end("connection lost (" + Status.fromThrowable(t).getCode() + ": " + Status.fromThrowable(t).getDescription() + ")");
            }

            @Override
            public void onCompleted() {
                out.complete();
                end("the site closed its connection");
            }

            private synchronized void end(String why) {
                if (helloTimer != null) {
                    helloTimer.cancel(false);
                }
                SiteSession s = session;
                boolean wasOpen = s != null && s.open();
                if (s != null) {
                    s.closed(why); // fails a call in flight at once
                    sessions.remove(s.site(), s);
                }
                out.peerGone(why);
                if (wasOpen) {
                    changed("site '" + s.site() + "' disconnected: " + why + "; connected: " + connected());
                }
            }
        };
        stream.startHelloTimer();
        obs.request(1);
        return stream;
    }

    /** Why a Hello is refused, or null to admit it. */
    private String admit(Frame.Hello h, String boundSite, Peer peer) {
        String site = LogText.quote(h.site());
        if (h.protocolVersion() != Protocol.VERSION) {
            return Protocol.versionMismatch("site " + site, h.protocolVersion());
        }
        if (boundSite != null && !boundSite.equals(h.site())) {
            return "certificate identity " + LogText.quote(peer.identity()) + " is bound to site '" + boundSite + "', not to site " + site;
        }
        if (!options.sites().contains(h.site())) {
            return "site " + site + " is not part of this federation " + options.sites();
        }
        if (!options.planSha256().equals(h.planSha256())) {
            return "site " + site + " runs a different plan (sha256 " + shortHash(h.planSha256()) + ") than the server (sha256 "
                    + shortHash(options.planSha256()) + "): methods, seeds, rounds, training, model and evaluation settings must be the same";
        }
        return null;
    }

    private static String shortHash(String h) {
        return LogText.clean(h == null || h.length() < 12 ? String.valueOf(h) : h.substring(0, 12), 12);
    }

    /** Streams refused since the start (not allowed, wrong plan or version, a second session, over a limit, no Hello). */
    public long refusals() {
        return refusals.get();
    }

    /** The last refusal as the log wrote it, or null. */
    public String lastRefusal() {
        return lastRefusal;
    }

    private StreamObserver<Frame> refuse(Outbound out, Peer peer, String why, boolean permanent, Status status) {
        refusals.incrementAndGet();
        lastRefusal = peer.address() + ": " + LogText.line(why, LogText.MESSAGE);
        log.warn("refused " + peer.address() + (peer.identity() == null ? "" : " (" + LogText.clean(peer.identity(), LogText.NAME) + ")") + ": "
                + LogText.line(why, LogText.MESSAGE)); // the names in it were escaped where it was written
        try {
            out.sendNow(new Frame.Refusal(why, Protocol.VERSION, permanent));
        } catch (TransportException ignored) {
            // gone already
        }
        out.fail(status.withDescription(why).asRuntimeException());
        return new StreamObserver<>() {
            @Override
            public void onNext(Frame value) {
                // nothing a refused peer sends is used
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
            }
        };
    }

    /** The certificate the TLS layer verified for a connection or call, or null. */
    private static X509Certificate certificateOf(Attributes a) {
        SSLSession ssl = a.get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
        if (ssl != null) {
            try {
                Certificate[] chain = ssl.getPeerCertificates();
                if (chain.length > 0 && chain[0] instanceof X509Certificate x) {
                    return x;
                }
            } catch (SSLPeerUnverifiedException e) {
                return null;
            }
        }
        return null;
    }

    /** The identity the TLS layer proved for a connection or call (its certificate's), or null. */
    /** Open connections of a certificate identity that count against {@link Limits#maxConnectionsPerIdentity}. */
    int connectionsOf(String identity) {
        Set<Connection> open = connectionsOf.get(identity);
        if (open == null) {
            return 0;
        }
        synchronized (open) {
            return open.size();
        }
    }

    private static String identityOf(Attributes a) {
        X509Certificate x = certificateOf(a);
        return x == null ? null : Tls.identity(x);
    }

    /**
     * Counts connections per certificate identity: one over {@link Limits#maxConnectionsPerIdentity} has all its
     * streams refused (and, without streams, is closed when idle). Without TLS there is no identity to count.
     */
    private final class ConnectionCounter extends ServerTransportFilter {
        @Override
        public Attributes transportReady(Attributes a) {
            Connection c = new Connection(identityOf(a), String.valueOf(a.get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR)));
            if (c.identity != null) {
                int max = options.limits().maxConnectionsPerIdentity();
                Set<Connection> open = connectionsOf.computeIfAbsent(c.identity, k -> ConcurrentHashMap.newKeySet());
                synchronized (open) {
                    if (open.size() >= max) {
                        c.refusal = "more than " + max + " connections with certificate identity '" + c.identity + "'";
                    } else {
                        open.add(c);
                    }
                }
            }
            return a.toBuilder().set(CONNECTION, c).build();
        }

        @Override
        public void transportTerminated(Attributes a) {
            Connection c = a.get(CONNECTION);
            if (c != null && c.identity != null) {
                Set<Connection> open = connectionsOf.get(c.identity);
                if (open != null) {
                    synchronized (open) {
                        open.remove(c);
                    }
                }
            }
        }
    }

    /** Puts the TLS-proven identity, the remote address and the connection of each call into its context; counts its streams. */
    private static final class PeerInterceptor implements ServerInterceptor {
        @Override
        public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
            X509Certificate cert = certificateOf(call.getAttributes());
            String identity = cert == null ? null : Tls.identity(cert);
            String fingerprint = cert == null ? null : AllowList.fingerprint(cert);
            SocketAddress addr = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
            Connection conn = call.getAttributes().get(CONNECTION);
            int streamsAtOpen = conn == null ? 0 : conn.streams.incrementAndGet();
            Context ctx = Context.current().withValue(PEER, new Peer(identity, fingerprint, String.valueOf(addr), conn, streamsAtOpen));
            ServerCall.Listener<Q> l = Contexts.interceptCall(ctx, call, headers, next);
            if (conn == null) {
                return l;
            }
            return new io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener<>(l) {
                @Override
                public void onComplete() {
                    conn.streams.decrementAndGet();
                    super.onComplete();
                }

                @Override
                public void onCancel() {
                    conn.streams.decrementAndGet();
                    super.onCancel();
                }
            };
        }
    }
}
