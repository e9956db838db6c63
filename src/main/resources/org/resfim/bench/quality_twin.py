#!/usr/bin/env python3
"""ResFIM's training-quality twin: the same recipe in plain PyTorch.

Usage: quality_twin.py BENCH_PY DATA_DIR RECIPE_JSON OUT_DIR

BENCH_PY is the speed peer (../shared/bench/torch_unet_bench.py): its UNet and loss_fn are the network and the
loss (the cross-check test shows they are ResFIM's functions). DATA_DIR is a ResFIM raw export (index.json +
weights.bin, little-endian float32) of one seed's preprocessed split, written by `resfim bench quality`:
"<site>/<split>/x" (N,C,H,W) and "<site>/<split>/y" (N,1,H,W, 0/1), and "init.<param>" ResFIM's initial weights
for the seed. RECIPE_JSON holds the training recipe (below) and the image ids. The twin writes
OUT_DIR/<method>/seed-<S>/metrics.jsonl in ResFIM's own format (a "fit" line with the mean training loss and
an "evaluate" line with per-image Dice, IoU, sensitivity, specificity per round and site; hd95 is not computed: 0), so both stacks' results go through ResFIM's one selection rule.

Recipe keys: seed, rounds, local_epochs, batch_size, lr, weight_decay, lr_decay, lr_decay_every, augment
{hflip, vflip, rot90}, augment_per ("sample" or "batch"), init ("resfim-weights": ResFIM's exact initial weights;
"kaiming-fan-out": Kaiming-normal fan_out with zero conv biases drawn by torch; "torch-default": PyTorch's own
initialisation), methods (["local", "fedavg"]), sites [{name, train, val, test}] (ids), threads.
"""
import json, math, os, sys, importlib.util
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


def init_model(mod, channels, recipe, raw, seed):
    torch.manual_seed(seed)
    model = mod.UNet(channels)  # PyTorch's default initialisation, drawn from the seed
    init = recipe["init"]
    if init == "resfim-weights":
        state = {k[len("init."):]: v for k, v in raw.items() if k.startswith("init.")}
        missing, unexpected = model.load_state_dict(state, strict=False)
        missing = [k for k in missing if not k.endswith("num_batches_tracked")]
        if missing or unexpected:
            sys.exit(f"initial weights do not fit the peer's U-Net: missing={missing} unexpected={unexpected}")
    elif init == "kaiming-fan-out":
        for m in model.modules():
            if isinstance(m, torch.nn.Conv2d):
                torch.nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                torch.nn.init.zeros_(m.bias)
    elif init != "torch-default":
        sys.exit(f"unknown init '{init}' (resfim-weights, kaiming-fan-out or torch-default)")
    return model


