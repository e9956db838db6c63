#!/usr/bin/env python3
"""Independent check of the Java U-Net against the PyTorch network of the peer benchmark.

Usage: torch_crosscheck.py BENCH_PY WEIGHTS_DIR INPUT_DIR OUT_DIR

WEIGHTS_DIR and INPUT_DIR are ResFIM raw exports (weights.bin + index.json: little-endian float32,
byte offsets). INPUT_DIR holds tensors "x" (N,C,H,W) and "y" (N,1,H,W). Writes OUT_DIR as a raw
export with: logits_eval, loss_eval (the loss in evaluation mode), logits_train, loss, grad.<param> for every parameter, stat.<name> for every
BatchNorm running statistic after the training-mode forward pass, and fisher.<param>: the per-sample
diagonal Fisher in evaluation mode; and each of them again computed in float64 (logits_eval_f64,
grad_f64.<param>, ...), the reference the Java side is judged against.
"""
import importlib.util, json, os, sys
import torch


# The reader of ResFIM's raw export is the training-quality twin's (one reader for both Python tools).
_twin_spec = importlib.util.spec_from_file_location(
    "quality_twin", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "main", "resources", "org", "resfim", "bench",
                                 "quality_twin.py"))
_twin = importlib.util.module_from_spec(_twin_spec)
_twin_spec.loader.exec_module(_twin)
read_raw = _twin.read_raw


def write_raw(d, tensors):
    os.makedirs(d, exist_ok=True)
    entries, offset = [], 0
    with open(os.path.join(d, "weights.bin"), "wb") as f:
        for name, t in tensors.items():
            b = t.detach().contiguous().to(torch.float32).numpy().astype("<f4").tobytes() if hasattr(t, "numpy") else b""
            f.write(b)
            # Outputs are not network tensors; the index still names a role and part, as the format requires.
            entries.append({"name": name, "shape": list(t.shape), "offset": offset, "length": len(b),
                            "role": "CONV_WEIGHT", "part": "ENCODER"})
            offset += len(b)
    with open(os.path.join(d, "index.json"), "w") as f:
        json.dump({"format": "resfim-raw", "version": 1, "dtype": "float32", "byte_order": "little",
                   "offset_unit": "bytes", "data_file": "weights.bin", "tensors": entries}, f)


def main():
    bench, wdir, idir, odir = sys.argv[1:5]
    spec = importlib.util.spec_from_file_location("torch_unet_bench", bench)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    torch.set_num_threads(1)
    weights = read_raw(wdir)
    inputs = read_raw(idir)
    x, y = inputs["x"], inputs["y"]
    # ResFIM's engine feeds the network channels-last (NHWC in memory, same values and shapes); run the
    # reference in the same layout so both sides use the same convolution algorithms and the comparison
    # measures the network, not the summation order of two memory layouts.
    x = x.contiguous(memory_format=torch.channels_last)
    model = mod.UNet(x.shape[1])
    missing, unexpected = model.load_state_dict(weights, strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        sys.exit(f"state mismatch: missing={missing} unexpected={unexpected}")
    out = {}
    # Every quantity is computed twice: in float32 (what PyTorch gives, a yardstick of float32 error on
    # this machine's kernels) and in float64 (the exact function both float32 programs approximate; the
    # Java side is judged against this one, so the check does not depend on which kernels either library
    # picks on the CPU at hand).
    import copy
    for suffix, dtype in (("", torch.float32), ("_f64", torch.float64)):
        m = copy.deepcopy(model).to(dtype)
        xs, ys = x.to(dtype), y.to(dtype)
        m.eval()
        with torch.no_grad():
            out["logits_eval" + suffix] = m(xs)
            out["loss_eval" + suffix] = mod.loss_fn(out["logits_eval" + suffix], ys).reshape(1)
        # per-sample diagonal Fisher, BatchNorm in inference mode: (1/N) sum_i grad_i^2
        fisher = {name: torch.zeros_like(p) for name, p in m.named_parameters()}
        for i in range(xs.shape[0]):
            m.zero_grad()
            mod.loss_fn(m(xs[i:i + 1]), ys[i:i + 1]).backward()
            for name, p in m.named_parameters():
                fisher[name] += p.grad.detach() ** 2 / xs.shape[0]
        for name, f in fisher.items():
            out["fisher" + suffix + "." + name] = f
        m.train()
        m.zero_grad()
        logits = m(xs)
        loss = mod.loss_fn(logits, ys)
        loss.backward()
        out["logits_train" + suffix] = logits.detach()
        out["loss" + suffix] = loss.detach().reshape(1)
        for name, p in m.named_parameters():
            out["grad" + suffix + "." + name] = p.grad
        for name, b in m.named_buffers():
            if name.endswith("running_mean") or name.endswith("running_var"):
                out["stat" + suffix + "." + name] = b
    loss = out["loss"]
    write_raw(odir, out)
    print(f"torch {torch.__version__}: loss={loss.item():.6f}")


if __name__ == "__main__":
    main()
