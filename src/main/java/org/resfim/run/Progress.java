package org.resfim.run;

import java.io.PrintStream;
import java.util.Locale;

/** Rounds done out of all rounds of all runs, with an ETA; a rewritten line on a terminal, plain lines otherwise. */
final class Progress {
    private final PrintStream out;
    private final int total;
    private final boolean tty = System.console() != null;
    private final long start = System.nanoTime();
    private int done;
    private int skipped;

    Progress(PrintStream out, int total) {
        this.out = out;
        this.total = total;
    }

    void skip(int rounds) {
        done += rounds;
        skipped += rounds;
    }

    /** @param validation the round's validation summary, {@link org.resfim.report.EvalRecord#meanValDiceText} */
    void round(String label, int round, int rounds, String validation) {
        done++;
        double elapsed = (System.nanoTime() - start) / 1e9;
        int worked = done - skipped;
        double eta = worked == 0 ? Double.NaN : elapsed / worked * (total - done);
        String line = String.format(Locale.ROOT, "[%d/%d rounds] %s: round %d/%d, %s, elapsed %s, ETA %s",
                done, total, label, round, rounds, validation, time(elapsed), time(eta));
        if (tty) {
            out.print("\r" + line + "   ");
            if (done == total || round == rounds) {
                out.println();
            }
        } else {
            out.println(line);
        }
        out.flush();
    }

    static String time(double s) {
        if (Double.isNaN(s)) {
            return "?";
        }
        long t = Math.round(s);
        return t >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", t / 3600, (t % 3600) / 60)
                : String.format(Locale.ROOT, "%dm%02ds", t / 60, t % 60);
    }
}
