package org.resfim.transport;

import org.resfim.federation.Phase;
import org.resfim.run.Plans;
import org.resfim.run.RunPlan;

import java.nio.file.Path;

/**
 * A site process for tests: {@code resfim client --insecure} whose FIT of one round first hangs for a while (a site
 * that accepted a call and does not answer in time; HANG_ROUND 0 = never), and, with a barrier folder, whose every FIT
 * first waits until all SITES sites have started that round's FIT (a coordinator that calls sites one after another
 * never lets the first one pass: it logs "barrier timed out" after BARRIER_SECONDS).
 * {@code java -cp ... org.resfim.transport.HangingSite HOST:PORT CONFIG SITE STATE_DIR HANG_ROUND HANG_SECONDS [BARRIER_DIR SITES BARRIER_SECONDS]}
 */
public final class HangingSite {
    private HangingSite() {
    }

    public static void main(String[] args) throws Exception {
        String[] at = args[0].split(":");
        Path config = Path.of(args[1]);
        String site = args[2];
        Path state = Path.of(args[3]);
        int hangRound = Integer.parseInt(args[4]);
        long hangMillis = (long) (Double.parseDouble(args[5]) * 1000);
        RunPlan plan = Plans.build(new Plans.Overrides(config, null, null, null, null, null, null, null));
        org.resfim.engine.Djl.setThreads(1);
        EventLog log = new EventLog(System.out, site);
        SiteRuntime runtime = new SiteRuntime(plan, site, state, log);
        runtime.preload();
        boolean[] hung = new boolean[1];
        Path barrier = args.length > 6 ? Path.of(args[6]) : null;
        int barrierSites = args.length > 7 ? Integer.parseInt(args[7]) : 0;
        long barrierMillis = args.length > 8 ? (long) (Double.parseDouble(args[8]) * 1000) : 0;
        SiteClient.Handler handler = (run, seed, request) -> {
            if (barrier != null && request.phase() == Phase.FIT) {
                String prefix = run + "-" + seed + "-" + request.round() + "-";
                try {
                    java.nio.file.Files.createDirectories(barrier);
                    java.nio.file.Files.writeString(barrier.resolve(prefix + site), "started");
                    long until = System.currentTimeMillis() + barrierMillis;
                    while (true) {
                        long n;
                        try (var files = java.nio.file.Files.list(barrier)) {
                            n = files.filter(f -> f.getFileName().toString().startsWith(prefix)).count();
                        }
                        if (n >= barrierSites) {
                            log.info("barrier passed in FIT round " + request.round() + " of " + run);
                            break;
                        }
                        if (System.currentTimeMillis() > until) {
                            log.info("barrier timed out in FIT round " + request.round() + " of " + run + ": " + n + " of " + barrierSites + " sites started");
                            break;
                        }
                        Thread.sleep(20);
                    }
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (request.phase() == Phase.FIT && request.round() == hangRound && !hung[0]) {
                hung[0] = true;
                log.info("hanging in FIT round " + hangRound + " for " + hangMillis / 1000.0 + " s");
                try {
                    Thread.sleep(hangMillis);
                    log.info("woke up");
                } catch (InterruptedException e) {
                    log.info("interrupted while hanging (the process ends)");
                    Thread.currentThread().interrupt();
                }
            }
            return runtime.handle(run, seed, request);
        };
        try (Audit audit = new Audit(state.resolve(Audit.SITE_FILE))) {
            SiteClient.Outcome o = new SiteClient(new SiteClient.Options(at[0], Integer.parseInt(at[1]), site, null, Deployment.planSha256(plan),
                    200, 1000, 0, null), handler, audit, log).run();
            System.exit(o == SiteClient.Outcome.FINISHED ? 0 : 1);
        }
    }
}
