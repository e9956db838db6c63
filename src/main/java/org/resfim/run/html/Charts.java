package org.resfim.run.html;

import org.resfim.report.*;

import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.PaintScale;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.awt.image.BufferedImage;
import java.util.Map;

/** The report's charts, drawn with JFreeChart into images. */
public final class Charts {
    static {
        System.setProperty("java.awt.headless", "true");
    }

    /** Colour-blind-safe palette (Okabe–Ito) for the sites. */
    private static final Color[] PALETTE = {new Color(0x0072B2), new Color(0xE69F00), new Color(0x009E73), new Color(0xCC79A7),
            new Color(0x56B4E9), new Color(0xD55E00), new Color(0xF0E442), new Color(0x000000)};
    private static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 14);

    private Charts() {
    }

    /**
     * Validation Dice per round, one line per site and a dashed line for their mean, with a marker where
     * model selection starts.
     *
     * @param perSite site → Dice per round (index 0 = round 1; NaN where the site has no value)
     */
    public static BufferedImage diceCurves(String method, Map<String, double[]> perSite, int firstSelectableRound, int width, int height) {
        XYSeriesCollection data = new XYSeriesCollection();
        int rounds = 0;
        for (double[] v : perSite.values()) {
            rounds = Math.max(rounds, v.length);
        }
        for (Map.Entry<String, double[]> e : perSite.entrySet()) {
            XYSeries s = new XYSeries(e.getKey());
            for (int r = 0; r < e.getValue().length; r++) {
                if (!Double.isNaN(e.getValue()[r])) {
                    s.add(r + 1, e.getValue()[r]);
                }
            }
            data.addSeries(s);
        }
        XYSeries mean = new XYSeries("mean over sites");
        for (int r = 0; r < rounds; r++) {
            double sum = 0;
            int n = 0;
            for (double[] v : perSite.values()) {
                if (r < v.length && !Double.isNaN(v[r])) {
                    sum += v[r];
                    n++;
                }
            }
            if (n > 0) {
                mean.add(r + 1, sum / n);
            }
        }
        data.addSeries(mean);
        NumberAxis x = new NumberAxis("round");
        x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        x.setRange(0.5, Math.max(1, rounds) + 0.5);
        NumberAxis y = new NumberAxis("validation Dice");
        y.setRange(0, 1);
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, rounds <= 30);
        int k = 0;
        for (String ignored : perSite.keySet()) {
            r.setSeriesPaint(k, PALETTE[k % PALETTE.length]);
            r.setSeriesStroke(k, new BasicStroke(1.6f));
            k++;
        }
        r.setSeriesPaint(k, Color.DARK_GRAY);
        r.setSeriesStroke(k, new BasicStroke(2.4f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND, 1f, new float[] {6f, 4f}, 0f));
        r.setSeriesShapesVisible(k, false);
        XYPlot plot = new XYPlot(data, x, y, r);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(new Color(0xdddddd));
        plot.setRangeGridlinePaint(new Color(0xdddddd));
        if (firstSelectableRound > 1 && firstSelectableRound <= rounds) {
            ValueMarker m = new ValueMarker(firstSelectableRound - 0.5, new Color(0x999999), new BasicStroke(1f, BasicStroke.CAP_BUTT,
                    BasicStroke.JOIN_MITER, 1f, new float[] {3f, 3f}, 0f));
            m.setLabel("selection");
            m.setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
            m.setLabelAnchor(org.jfree.chart.ui.RectangleAnchor.TOP_RIGHT);
            m.setLabelTextAnchor(org.jfree.chart.ui.TextAnchor.TOP_LEFT);
            plot.addDomainMarker(m);
        }
        JFreeChart chart = new JFreeChart(method, TITLE, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        chart.setAntiAlias(true);
        return chart.createBufferedImage(width, height);
    }

    /**
     * Whether the residual finds other elements than the own Fisher (issue #15), one compact chart: per tensor in
     * network order (x), the Jaccard overlap of the mask with the fim mask and the Spearman correlation of the score
     * with F_k (left axis, −1 to 1), and the tensor's domain gain s_t with its null controls where present (right
     * axis, logarithmic).
     *
     * @param series name → values per tensor (NaN: none), drawn on the left axis when the name starts with "Jaccard"
     *               or "Spearman", on the right (gain) axis otherwise; all as long as {@code tensors}
     */
    public static BufferedImage residualDiagnostics(String method, int tensors, Map<String, double[]> series) {
        XYSeriesCollection left = new XYSeriesCollection();
        XYSeriesCollection right = new XYSeriesCollection();
        double min = Double.POSITIVE_INFINITY;
        double max = 0;
        for (Map.Entry<String, double[]> e : series.entrySet()) {
            boolean onLeft = e.getKey().startsWith("Jaccard") || e.getKey().startsWith("Spearman");
            XYSeries s = new XYSeries(e.getKey());
            double[] v = e.getValue();
            for (int t = 0; t < v.length; t++) {
                if (!Double.isNaN(v[t]) && (onLeft || v[t] > 0)) {
                    s.add(t, v[t]);
                    if (!onLeft) {
                        min = Math.min(min, v[t]);
                        max = Math.max(max, v[t]);
                    }
                }
            }
            (onLeft ? left : right).addSeries(s);
        }
        NumberAxis x = new NumberAxis("tensor in network order (encoder d.*, decoder u.*, head)");
        x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        x.setRange(-0.5, Math.max(1, tensors) - 0.5);
        NumberAxis y = new NumberAxis("Jaccard with fim mask, Spearman with F_k");
        y.setRange(-1, 1.05);
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, tensors <= 40);
        for (int k = 0; k < left.getSeriesCount(); k++) {
            r.setSeriesPaint(k, PALETTE[k % PALETTE.length]);
            r.setSeriesStroke(k, new BasicStroke(1.6f));
        }
        XYPlot plot = new XYPlot(left, x, y, r);
        if (right.getSeriesCount() > 0 && max > 0) {
            org.jfree.chart.axis.LogAxis g = new org.jfree.chart.axis.LogAxis("domain gain s_t (log)");
            g.setRange(min / 1.5, max * 1.5);
            g.setTickLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
            g.setNumberFormatOverride(new java.text.DecimalFormat("0.###", java.text.DecimalFormatSymbols.getInstance(java.util.Locale.ROOT)));
            plot.setRangeAxis(1, g);
            plot.setDataset(1, right);
            plot.mapDatasetToRangeAxis(1, 1);
            XYLineAndShapeRenderer rr = new XYLineAndShapeRenderer(true, false);
            for (int k = 0; k < right.getSeriesCount(); k++) {
                rr.setSeriesPaint(k, k == 0 ? Color.DARK_GRAY : PALETTE[(left.getSeriesCount() + k) % PALETTE.length]);
                rr.setSeriesStroke(k, k == 0 ? new BasicStroke(2f)
                        : new BasicStroke(1.4f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND, 1f, new float[] {5f, 4f}, 0f));
            }
            plot.setRenderer(1, rr);
        }
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(new Color(0xdddddd));
        plot.setRangeGridlinePaint(new Color(0xdddddd));
        JFreeChart chart = new JFreeChart(method + ": does the residual pick other elements than F_k?", TITLE, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        chart.setAntiAlias(true);
        return chart.createBufferedImage(760, 320);
    }

    /** The viridis colour map between two bounds (the cells of the report's personal-share tables). */
    static final class Viridis implements PaintScale {
        private static final int[] STOPS = {0x440154, 0x482878, 0x3e4989, 0x31688e, 0x26828e, 0x1f9e89, 0x35b779, 0x6ece58, 0xb5de2b, 0xfde725};
        private final double lower;
        private final double upper;

        Viridis(double lower, double upper) {
            this.lower = lower;
            this.upper = upper;
        }

        @Override
        public double getLowerBound() {
            return lower;
        }

        @Override
        public double getUpperBound() {
            return upper;
        }

        @Override
        public Paint getPaint(double value) {
            if (Double.isNaN(value)) {
                return new Color(0xeeeeee);
            }
            double f = Math.max(0, Math.min(1, (value - lower) / (upper - lower))) * (STOPS.length - 1);
            int a = (int) Math.floor(f);
            int b = Math.min(STOPS.length - 1, a + 1);
            double t = f - a;
            return new Color(mix(STOPS[a] >> 16, STOPS[b] >> 16, t), mix(STOPS[a] >> 8, STOPS[b] >> 8, t), mix(STOPS[a], STOPS[b], t));
        }

        private static int mix(int a, int b, double t) {
            return (int) Math.round((a & 0xff) * (1 - t) + (b & 0xff) * t);
        }
    }
}
