package org.resfim.algorithms;

import org.resfim.engine.AdamState;
import org.resfim.engine.TrainingHooks;
import org.resfim.engine.UNet;
import org.resfim.federation.ClientContext;
import org.resfim.federation.ClientProcedure;
import org.resfim.federation.ProcedureState;
import org.resfim.federation.Message;
import org.resfim.state.Mask;
import org.resfim.state.ModelState;
import org.resfim.state.StateOps;
import org.resfim.state.Tensor;

import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The site side shared by every algorithm that splits the model into personal and shared elements:
 * a {@link Mask} (bit 1 = personal) decides what is uploaded (only shared values, personal ones zeroed,
 * whole-personal tensors omitted) and how the aggregate is composed: θ̃ = m∘θ + (1−m)∘θ_g. FedAvg is
 * the all-shared mask, Local the all-personal one, FedBN the normalisation tensors, pFL-ResFIM an
 * element-wise mask from the residual Fisher. Subclasses choose the mask and may add training hooks.
 */
public abstract class PartitionedClient implements ClientProcedure {
    protected ModelState model;
    protected AdamState optimizer;
    protected Mask mask;
    protected final Map<String, Double> stats = new LinkedHashMap<>();

    /** The mask before any training (by default fixed for the whole run). */
    protected abstract Mask initialMask(ModelState layout);

    /** Extra hooks for local training of {@link #model} (a proximal term, frozen parts); none by default. */
    protected TrainingHooks hooks(ClientContext ctx, int round, UNet net) {
        return TrainingHooks.NONE;
    }

    /** Called after local training, before the upload (pFL-ResFIM re-estimates its mask here). */
    protected void afterTraining(ClientContext ctx, int round, Message fromServer) {
    }

    @Override
    public Message setup(ClientContext ctx, ModelState initial) {
        model = initial.copy();
        mask = initialMask(model);
        return null;
    }

    @Override
    public Message fit(ClientContext ctx, int round, Message fromServer) {
        stats.clear();
        train(ctx, round);
        afterTraining(ctx, round, fromServer);
        return upload();
    }

    /** Local training of the personalized model through the one training loop. */
    protected void train(ClientContext ctx, int round) {
        ClientContext.Trained t = ctx.train(model, optimizer, round, ctx.training().localEpochs(), "fit",
                net -> hooks(ctx, round, net));
        model = t.model();
        optimizer = t.optimizer();
        stats.put("train_loss", t.result().meanLoss());
    }

    /** Shared values of every tensor that has at least one shared element; the mask when it is element-wise. */
    protected Message upload() {
        ModelState shared = new ModelState();
        Mask sent = new Mask();
        boolean partial = false;
        for (Tensor t : model.tensors()) {
            int personal = mask.count(t.name());
            if (personal == t.size()) {
                continue;
            }
            shared.put(t);
            sent.addTensor(t.name(), t.size());
            sent.setBits(t.name(), mask.bits(t.name()));
            partial |= personal > 0;
        }
        if (shared.size() == 0) {
            return Message.empty();
        }
        return new Message(partial ? StateOps.invariantOnly(shared, sent) : shared.copy(), partial ? sent : null, null);
    }

    @Override
    public void receive(ClientContext ctx, int round, Message aggregate) {
        if (aggregate == null || aggregate.tensors().size() == 0) {
            return;
        }
        ModelState global = model.overlay(aggregate.tensors());
        model = StateOps.compose(model, global, mask);
    }

    @Override
    public ModelState model() {
        return model;
    }

    @Override
    public Map<String, Double> stats() {
        return stats;
    }

    @Override
    public ProcedureState save() {
        Map<String, ModelState> states = new LinkedHashMap<>();
        Map<String, String> meta = new LinkedHashMap<>();
        states.put("model", model);
        saveOptimizer("adam", optimizer, states, meta);
        meta.put("mask", Base64.getEncoder().encodeToString(mask.toBytes()));
        saveExtra(states, meta);
        return new ProcedureState(states, meta);
    }

    @Override
    public void restore(ProcedureState s) {
        model = s.states().get("model");
        optimizer = restoreOptimizer("adam", s);
        mask = Mask.fromBytes(Base64.getDecoder().decode(s.meta().get("mask")));
        restoreExtra(s);
    }

    /** Writes Adam moments and step count under {@code prefix} ({@code prefix.m}, {@code prefix.v}, {@code prefix.step}); nothing when null. */
    protected static void saveOptimizer(String prefix, AdamState opt, Map<String, ModelState> states, Map<String, String> meta) {
        if (opt != null) {
            states.put(prefix + ".m", opt.firstMoment());
            states.put(prefix + ".v", opt.secondMoment());
            meta.put(prefix + ".step", Long.toString(opt.step()));
        }
    }

    /** The Adam state saved under {@code prefix}, or null when none was saved. */
    protected static AdamState restoreOptimizer(String prefix, ProcedureState s) {
        return s.states().containsKey(prefix + ".m")
                ? new AdamState(s.states().get(prefix + ".m"), s.states().get(prefix + ".v"), Long.parseLong(s.meta().get(prefix + ".step")))
                : null;
    }

    /** Subclasses with more state add it here. */
    protected void saveExtra(Map<String, ModelState> states, Map<String, String> meta) {
    }

    protected void restoreExtra(ProcedureState s) {
    }

    public Mask mask() {
        return mask;
    }
}
