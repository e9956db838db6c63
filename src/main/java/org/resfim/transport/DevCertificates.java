package org.resfim.transport;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.resfim.state.AtomicFiles;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A development certificate authority (BouncyCastle): an EC P-256 CA, a server certificate for the given
 * host names and addresses, and one client certificate per site whose subject CN is the site name, plus the
 * server's allow-list binding each site certificate to its site. For production, use your own PKI and write
 * the allow-list by hand.
 *
 * <pre>
 * DIR-ca/ca.pem  ca-key.pem         the CA, in a folder of its own (keep it offline: not in the server's folder)
 * DIR/ca.pem                        the CA certificate (no key), for the server and every site
 * DIR/server.pem  server-key.pem    for 'resfim server --tls-dir DIR' (server authentication only)
 * DIR/site-NAME.pem  site-NAME-key.pem   for 'resfim client --site NAME' (client authentication only)
 * DIR/allowlist.txt                 identity → site, for 'resfim server --allow'
 * </pre>
 *
 * Private keys are created readable by their owner only (0600) from the first byte; folders holding them 0700.
 */
public final class DevCertificates {
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A certificate and its private key. */
    public record Issued(X509Certificate cert, PrivateKey key) {
    }

    private DevCertificates() {
    }

    public static KeyPair newKeyPair() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static X500Name name(String cn) {
        return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "ResFIM federation").addRDN(BCStyle.CN, cn).build();
    }

    /** A self-signed CA certificate valid from now for {@code validity}. */
    public static Issued authority(String cn, Duration validity) {
        KeyPair kp = newKeyPair();
        Instant now = Instant.now();
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name(cn), serial(), Date.from(now.minusSeconds(300)),
                    Date.from(now.plus(validity)), name(cn), kp.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(kp.getPublic()));
            return new Issued(sign(b, kp.getPrivate()), kp.getPrivate());
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot create the CA certificate: " + e.getMessage(), e);
        }
    }

    /**
     * A certificate issued by {@code ca} for subject CN {@code cn}, valid from {@code notBefore} to {@code notAfter};
     * {@code server} adds the server-auth purpose and {@code hosts} as subject alternative names.
     */
    public static Issued issue(Issued ca, String cn, boolean server, List<String> hosts, Instant notBefore, Instant notAfter) {
        KeyPair kp = newKeyPair();
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca.cert(), serial(), Date.from(notBefore), Date.from(notAfter),
                    name(cn), kp.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                            // one purpose each: the server's key cannot pose as a site, a site's cannot serve
                            server ? new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth} : new KeyPurposeId[] {KeyPurposeId.id_kp_clientAuth}))
                    .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca.cert()))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(kp.getPublic()));
            if (server && !hosts.isEmpty()) {
                List<GeneralName> names = new ArrayList<>();
                for (String h : hosts) {
                    names.add(isAddress(h) ? new GeneralName(GeneralName.iPAddress, h) : new GeneralName(GeneralName.dNSName, h));
                }
                b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(new GeneralName[0])));
            }
            return new Issued(sign(b, ca.key()), kp.getPrivate());
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot issue a certificate for '" + cn + "': " + e.getMessage(), e);
        }
    }

    /** The folder the CA of a PKI in {@code dir} is kept in: {@code DIR-ca}, next to it. */
    public static Path caDirFor(Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        return abs.resolveSibling(abs.getFileName() + "-ca");
    }

    /** Writes (or extends) a development PKI in {@code dir} with its CA in {@link #caDirFor}. */
    public static Map<String, Path> create(Path dir, List<String> sites, List<String> serverHosts, Duration validity) {
        return create(dir, caDirFor(dir), sites, serverHosts, validity);
    }

    /**
     * Writes (or extends) a development PKI: the CA (reused if present) in {@code caDir}, its certificate, the server's
     * and one per site in {@code dir}. A CA key left in {@code dir} by an older release is moved to {@code caDir}.
     */
    public static Map<String, Path> create(Path dir, Path caDir, List<String> sites, List<String> serverHosts, Duration validity) {
        Map<String, Path> written = new LinkedHashMap<>();
        try {
            createPrivateDirectory(dir);
            createPrivateDirectory(caDir);
            Path oldKey = dir.resolve("ca-key.pem");
            if (Files.isRegularFile(oldKey) && !Files.exists(caDir.resolve("ca-key.pem"))) {
                Files.copy(dir.resolve("ca.pem"), caDir.resolve("ca.pem"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                AtomicFiles.writePrivate(caDir.resolve("ca-key.pem"), Files.readAllBytes(oldKey));
                Files.delete(oldKey);
                written.put("ca (moved out of " + dir + ")", caDir.resolve("ca.pem"));
            }
            if (Files.isRegularFile(oldKey)) {
                throw new IllegalArgumentException(oldKey + ": a CA key must not sit in the server's folder, and " + caDir
                        + " holds one already; remove one of them");
            }
            Issued ca;
            if (Files.isRegularFile(caDir.resolve("ca.pem")) && Files.isRegularFile(caDir.resolve("ca-key.pem"))) {
                ca = new Issued(readCertificate(caDir.resolve("ca.pem")), readKey(caDir.resolve("ca-key.pem")));
            } else {
                ca = authority("ResFIM development CA", validity.plusDays(1));
                write(caDir, "ca", ca, written);
            }
            writePem(dir.resolve("ca.pem"), ca.cert());
            Instant now = Instant.now();
            Instant from = now.minusSeconds(300);
            if (!Files.isRegularFile(dir.resolve("server.pem"))) {
                List<String> hosts = new ArrayList<>(List.of("localhost", "127.0.0.1", "::1"));
                for (String h : serverHosts) {
                    if (!hosts.contains(h)) {
                        hosts.add(h);
                    }
                }
                write(dir, "server", issue(ca, "resfim-server", true, hosts, from, now.plus(validity)), written);
            }
            Map<String, String> allow = new LinkedHashMap<>();
            Map<String, java.util.Set<String>> prints = new LinkedHashMap<>();
            Path allowFile = dir.resolve("allowlist.txt");
            if (Files.isRegularFile(allowFile)) {
                AllowList before = AllowList.read(allowFile);
                allow.putAll(before.bindings());
                before.bindings().keySet().forEach(id -> prints.put(id, before.fingerprints(id)));
            }
            for (String site : sites) {
                requireName(site);
                Issued cert = issue(ca, site, false, List.of(), from, now.plus(validity));
                write(dir, "site-" + site, cert, written);
                allow.put(site, site);
                prints.put(site, java.util.Set.of(AllowList.fingerprint(cert.cert()))); // bound to this certificate, not only to its name
            }
            Files.writeString(allowFile, new AllowList(allow, prints).format(), StandardCharsets.UTF_8);
            written.put("allowlist", allowFile);
            return written;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write certificates to " + dir + ": " + e.getMessage(), e);
        }
    }

    static void requireName(String site) {
        if (!site.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
            throw new IllegalArgumentException("site name '" + site + "' must be 1-64 letters, digits, '.', '_' or '-'");
        }
    }

    private static void write(Path dir, String stem, Issued issued, Map<String, Path> written) throws IOException {
        Path cert = dir.resolve(stem + ".pem");
        Path key = dir.resolve(stem + "-key.pem");
        writePem(cert, issued.cert());
        StringWriter sw = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
            w.writeObject(new JcaPKCS8Generator(issued.key(), null).generate());
        }
        AtomicFiles.writePrivate(key, sw.toString().getBytes(StandardCharsets.US_ASCII));
        written.put(stem, cert);
    }

    /** Creates {@code dir} (mode 0700 where it is new and the file system is POSIX). */
    private static void createPrivateDirectory(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        try {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (UnsupportedOperationException notPosix) {
            Files.createDirectories(dir);
        }
    }

    public static void writePem(Path file, Object o) throws IOException {
        StringWriter sw = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
            w.writeObject(o);
        }
        Files.writeString(file, sw.toString(), StandardCharsets.US_ASCII);
    }

    /** Writes {@code issued} as {@code STEM.pem} and {@code STEM-key.pem} in {@code dir} (tests make odd certificates). */
    public static void write(Path dir, String stem, Issued issued) throws IOException {
        write(dir, stem, issued, new LinkedHashMap<>());
    }

    public static X509Certificate readCertificate(Path pem) throws IOException {
        try (Reader r = Files.newBufferedReader(pem, StandardCharsets.US_ASCII); PEMParser p = new PEMParser(r)) {
            Object o = p.readObject();
            if (!(o instanceof X509CertificateHolder h)) {
                throw new IOException(pem + " holds no certificate");
            }
            return new JcaX509CertificateConverter().getCertificate(h);
        } catch (GeneralSecurityException e) {
            throw new IOException(pem + ": " + e.getMessage(), e);
        }
    }

    public static PrivateKey readKey(Path pem) throws IOException {
        try (Reader r = Files.newBufferedReader(pem, StandardCharsets.US_ASCII); PEMParser p = new PEMParser(r)) {
            Object o = p.readObject();
            JcaPEMKeyConverter conv = new JcaPEMKeyConverter();
            if (o instanceof PrivateKeyInfo pki) {
                return conv.getPrivateKey(pki);
            }
            if (o instanceof PEMKeyPair kp) {
                return conv.getKeyPair(kp).getPrivate();
            }
            throw new IOException(pem + " holds no private key");
        }
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key) throws GeneralSecurityException {
        try {
            ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(key);
            return new JcaX509CertificateConverter().getCertificate(b.build(signer));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    private static BigInteger serial() {
        return new BigInteger(96, RANDOM).add(BigInteger.ONE);
    }

    private static boolean isAddress(String h) {
        if (h.matches("[0-9.]+") || h.contains(":")) {
            try {
                InetAddress.getByName(h);
                return true;
            } catch (IOException e) {
                return false;
            }
        }
        return false;
    }
}
