package org.resfim.transport;

import org.resfim.federation.Phase;
import org.resfim.federation.secagg.SecAggWire;
import org.resfim.run.Plans;
import org.resfim.run.RunPlan;

import java.nio.file.Path;

/**
 * A site process for tests: {@code resfim client --insecure} that dies (halts, as {@code kill -9} would) when the
 * coordinator asks it for the unmasking step of secure aggregation in round DROP_ROUND. The coordinator asks for that
 * step only after it holds the masked vector of every site that sent one, so the site dies, causally, after its masked
 * update arrived and before it revealed its shares.
 * {@code java -cp ... org.resfim.transport.SecAggDropSite HOST:PORT CONFIG SITE STATE_DIR DROP_ROUND}
 */
public final class SecAggDropSite {
    private SecAggDropSite() {
    }

    public static void main(String[] args) throws Exception {
        String[] at = args[0].split(":");
        Path config = Path.of(args[1]);
        String site = args[2];
        Path state = Path.of(args[3]);
        int dropRound = Integer.parseInt(args[4]);
        RunPlan plan = Plans.build(new Plans.Overrides(config, null, null, null, null, null, null, null));
        org.resfim.engine.Djl.setThreads(1);
        EventLog log = new EventLog(System.out, site);
        SiteRuntime runtime = new SiteRuntime(plan, site, state, log);
        runtime.preload();
        SiteClient.Handler handler = (run, seed, request) -> {
            if (request.phase() == Phase.SECAGG && request.round() == dropRound && "unmask".equals(SecAggWire.step(request.message()))) {
                log.info("dying at the unmasking step of round " + dropRound + ", after sending its masked vector");
                System.out.flush();
                Runtime.getRuntime().halt(3);
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
