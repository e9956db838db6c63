#!/usr/bin/env python3
"""Independent check of the Java U-Net against the PyTorch network of the peer benchmark.

Usage: torch_crosscheck.py BENCH_PY WEIGHTS_DIR INPUT_DIR OUT_DIR

WEIGHTS_DIR and INPUT_DIR are ResFIM raw exports (weights.bin + index.json: little-endian float32,
byte offsets). INPUT_DIR holds tensors "x" (N,C,H,W) and "y" (N,1,H,W). Writes OUT_DIR as a raw
export with: logits_eval (and logits_eval_f64, the same in float64), logits_train, loss, grad.<param> for every parameter, and
stat.<name> for every BatchNorm running statistic after the training-mode forward pass, and
fisher.<param>: the per-sample diagonal Fisher in evaluation mode.
"""
import importlib.util, json, os, sys
import torch


def read_raw(d):
    with open(os.path.join(d, "index.json")) as f:
        index = json.load(f)
    raw = open(os.path.join(d, index.get("data_file", "weights.bin")), "rb").read()
    out = {}
    for t in index["tensors"]:
        buf = bytearray(raw[t["offset"]:t["offset"] + t["length"]])
        arr = torch.frombuffer(buf, dtype=torch.float32).clone() if len(buf) else torch.zeros(0)
        out[t["name"]] = arr.reshape(t["shape"])
    return out


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
    model.eval()
    with torch.no_grad():
        # The same evaluation in float64: the exact function both float32 implementations approximate.
        import copy
        out["logits_eval_f64"] = copy.deepcopy(model).double()(x.double()).float()
        out["logits_eval"] = model(x)
    # per-sample diagonal Fisher, BatchNorm in inference mode: (1/N) sum_i grad_i^2
    fisher = {name: torch.zeros_like(p) for name, p in model.named_parameters()}
    for i in range(x.shape[0]):
        model.zero_grad()
        mod.loss_fn(model(x[i:i + 1]), y[i:i + 1]).backward()
        for name, p in model.named_parameters():
            fisher[name] += p.grad.detach() ** 2 / x.shape[0]
    for name, f in fisher.items():
        out["fisher." + name] = f
    model.train()
    model.zero_grad()
    logits = model(x)
    loss = mod.loss_fn(logits, y)
    loss.backward()
    out["logits_train"] = logits.detach()
    out["loss"] = loss.detach().reshape(1)
    for name, p in model.named_parameters():
        out["grad." + name] = p.grad
    for name, b in model.named_buffers():
        if name.endswith("running_mean") or name.endswith("running_var"):
            out["stat." + name] = b
    write_raw(odir, out)
    print(f"torch {torch.__version__}: loss={loss.item():.6f}")


if __name__ == "__main__":
    main()
