package org.resfim.transport;

import io.grpc.ServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.GrpcHttp2ConnectionHandler;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.InternalNettyServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.InternalProtocolNegotiator;
import io.grpc.netty.shaded.io.grpc.netty.InternalProtocolNegotiators;
import io.grpc.netty.shaded.io.netty.channel.ChannelDuplexHandler;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandler;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.NotSslRecordException;
import io.grpc.netty.shaded.io.netty.util.AsciiString;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;

import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collection;

/**
 * Mutual TLS from PEM files: a CA certificate both ends trust, and each end's certificate and PKCS#8 key.
 * The server requires a client certificate issued by the CA and valid now; every failed handshake (a refused
 * certificate with its subject and issuer, no certificate, not TLS) is logged with the peer's address and the reason.
 */
public final class Tls {
    private Tls() {
    }

    /** The PEM files of one end: the CA certificate to trust, this end's certificate (chain) and private key. */
    public record Pem(Path ca, Path cert, Path key) {
        public void check() {
            for (Path p : new Path[] {ca, cert, key}) {
                if (p == null || !Files.isRegularFile(p)) {
                    throw new IllegalArgumentException("TLS file not found: " + p
                            + " (create development certificates with 'resfim certs --out DIR --sites a,b,c', or run with --insecure)");
                }
            }
        }

        /**
         * The server's own checks: the CA's private key must not sit in the folders the server reads (whoever can
         * read them could issue site certificates); a private key readable by others is reported.
         */
        public void checkServerFiles(EventLog log) {
            java.util.Set<Path> folders = new java.util.LinkedHashSet<>();
            for (Path p : new Path[] {ca, cert, key}) {
                Path parent = p.toAbsolutePath().getParent();
                if (parent != null) {
                    folders.add(parent);
                }
            }
            for (Path f : folders) {
                if (Files.exists(f.resolve("ca-key.pem"))) {
                    throw new IllegalArgumentException(f.resolve("ca-key.pem") + ": the CA's private key is in the server's TLS folder; move it"
                            + " offline (resfim certs keeps it in " + DevCertificates.caDirFor(f) + ")");
                }
            }
            try {
                java.util.Set<java.nio.file.attribute.PosixFilePermission> perms = Files.getPosixFilePermissions(key);
                if (perms.stream().anyMatch(x -> x.name().startsWith("GROUP") || x.name().startsWith("OTHERS"))) {
                    log.warn(key + " is readable by others (" + java.nio.file.attribute.PosixFilePermissions.toString(perms)
                            + "); make it 0600");
                }
            } catch (UnsupportedOperationException | java.io.IOException notPosix) {
                // nothing to check
            }
        }
    }

    /**
     * The server's credentials: {@link #server}'s context, with every failed handshake (a certificate refused, no
     * certificate at all, not TLS) logged with the peer's address and the escaped reason. Uses gRPC's internal
     * negotiator API (pinned gRPC version): the public one offers no hook for failed handshakes.
     */
    public static ServerCredentials serverCredentials(Pem f, EventLog log) {
        InternalProtocolNegotiator.ProtocolNegotiator tls = InternalProtocolNegotiators.serverTls(server(f, log));
        return InternalNettyServerCredentials.create(new InternalProtocolNegotiator.ProtocolNegotiator() {
            @Override
            public AsciiString scheme() {
                return tls.scheme();
            }

            @Override
            public ChannelHandler newHandler(GrpcHttp2ConnectionHandler grpcHandler) {
                return new HandshakeLogger(tls.newHandler(grpcHandler), log);
            }

            @Override
            public void close() {
                tls.close();
            }
        });
    }

    /**
     * Sits after gRPC's TLS handler: sees the exception a failed handshake raises and logs it once, with the
     * connection's remote address; passes everything on untouched.
     */
    static final class HandshakeLogger extends ChannelDuplexHandler {
        private final ChannelHandler tls;
        private final EventLog log;
        private boolean logged;

