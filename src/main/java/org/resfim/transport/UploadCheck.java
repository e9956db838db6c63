package org.resfim.transport;

import org.resfim.federation.ImageScore;
import org.resfim.federation.Message;
import org.resfim.federation.Phase;
import org.resfim.federation.SetupBound;
import org.resfim.metrics.MetricSummary;
import org.resfim.state.ModelState;
import org.resfim.state.StateFormatException;
import org.resfim.state.StateValidator;
import org.resfim.state.Tensor;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;

/**
 * Checks a site's answer where it enters the server, before any algorithm sees it: it answers the call it
 * was asked (phase, round, site), in float32, its encodings decode with valid checksums, names are
 * well-formed, a FIT upload holds only tensors of the model with the model's shapes, every value is finite,
 * the mask matches the tensors, every score is in its range (overlap scores in [0, 1], HD95 finite and
 * non-negative), and the counts stay within limits. The algorithm's server step checks again
 * (e.g. {@code MaskedAverageServer.validate}); this is the transport's own line of defence.
 */
public final class UploadCheck {
    public static final int MAX_NAME_LENGTH = 256;
    public static final int MAX_SCORES = 100_000;
    /** pFL-ResFIM writes a few statistics per trainable tensor (sensitive fraction and, by default, its diagnostics: 4 × 106 for the
     * reference U-Net, 6 × with null controls); 4096 leaves room for deeper networks. */
    public static final int MAX_STATS = 4096;
    /** The most training samples a site can report (a site's training list is a Java list). */
    public static final long MAX_SAMPLES = Integer.MAX_VALUE;
    private static final Set<String> SPLITS = Set.of("val", "test");

    /** Most sections in a SECAGG answer (one per site of the round at most; their total size is bounded per call). */
    public static final int MAX_SECTIONS = 1 << 16;

    /** Most metadata entries in an answer's header or its state encoding (uploads carry none today). */
    public static final int MAX_METADATA = 64;

    private final ModelState layout;
    private final long maxElements;
    private final SetupBound setup;

    /**
     * @param layout      the model every FIT upload must be a part of (the run's initial model)
     * @param maxElements the most tensor elements one upload may hold (any phase)
     */
    public UploadCheck(ModelState layout, long maxElements) {
        this(layout, maxElements, SetupBound.NONE);
    }

    /**
     * @param setup what a SETUP answer of round 0 may carry (the method's style bank, from the configuration)
     */
    public UploadCheck(ModelState layout, long maxElements, SetupBound setup) {
        this.layout = layout;
        this.maxElements = maxElements;
        this.setup = setup;
    }

    /**
     * How many tensors, mask tensors and metadata entries an answer to {@code call} may decode to: a FIT upload at
     * most the model's tensors, a SETUP answer of round 0 the method's style windows, anything else nothing. The
     * counts are checked as the encoding is read, before anything is built for them.
     */
    public Payload.Limits limits(Frame.Call call) {
        if (Phase.FIT.name().equals(call.phase())) {
            return new Payload.Limits(layout.size(), layout.size(), MAX_METADATA);
        }
        if (Phase.SETUP.name().equals(call.phase()) && call.round() == 0) {
            return new Payload.Limits(setup.tensors(), 0, MAX_METADATA);
        }
        if (Phase.SECAGG.name().equals(call.phase())) {
            return new Payload.Limits(0, 0, 0, MAX_SECTIONS); // sections only; their bytes were bounded by the call's answer limit
        }
        return new Payload.Limits(0, 0, 0);
    }

    /** The decoded upload of {@code answer}; fails with the reason for the site. */
    public Message check(String site, Frame.Call call, Frame.Answer answer, Payload payload) throws TransportException {
        if (!answer.site().equals(site)) {
            throw new TransportException("the answer names site " + LogText.quote(answer.site()) + " but this connection is site '" + site + "'");
        }
        if (!answer.phase().equals(call.phase()) || answer.round() != call.round()) {
            throw new TransportException("answered " + LogText.quote(answer.phase()) + " round " + answer.round() + " to a call for "
                    + call.phase() + " round " + call.round());
        }
        if (payload.size() > 0 && !Protocol.DTYPE.equals(answer.dtype())) {
            throw new TransportException("sent values of type " + LogText.quote(answer.dtype()) + "; only " + Protocol.DTYPE + " is accepted");
        }
        if (answer.numSamples() < 0 || answer.numSamples() > MAX_SAMPLES) {
            throw new TransportException("reports " + answer.numSamples() + " training samples (a site holds 0 to " + MAX_SAMPLES + ")");
        }
        checkScores(answer);
        checkStats(answer.stats());
        if (answer.meta().size() > MAX_METADATA) {
            throw new TransportException("sent " + answer.meta().size() + " metadata entries, more than " + MAX_METADATA);
        }
        for (Map.Entry<String, String> e : answer.meta().entrySet()) {
            name(e.getKey(), "metadata key");
            if (e.getValue().length() > 4096) {
                throw new TransportException("metadata '" + e.getKey() + "' is " + e.getValue().length() + " characters long");
            }
        }
        Message m;
        try {
            m = payload.toMessage(answer.meta(), "upload of site '" + site + "'", limits(call));
        } catch (StateFormatException e) {
            throw new TransportException("sent a corrupted encoding: " + e.getMessage(), e);
        }
        checkMessage(m, Phase.valueOf(call.phase()));
        return m;
    }

