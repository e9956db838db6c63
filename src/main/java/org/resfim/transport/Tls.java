package org.resfim.transport;

import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
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
 * The server requires a client certificate issued by the CA and valid now; every refused certificate is
 * logged with its subject, issuer and the reason.
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

    static String describe(X509Certificate[] chain) {
        if (chain == null || chain.length == 0) {
            return "no certificate";
        }
        X509Certificate c = chain[0];
        return "certificate '" + identity(c) + "' (issuer " + c.getIssuerX500Principal().getName() + ", valid "
                + c.getNotBefore().toInstant() + " to " + c.getNotAfter().toInstant() + ")";
    }

    /** Checks client certificates with the CA's trust manager and logs every refusal. */
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
                log.warn("refused TLS client " + describe(chain) + ": " + why);
                throw e;
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
