package org.resfim.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.resfim.run.Plans;
import org.resfim.run.RunPlan;
import org.resfim.transport.Deployment;
import org.yaml.snakeyaml.Yaml;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * deploy/compose.yaml is a deployment the CLI accepts: every service's command parses as the command it names, the
 * three sites are the sites of deploy/federation.yaml, each party mounts only its own certificate folder and only
 * read-only, the image is this version's, and the health endpoint is published on the host's loopback only.
 */
class ComposeFileTest {
    private static final Path DEPLOY = Path.of("deploy");

    @SuppressWarnings("unchecked")
    private static <T> T get(Object map, String key) {
        assertInstanceOf(Map.class, map, "expected a mapping holding '" + key + "'");
        return (T) ((Map<String, Object>) map).get(key);
    }

    private static String value(List<String> command, String option) {
        int i = command.indexOf(option);
        assertTrue(i >= 0 && i + 1 < command.size(), option + " in " + command);
        return command.get(i + 1);
    }

    @Test
    void theComposeFileRunsAServerAndThreeSitesOfTheFederationWithTheirOwnCertificates(@TempDir Path tmp) throws Exception {
        Map<String, Object> compose = new Yaml().load(Files.readString(DEPLOY.resolve("compose.yaml")));
        Map<String, Object> services = get(compose, "services");
        Matcher v = Pattern.compile("<artifactId>resfim</artifactId>\\s*<version>([^<]+)</version>").matcher(Files.readString(Path.of("pom.xml")));
        assertTrue(v.find());
        String image = "resfim:" + v.group(1);

        RunPlan plan = Plans.build(new Plans.Overrides(DEPLOY.resolve("federation.yaml"), null, null, null, null, null, null, tmp.resolve("out")));
        List<String> sites = Deployment.siteNames(plan.data());
        assertEquals(3, sites.size(), sites.toString());

        List<String> clients = new ArrayList<>();
        for (Map.Entry<String, Object> e : services.entrySet()) {
            String name = e.getKey();
            Object service = e.getValue();
            assertEquals(image, get(service, "image"), name + ": the image deploy/build-image.sh builds");
            List<String> command = get(service, "command");
            List<String> volumes = get(service, "volumes");
            CommandLine.ParseResult parsed = new CommandLine(new Main()).parseArgs(command.toArray(String[]::new));
            Object cmd = parsed.subcommand().commandSpec().userObject();
            assertEquals("/config/federation.yaml", value(command, "--config"), name);
            assertTrue(volumes.contains("./federation.yaml:/config/federation.yaml:ro"), name + ": the same configuration, read-only");
            assertEquals("/pki", value(command, "--tls-dir"), name);
            List<String> pki = volumes.stream().filter(m -> m.contains("pki")).toList();
            if (name.equals("server")) {
                ServerCommand server = assertInstanceOf(ServerCommand.class, cmd);
                assertFalse(server.insecure);
                assertEquals(List.of("./pki/server:/pki:ro"), pki, "the server mounts its own certificate folder only, read-only");
                assertEquals(9090, server.healthPort);
                assertEquals("0.0.0.0", server.healthHost, "inside its container; published below on the host's loopback only");
                List<String> ports = get(service, "ports");
                assertTrue(ports.contains("127.0.0.1:9090:9090"), ports.toString());
                assertTrue(ports.stream().noneMatch(p -> p.matches("(0\\.0\\.0\\.0:)?9090:9090")), "the health endpoint is not published to the network: " + ports);
                assertTrue(ports.contains("7443:7443"), ports.toString());
                assertEquals(7443, server.port);
            } else {
                ClientCommand client = assertInstanceOf(ClientCommand.class, cmd);
                assertEquals(name, value(command, "--site"), "the service is named after its site");
                assertTrue(sites.contains(name), name + " is a site of deploy/federation.yaml " + sites);
                assertEquals("server:7443", value(command, "--server"));
                assertEquals(List.of("./pki/" + name + ":/pki:ro"), pki, name + " mounts its own certificate folder only, read-only");
                assertTrue(volumes.contains(name + "-state:/state") && "/state".equals(value(command, "--state")), name + ": its state on a volume");
                assertFalse(client.insecure);
                clients.add(name);
            }
        }
        assertEquals(sites, clients.stream().sorted().toList(), "one service per site");
    }
}
