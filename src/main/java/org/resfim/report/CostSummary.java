package org.resfim.report;

import com.fasterxml.jackson.databind.JsonNode;
import org.resfim.state.Bytes;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.resfim.state.Jackson;

/**
 * What a method cost, from the fit lines of its metrics logs: local-training seconds, the share of them
 * spent in the ResFIM estimate, and bytes uploaded per site and round against a full-model (FedAvg) upload.
 * pFL-ResFIM's diagnostics ({@code diagnostics_seconds}) are measurement, not method: they are left out of the
 * training seconds, so the ResFIM share is the same with diagnostics on or off.
 */
public record CostSummary(String method, int fits, double fitSeconds, double resfimSeconds, double uploadBytes, long fullModelBytes) {

    public static CostSummary of(String method, List<Path> metricsLogs, long fullModelBytes) {
        int fits = 0;
        double fit = 0;
        double resfim = 0;
        double bytes = 0;
        for (Path log : metricsLogs) {
            if (!Files.exists(log)) {
                continue;
            }
            try {
                for (String line : Files.readAllLines(log)) {
                    JsonNode n;
                    try {
                        n = Jackson.MAPPER.readTree(line);
                    } catch (IOException partial) {
                        continue;
                    }
                    if (!"fit".equals(n.path("event").asText())) {
                        continue;
                    }
                    fits++;
                    fit += n.path("fit_seconds").asDouble() - n.path("diagnostics_seconds").asDouble(0);
                    resfim += n.path("resfim_seconds").asDouble(0);
                    bytes += n.path("upload_bytes").asDouble();
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return new CostSummary(method, fits, fit, resfim, bytes, fullModelBytes);
    }

    public double resfimShare() {
        return fitSeconds == 0 ? 0 : resfimSeconds / fitSeconds;
    }

    public double bytesPerFit() {
        return fits == 0 ? 0 : uploadBytes / fits;
    }

    /** One line for the console and the results file. */
    public String describe() {
        String s = String.format(Locale.ROOT, "%s: %.1f s of local training over %d site-rounds; uploads %s per site-round = %.1f%% of a full model (FedAvg, %s)",
                method, fitSeconds, fits, Bytes.mb(bytesPerFit()), 100 * bytesPerFit() / fullModelBytes, Bytes.mb(fullModelBytes));
        if (resfimSeconds > 0) {
            s += String.format(Locale.ROOT, "; the ResFIM estimate took %.1f%% of local training time", 100 * resfimShare());
        }
        return s;
    }
}