def lr_of(recipe, rnd):
    every = max(1, int(math.floor(recipe["rounds"] * recipe["lr_decay_every"])))
    return recipe["lr"] * recipe["lr_decay"] ** ((rnd - 1) // every)


def augment(x, y, recipe, gen):
    """Flips then a counter-clockwise 90-degree rotation, each with its own probability (ResFIM's Augmentation)."""
    a = recipe["augment"]
    def draw():
        u = torch.rand(3, generator=gen, dtype=torch.float64)
        return bool(u[0] < a["hflip"]), bool(u[1] < a["vflip"]), bool(u[2] < a["rot90"] and x.shape[-1] == x.shape[-2])
    def apply(t, h, v, r):
        if h:
            t = torch.flip(t, dims=[-1])
        if v:
            t = torch.flip(t, dims=[-2])
        if r:
            t = torch.rot90(t, 1, dims=[-2, -1])
        return t
    if recipe["augment_per"] == "batch":
        h, v, r = draw()
        return apply(x, h, v, r).contiguous(), apply(y, h, v, r).contiguous()
    xs, ys = [], []
    for i in range(x.shape[0]):
        h, v, r = draw()
        xs.append(apply(x[i], h, v, r))
        ys.append(apply(y[i], h, v, r))
    return torch.stack(xs).contiguous(), torch.stack(ys).contiguous()


def train_epochs(mod, model, opt, x, y, recipe, gen):
    model.train()
    losses = []
    for _ in range(recipe["local_epochs"]):
        order = torch.randperm(x.shape[0], generator=gen)
        bs = recipe["batch_size"]
        for i in range(0, x.shape[0], bs):
            idx = order[i:i + bs]
            xb, yb = augment(x[idx], y[idx], recipe, gen)
            opt.zero_grad()
            loss = mod.loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            losses.append(loss.item())
    return sum(losses) / max(1, len(losses))


def scores(model, x, y):
    """Per-image Dice, IoU, sensitivity, specificity of logit > 0 against the mask (1 when both are empty)."""
    model.eval()
    out = []
    with torch.no_grad():
        for i in range(x.shape[0]):
            p = model(x[i:i + 1])[0, 0] > 0
            g = y[i, 0] > 0.5
            tp = (p & g).sum().item(); fp = (p & ~g).sum().item(); fn = (~p & g).sum().item(); tn = (~p & ~g).sum().item()
            dice = 1.0 if tp + fp + fn == 0 else 2 * tp / (2 * tp + fp + fn)
            iou = 1.0 if tp + fp + fn == 0 else tp / (tp + fp + fn)
            sens = 1.0 if tp + fn == 0 else tp / (tp + fn)
            spec = 1.0 if tn + fp == 0 else tn / (tn + fp)
            out.append({"dice": dice, "iou": iou, "sensitivity": sens, "specificity": spec, "hd95": 0.0})
    return out


def evaluate_line(method, seed, rnd, site, model, data):
    images = []
    for split in ("val", "test"):
        if split in data[site["name"]]:
            x, y = data[site["name"]][split]
            for sid, s in zip(site[split], scores(model, x, y)):
                images.append(dict(split=split, id=sid, **s))
    mean = lambda sp: (sum(i["dice"] for i in images if i["split"] == sp) / max(1, sum(1 for i in images if i["split"] == sp)))
    return {"event": "evaluate", "round": rnd, "site": site["name"], "method": method, "seed": seed, "fold": 0,
            "val_dice": mean("val"), "test_dice": mean("test"), "images": images}


def main():
    bench, data_dir, recipe_file, out_dir = sys.argv[1:5]
    spec = importlib.util.spec_from_file_location("torch_unet_bench", bench)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    recipe = json.load(open(recipe_file))
    torch.set_num_threads(recipe.get("threads", 1))
    seed = recipe["seed"]
    raw = read_raw(data_dir)
    data = {}
    for site in recipe["sites"]:
        data[site["name"]] = {}
        for split in ("train", "val", "test"):
            if site[split]:
                x = raw[f"{site['name']}/{split}/x"].contiguous(memory_format=torch.channels_last)
                data[site["name"]][split] = (x, raw[f"{site['name']}/{split}/y"])
    channels = next(iter(data.values()))["train"][0].shape[1]
    for method in recipe["methods"]:
        gens = {s["name"]: torch.Generator().manual_seed(seed * 1000003 + k) for k, s in enumerate(recipe["sites"])}
        models = {s["name"]: init_model(mod, channels, recipe, raw, seed) for s in recipe["sites"]}
        opts = {n: torch.optim.Adam(m.parameters(), lr=recipe["lr"], weight_decay=recipe["weight_decay"]) for n, m in models.items()}
        run = os.path.join(out_dir, method, f"seed-{seed}")
        os.makedirs(run, exist_ok=True)
        with open(os.path.join(run, "metrics.jsonl"), "w") as log:
            for rnd in range(1, recipe["rounds"] + 1):
                lr = lr_of(recipe, rnd)
                losses = {}
                for s in recipe["sites"]:
                    for g in opts[s["name"]].param_groups:
                        g["lr"] = lr
                    x, y = data[s["name"]]["train"]
                    losses[s["name"]] = train_epochs(mod, models[s["name"]], opts[s["name"]], x, y, recipe, gens[s["name"]])
                if method == "fedavg":
                    # every parameter and BatchNorm statistic averaged, weighted by training samples
                    n = {s["name"]: len(s["train"]) for s in recipe["sites"]}
                    total = sum(n.values())
                    states = {k: m.state_dict() for k, m in models.items()}
                    avg = {}
                    for key, v in next(iter(states.values())).items():
                        if v.dtype.is_floating_point:
                            avg[key] = sum(states[k][key].double() * (n[k] / total) for k in states).to(v.dtype)
                        else:
                            avg[key] = v
                    for m in models.values():
                        m.load_state_dict(avg)
                elif method != "local":
                    sys.exit(f"the twin trains local and fedavg, not '{method}'")
                for s in recipe["sites"]:
                    log.write(json.dumps({"event": "fit", "round": rnd, "site": s["name"], "method": method, "seed": seed,
                                          "train_loss": losses[s["name"]]}) + "\n")
                for s in recipe["sites"]:
                    log.write(json.dumps(evaluate_line(method, seed, rnd, s, models[s["name"]], data)) + "\n")
                log.flush()
                print(f"twin {method} seed {seed} round {rnd}/{recipe['rounds']}: loss "
                      + ", ".join(f"{k} {v:.4f}" for k, v in losses.items()), flush=True)


if __name__ == "__main__":
    main()
