package org.resfim.algorithms;

import org.resfim.federation.ClientState;
import org.resfim.federation.Message;
import org.resfim.federation.Reply;
import org.resfim.federation.ServerProcedure;
import org.resfim.state.Mask;
import org.resfim.state.MaskedAverage;
import org.resfim.state.ModelState;
import org.resfim.state.StateOps;
import org.resfim.state.StateValidator;
import org.resfim.state.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * THE aggregation path: for every element p, θ_g[p] = Σ_k w_k (1 − m_k[p]) θ_k[p] / Σ_k w_k (1 − m_k[p]),
 * w_k ∝ training samples (METHOD.md step 6). A tensor a site did not upload counts as personal for that
 * site; an element no site shares keeps its previous global value. FedAvg is the case of no masks.
 * Every site receives the tensors shared in the round.
 */
public class SharedModelServer implements ServerProcedure {
    protected ModelState global;
    private Mask lastUnshared;
    private final Map<String, String> rejections = new LinkedHashMap<>();

    public SharedModelServer(ModelState initial) {
        this.global = initial.copy();
    }

    @Override
    public Map<String, Message> aggregate(int round, List<Reply> uploads, List<String> sites) {
        List<ModelState> states = new ArrayList<>();
        List<Mask> masks = new ArrayList<>();
        List<Double> weights = new ArrayList<>();
        Set<String> shared = new LinkedHashSet<>();
        rejections.clear();
        // Validation reads every value of every upload: do the uploads in parallel.
        Map<Reply, String> verdicts = new java.util.concurrent.ConcurrentHashMap<>();
        uploads.parallelStream().filter(r -> r.upload().tensors().size() > 0).forEach(r -> {
            String v = validate(r);
            if (v != null) {
                verdicts.put(r, v);
            }
        });
        for (Reply r : uploads) {
            Message up = r.upload();
            if (up.tensors().size() == 0) {
                continue;
            }
            String bad = verdicts.get(r);
            if (bad != null) {
                rejections.put(r.site(), bad);
                continue;
            }
            // The upload's own tensors where it sent them, the current global (shared, not copied) elsewhere:
            // those tensors are marked personal below, so their values never enter the average.
            ModelState full = new ModelState();
            for (Tensor t : global.tensors()) {
                full.put(up.tensors().contains(t.name()) ? up.tensors().get(t.name()) : t);
            }
            Mask m = Mask.wholeTensors(global, t -> !up.tensors().contains(t.name()));
            if (up.mask() != null) {
                for (String name : up.mask().names()) {
                    m.setBits(name, up.mask().bits(name));
                }
            }
            states.add(full);
            masks.add(m);
            weights.add((double) r.numSamples());
            shared.addAll(up.tensors().names());
        }
        Map<String, Message> out = new LinkedHashMap<>();
        if (states.isEmpty()) {
            return out;
        }
        double[] w = weights.stream().mapToDouble(Double::doubleValue).toArray();
        MaskedAverage avg = StateOps.maskedAverage(states, masks, w, global);
        global = avg.global();
        lastUnshared = avg.unshared();
        ModelState down = global.filter((Tensor t) -> shared.contains(t.name()));
        for (String s : sites) {
            out.put(s, Message.of(down));
        }
        return out;
    }

    /**
     * Why an upload cannot be used, or null: unknown tensors, wrong shapes, non-finite values, a mask of the
     * wrong length, a non-positive sample count. A hostile or broken upload is dropped, not aggregated.
     */
    protected String validate(Reply r) {
        try {
            StateValidator.validate(global, r.upload().tensors(), global.numElements());
            if (r.upload().mask() != null) {
                r.upload().mask().requireMatches(r.upload().tensors());
            }
            if (r.numSamples() <= 0) {
                return "it reports " + r.numSamples() + " training samples";
            }
            return null;
        } catch (IllegalArgumentException e) {
            return "upload rejected: " + e.getMessage();
        }
    }

    @Override
    public Map<String, String> lastRejections() {
        return Map.copyOf(rejections);
    }

    public ModelState global() {
        return global;
    }

    /** Elements no site shared in the last aggregation. */
    public Mask lastUnshared() {
        return lastUnshared;
    }

    @Override
    public ClientState save() {
        return new ClientState(Map.of("global", global), Map.of());
    }

    @Override
    public void restore(ClientState state) {
        global = state.states().get("global");
    }
}