        HandshakeLogger(ChannelHandler tls, EventLog log) {
            this.tls = tls;
            this.log = log;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
            ctx.pipeline().addBefore(ctx.name(), null, tls);
            super.handlerAdded(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
            if (!logged) {
                String why = null;
                boolean tls = false;
                for (Throwable t = cause; t != null; t = t.getCause()) {
                    tls |= t instanceof javax.net.ssl.SSLException || t instanceof NotSslRecordException;
                    if (t instanceof NotSslRecordException) {
                        why = "not a TLS client";
                    } else if (t instanceof CertificateException && t.getMessage() != null && t.getMessage().startsWith("certificate ")) {
                        why = t.getMessage(); // the trust manager's verdict, naming the certificate
                        break;
                    } else if (why == null || t.getMessage() != null) {
                        why = t.getMessage();
                    }
                }
                if (tls) {
                    logged = true;
                    String w = String.valueOf(why);
                    if (w.contains("Empty client certificate chain") || w.contains("PEER_DID_NOT_RETURN_A_CERTIFICATE")
                            || w.contains("CERTIFICATE_REQUIRED")) {
                        w = "no client certificate (" + w + ")";
                    }
                    log.warn("refused TLS client " + ctx.channel().remoteAddress() + ": " + LogText.line(w, LogText.MESSAGE)); // the trust manager escaped the names
                }
            }
            super.exceptionCaught(ctx, cause);
        }
    }

    /** The server's context: its certificate, and client certificates required and checked against the CA. */
    public static SslContext server(Pem f, EventLog log) {
        f.check();
        try {
            return GrpcSslContexts.configure(io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder.forServer(f.cert().toFile(), f.key().toFile()))
                    .trustManager(new LoggingTrustManager(trustManager(f.ca()), log))
                    .clientAuth(ClientAuth.REQUIRE)
                    .build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot set up TLS from " + f.cert() + " and " + f.key() + ": " + e.getMessage(), e);
        }
    }

    /** A site's context: its certificate for the server to check, and the CA that issued the server's. */
    public static SslContext client(Pem f) {
        f.check();
        try {
            return GrpcSslContexts.forClient().trustManager(trustManager(f.ca())).keyManager(f.cert().toFile(), f.key().toFile()).build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot set up TLS from " + f.cert() + " and " + f.key() + ": " + e.getMessage(), e);
        }
    }

    /** The identity a certificate proves: its subject's common name (CN). */
    public static String identity(X509Certificate c) {
        try {
            for (Rdn r : new LdapName(c.getSubjectX500Principal().getName()).getRdns()) {
                if (r.getType().equalsIgnoreCase("CN")) {
                    return String.valueOf(r.getValue());
                }
            }
        } catch (InvalidNameException e) {
            return null;
        }
        return null;
    }

    static X509TrustManager trustManager(Path caPem) {
        try (InputStream in = Files.newInputStream(caPem)) {
            Collection<? extends java.security.cert.Certificate> cas = CertificateFactory.getInstance("X.509").generateCertificates(in);
            if (cas.isEmpty()) {
                throw new IllegalArgumentException("no certificate in " + caPem);
            }
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            int i = 0;
            for (java.security.cert.Certificate c : cas) {
                ks.setCertificateEntry("ca-" + i++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
            tmf.init(ks);
            for (TrustManager tm : tmf.getTrustManagers()) {
                if (tm instanceof X509TrustManager x) {
                    return x;
                }
            }
            throw new IllegalStateException("no X.509 trust manager");
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot read the CA certificate " + caPem + ": " + e.getMessage(), e);
        }
    }

    /** A certificate for a log line: its CN and issuer escaped (they are the peer's text). */
    static String describe(X509Certificate[] chain) {
        if (chain == null || chain.length == 0) {
            return "no certificate";
        }
        X509Certificate c = chain[0];
        return "certificate " + LogText.quote(identity(c)) + " (issuer " + LogText.clean(c.getIssuerX500Principal().getName(), LogText.NAME)
                + ", valid " + c.getNotBefore().toInstant() + " to " + c.getNotAfter().toInstant() + ")";
    }

    /**
     * Checks client certificates with the CA's trust manager; a refusal names the certificate (escaped) in its
     * message, which the handshake logger writes with the peer's address.
     */
    static final class LoggingTrustManager extends X509ExtendedTrustManager {
        private final X509TrustManager delegate;
        private final EventLog log;

        LoggingTrustManager(X509TrustManager delegate, EventLog log) {
            this.delegate = delegate;
            this.log = log;
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            try {
                delegate.checkClientTrusted(chain, authType);
            } catch (CertificateException e) {
                String why = e.getMessage();
                Throwable t = e;
                while (t.getCause() != null) {
                    t = t.getCause();
                    why = t.getMessage();
                }
                throw new CertificateException(describe(chain) + ": " + LogText.message(why), e);
            }
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            checkClientTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            checkClientTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            delegate.checkServerTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            delegate.checkServerTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            delegate.checkServerTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            // no CA list in the handshake: a client sends whatever certificate it has, so a wrong one is checked and logged
            return new X509Certificate[0];
        }
    }
}