    void checkMessage(Message m, Phase phase) throws TransportException {
        ModelState t = m.tensors();
        if (t.numElements() > maxElements) {
            throw new TransportException("upload holds " + t.numElements() + " elements, more than the limit of " + maxElements);
        }
        for (Tensor x : t.tensors()) {
            name(x.name(), "tensor name");
            if (Arrays.stream(x.shape()).anyMatch(d -> d <= 0) && x.size() != 0) {
                throw new TransportException("tensor '" + x.name() + "' has shape " + Arrays.toString(x.shape()));
            }
        }
        try {
            if (phase == Phase.FIT) {
                StateValidator.validate(layout, t, maxElements);
            } else {
                StateValidator.validate(t, t, maxElements); // finite values, size
            }
            if (m.mask() != null && phase == Phase.FIT && t.size() == 0) {
                m.mask().requireMatches(layout); // a mask alone (privacy.secagg): it covers the whole model, the values follow masked
            } else if (m.mask() != null) {
                m.mask().requireMatches(t);
            }
        } catch (IllegalArgumentException e) {
            throw new TransportException(e.getMessage(), e);
        }
        if (phase == Phase.SECAGG && (t.size() > 0 || m.mask() != null)) {
            throw new TransportException("a SECAGG answer carries sections only (masked ring values, shares), this one carries tensors or a mask");
        }
        if (phase != Phase.SECAGG && !m.sections().isEmpty()) {
            throw new TransportException("a " + phase + " answer carries no sections, this one carries " + m.sections().names());
        }
        if (phase == Phase.EVALUATE && !m.isEmpty()) {
            throw new TransportException("an EVALUATE answer carries no model, this one carries " + t.size() + " tensors");
        }
    }

    private static void checkScores(Frame.Answer a) throws TransportException {
        if (a.scores().size() > MAX_SCORES) {
            throw new TransportException("sent " + a.scores().size() + " image scores, more than " + MAX_SCORES);
        }
        for (ImageScore s : a.scores()) {
            if (!SPLITS.contains(s.split())) {
                throw new TransportException("sent a score for split " + LogText.quote(s.split()) + "; splits are val and test");
            }
            name(s.imageId(), "image id");
            MetricSummary m = s.metrics();
            fraction(m.dice(), "Dice", s);
            fraction(m.iou(), "IoU", s);
            fraction(m.sensitivity(), "sensitivity", s);
            fraction(m.specificity(), "specificity", s);
            if (!(m.hd95() >= 0 && Double.isFinite(m.hd95()))) {
                throw new TransportException("sent HD95 " + m.hd95() + " for " + s.split() + " image '" + s.imageId()
                        + "'; a distance is finite and >= 0");
            }
        }
    }

    /** An overlap score: a fraction in [0, 1] (what the evaluation protocol computes, never NaN). */
    private static void fraction(double v, String what, ImageScore s) throws TransportException {
        if (!(v >= 0 && v <= 1)) {
            throw new TransportException("sent " + what + " " + v + " for " + s.split() + " image '" + s.imageId() + "'; scores are in [0, 1]");
        }
    }

    private static void checkStats(Map<String, Double> stats) throws TransportException {
        if (stats.size() > MAX_STATS) {
            throw new TransportException("sent " + stats.size() + " statistics, more than " + MAX_STATS);
        }
        for (String k : stats.keySet()) {
            name(k, "statistic name");
        }
    }

    /** A name: 1..256 printable characters, no control characters. */
    static void name(String s, String what) throws TransportException {
        if (s == null || s.isEmpty() || s.length() > MAX_NAME_LENGTH) {
            throw new TransportException(what + " " + LogText.quote(s == null ? "" : s.substring(0, Math.min(s.length(), 40)))
                    + " must be 1 to " + MAX_NAME_LENGTH + " characters");
        }
        for (int i = 0; i < s.length(); i++) {
            if (Character.isISOControl(s.charAt(i))) {
                throw new TransportException(what + " contains a control character at position " + i);
            }
        }
    }
}
