package org.resfim.transport;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.resfim.cli.Main;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * #17 item 8: what {@code resfim certs} writes. Private keys are the owner's alone, the CA's key is not in the folder
 * the server reads (and the server refuses to start if it is), and a server certificate cannot act as a client.
 */
class CertificateFilesTest {
    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

    @Test
    void keysAreTheOwnersTheCaKeyIsOutOfTheServersFolderAndEachCertificateHasOnePurpose(@TempDir Path tmp) throws Exception {
        Path pki = tmp.resolve("pki");
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, Main.execute("certs", "--out", pki.toString(), "--sites", "a,b"));
        } finally {
            System.setOut(old);
        }
        Path caDir = tmp.resolve("pki-ca");
        assertFalse(Files.exists(pki.resolve("ca-key.pem")), "the CA key is not in the server's folder");
        assertTrue(Files.isRegularFile(caDir.resolve("ca-key.pem")));
        assertTrue(buf.toString(StandardCharsets.UTF_8).contains(caDir.toString()), buf.toString(StandardCharsets.UTF_8));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(caDir)));
        List<Path> keys;
        try (Stream<Path> s = Stream.concat(Files.list(pki), Files.list(caDir))) {
            keys = s.filter(p -> p.getFileName().toString().endsWith("-key.pem")).toList();
        }
        assertEquals(4, keys.size(), keys.toString()); // ca, server, a, b
        for (Path k : keys) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(k)), k.toString());
        }
        try (Stream<Path> s = Files.list(pki)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary file left");
        }
        assertEquals(List.of(SERVER_AUTH), DevCertificates.readCertificate(pki.resolve("server.pem")).getExtendedKeyUsage());
        assertEquals(List.of(CLIENT_AUTH), DevCertificates.readCertificate(pki.resolve("site-a.pem")).getExtendedKeyUsage());
    }

    @Test
    void theServerRefusesToStartWithTheCaKeyInItsFolderAndCertsMovesItOut(@TempDir Path tmp) throws Exception {
        Path pki = tmp.resolve("pki");
        DevCertificates.create(pki, List.of("a"), List.of(), java.time.Duration.ofDays(1));
        Path caDir = DevCertificates.caDirFor(pki);
        Files.move(caDir.resolve("ca-key.pem"), pki.resolve("ca-key.pem")); // the layout of earlier releases
        Tls.Pem tls = new Tls.Pem(pki.resolve("ca.pem"), pki.resolve("server.pem"), pki.resolve("server-key.pem"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new FederationServer(new FederationServer.Options(
                "127.0.0.1", 0, tls, AllowList.read(pki.resolve("allowlist.txt")), List.of("a"), "plan", 1 << 20), new EventLog(null, "server")));
        assertTrue(e.getMessage().contains("ca-key.pem: the CA's private key is in the server's TLS folder"), e.getMessage());

        DevCertificates.create(pki, List.of("b"), List.of(), java.time.Duration.ofDays(1));
        assertFalse(Files.exists(pki.resolve("ca-key.pem")));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(caDir.resolve("ca-key.pem"))));
        // the same CA signed b's certificate: the server trusts it
        DevCertificates.readCertificate(pki.resolve("site-b.pem")).verify(DevCertificates.readCertificate(pki.resolve("ca.pem")).getPublicKey());
        new FederationServer(new FederationServer.Options("127.0.0.1", 0, tls, AllowList.read(pki.resolve("allowlist.txt")), List.of("a", "b"),
                "plan", 1 << 20), new EventLog(null, "server")).close();
    }
}
