#!/usr/bin/python3
"""PyTorch reference of the engine's character-level GPT.

Same model (token + position embeddings, pre-LayerNorm blocks with fused qkv, causal
attention, MLP 4C with tanh GELU, final LayerNorm, head tied to the token embedding),
started from the engine's own checkpoint (train_full --save-init), fed the same batches
(the engine's generator and batching, reimplemented bit for bit), trained with the same
AdamW (decay on matrices only) and global-norm clipping.

  torch_ref.py parity --init CKPT --data FILE --steps N --losses OUT [--grads OUT]
      (CKPT: the engine's checkpoint, or llm.c's: --batch B and --seed S as train_full's)
  torch_ref.py time --init CKPT --data FILE --steps N        (prints median ms per step)
  torch_ref.py generate --init CKPT --tokens N --batch B     (generation with a key/value cache)

generate: B streams at once (one batched forward per token), each token fed at one position
with the keys and values of the earlier ones kept per layer, and the cache refilled from the
last T/2 tokens when full, as engine/generate.c does; sampling at temperature 0.8 among the
40 likeliest. Prints one line: tokens per second of one stream and of all B, the per-token
latency p50 and p99 in ms, and the cache's bytes per stream.
"""
import argparse
import resource
import struct
import sys
import time

import torch
import torch.nn.functional as F

MASK = (1 << 64) - 1


class Rng:
    """xorshift64* seeded through splitmix64, as engine/rng.h."""

    def __init__(self, seed=0, state=None):
        if state is not None:
            self.s = state
            return
        z = (seed + 0x9E3779B97F4A7C15) & MASK
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        z ^= z >> 31
        self.s = z or 1

    def next(self):
        s = self.s
        s ^= s >> 12
        s ^= (s << 25) & MASK
        s ^= s >> 27
        self.s = s
        return (s * 0x2545F4914F6CDD1D) & MASK

    def below(self, n):
        return self.next() % n


def load_checkpoint(path):
    raw = open(path, "rb").read()
    if raw[:8] != b"FMCKPT1\0":
        sys.exit(f"{path}: not a checkpoint")
    version, hdr = struct.unpack_from("<II", raw, 8)
    if version != 1 or hdr != 352:
        sys.exit(f"{path}: unsupported checkpoint version {version}")
    L, H, C, T, B, V = struct.unpack_from("<6i", raw, 16)
    n, step, rng_state, seed, opt_steps = struct.unpack_from("<5Q", raw, 40)
    itos = raw[80:80 + V]
    params = torch.frombuffer(bytearray(raw[352:352 + 4 * n]), dtype=torch.float32).clone()
    cfg = dict(L=L, H=H, C=C, T=T, B=B, V=V)
    return cfg, params, rng_state, seed, itos


LLMC_ORDER = [("wte", None), ("wpe", None), ("ln1.w", 1), ("ln1.b", 1), ("qkv.w", 1), ("qkv.b", 1), ("proj.w", 1),
              ("proj.b", 1), ("ln2.w", 1), ("ln2.b", 1), ("fc.w", 1), ("fc.b", 1), ("fcproj.w", 1), ("fcproj.b", 1),
              ("lnf.w", None), ("lnf.b", None)]


def load_llmc(path, batch, seed):
    """A model in llm.c's checkpoint format (train_gpt2.c; engine/checkpoint.h), as
    load_checkpoint returns one: its parameters in the engine's order, the batch generator
    seeded with seed (train_full --load-llmc starts it so), no vocabulary (the data's)."""
    raw = open(path, "rb").read()
    head = struct.unpack_from("<8i", raw, 0)
    if head[0] != 20240326 or head[1] != 3:
        sys.exit(f"{path}: not an llm.c checkpoint of version 3")
    T, V, L, H, C, Vp = head[2:8]
    cfg = dict(L=L, H=H, C=C, T=T, B=batch, V=V)
    sizes = {"wte": Vp * C, "wpe": T * C, "ln1.w": C, "ln1.b": C, "qkv.w": 3 * C * C, "qkv.b": 3 * C,
             "proj.w": C * C, "proj.b": C, "ln2.w": C, "ln2.b": C, "fc.w": 4 * C * C, "fc.b": 4 * C,
             "fcproj.w": 4 * C * C, "fcproj.b": C, "lnf.w": C, "lnf.b": C}
    flat = torch.frombuffer(bytearray(raw[1024:]), dtype=torch.float32)
    if flat.numel() != sum(sizes[n] * (L if per else 1) for n, per in LLMC_ORDER):
        sys.exit(f"{path}: its size does not match its header")
    parts, off = {}, 0
    for name, per in LLMC_ORDER:
        for layer in range(L if per else 1):
            parts[(f"h{layer}." if per else "") + name] = flat[off:off + sizes[name]]
            off += sizes[name]
    parts["wte"] = parts["wte"][:V * C]  # the padded rows are not the model's
    ordered = torch.cat([parts[name].reshape(-1) for name, _ in shapes(cfg)]).clone()
    return cfg, ordered, Rng(seed=seed).s, seed, None


def shapes(cfg):
    C, V, T = cfg["C"], cfg["V"], cfg["T"]
    out = [("wte", (V, C)), ("wpe", (T, C)), ("lnf.w", (C,)), ("lnf.b", (C,))]
    for layer in range(cfg["L"]):
        p = f"h{layer}."
        out += [(p + "ln1.w", (C,)), (p + "ln1.b", (C,)), (p + "qkv.w", (3 * C, C)), (p + "qkv.b", (3 * C,)),
                (p + "proj.w", (C, C)), (p + "proj.b", (C,)), (p + "ln2.w", (C,)), (p + "ln2.b", (C,)),
                (p + "fc.w", (4 * C, C)), (p + "fc.b", (4 * C,)), (p + "fcproj.w", (C, 4 * C)), (p + "fcproj.b", (C,))]
    return out


def unflatten(cfg, flat):
    params, off = {}, 0
    for name, shape in shapes(cfg):
        size = 1
        for d in shape:
            size *= d
        params[name] = flat[off:off + size].view(shape).clone().requires_grad_(True)
        off += size
    assert off == flat.numel(), "parameter count mismatch"
    return params


def forward(P, cfg, idx, tgt):
    B, T = idx.shape
    C, H = cfg["C"], cfg["H"]
    hs = C // H
    x = P["wte"][idx] + P["wpe"][:T]
    mask = torch.ones(T, T, dtype=torch.bool).tril()
    for layer in range(cfg["L"]):
        p = f"h{layer}."
        h = F.layer_norm(x, (C,), P[p + "ln1.w"], P[p + "ln1.b"], eps=1e-5)
        qkv = h @ P[p + "qkv.w"].T + P[p + "qkv.b"]
        q, k, v = qkv.split(C, dim=2)
        q = q.view(B, T, H, hs).transpose(1, 2)
        k = k.view(B, T, H, hs).transpose(1, 2)
        v = v.view(B, T, H, hs).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / hs ** 0.5)
        att = att.masked_fill(~mask, float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        x = x + y @ P[p + "proj.w"].T + P[p + "proj.b"]
        h = F.layer_norm(x, (C,), P[p + "ln2.w"], P[p + "ln2.b"], eps=1e-5)
        f = F.gelu(h @ P[p + "fc.w"].T + P[p + "fc.b"], approximate="tanh")
        x = x + f @ P[p + "fcproj.w"].T + P[p + "fcproj.b"]
    x = F.layer_norm(x, (C,), P["lnf.w"], P["lnf.b"], eps=1e-5)
    logits = x @ P["wte"].T
    return F.cross_entropy(logits.view(-1, cfg["V"]), tgt.view(-1))


class Data:
    """Byte vocabulary, 90/10 split and windows, as engine/data.c."""

    def __init__(self, path, itos):
        text = open(path, "rb").read()
        vocab = sorted(set(text))
        if itos is not None and bytes(vocab) != itos:
            sys.exit("the data's vocabulary differs from the checkpoint's")
        stoi = {b: i for i, b in enumerate(vocab)}
        self.tokens = torch.tensor([stoi[b] for b in text], dtype=torch.long)
        self.n_train = len(text) - len(text) // 10

    def batch(self, rng, B, T):
        windows = self.n_train - T
        xs, ys = [], []
        for _ in range(B):
            off = rng.below(windows)
            xs.append(self.tokens[off:off + T])
            ys.append(self.tokens[off + 1:off + T + 1])
        return torch.stack(xs), torch.stack(ys)


def make_optimizer(P, lr, wd):
    decay = [p for p in P.values() if p.dim() == 2]
    rest = [p for p in P.values() if p.dim() != 2]
    return torch.optim.AdamW([{"params": decay, "weight_decay": wd}, {"params": rest, "weight_decay": 0.0}],
                             lr=lr, betas=(0.9, 0.999), eps=1e-8)


class Cache:
    """The keys and values of the positions fed so far, per layer: [B, H, t, hs]."""

    def __init__(self, cfg, B):
        self.cfg, self.B = cfg, B
        self.reset()

    def reset(self):
        self.k = [None] * self.cfg["L"]
        self.v = [None] * self.cfg["L"]
        self.len = 0

    def bytes(self):
        return sum(t.numel() * 4 for t in self.k + self.v if t is not None) // self.B


@torch.no_grad()
def feed(P, cfg, cache, tok):
    """Feeds tokens tok [B] at the next position; returns the next token's logits [B, V]."""
    C, H = cfg["C"], cfg["H"]
    hs, B = C // H, tok.shape[0]
    x = P["wte"][tok] + P["wpe"][cache.len]
    for layer in range(cfg["L"]):
        p = f"h{layer}."
        h = F.layer_norm(x, (C,), P[p + "ln1.w"], P[p + "ln1.b"], eps=1e-5)
        q, k, v = (h @ P[p + "qkv.w"].T + P[p + "qkv.b"]).split(C, dim=1)
        q, k, v = (t.view(B, H, 1, hs) for t in (q, k, v))
        cache.k[layer] = k if cache.k[layer] is None else torch.cat([cache.k[layer], k], dim=2)
        cache.v[layer] = v if cache.v[layer] is None else torch.cat([cache.v[layer], v], dim=2)
        att = ((q @ cache.k[layer].transpose(-2, -1)) * (1.0 / hs ** 0.5)).softmax(dim=-1)
        y = (att @ cache.v[layer]).view(B, C)
        x = x + y @ P[p + "proj.w"].T + P[p + "proj.b"]
        h = F.layer_norm(x, (C,), P[p + "ln2.w"], P[p + "ln2.b"], eps=1e-5)
        x = x + F.gelu(h @ P[p + "fc.w"].T + P[p + "fc.b"], approximate="tanh") @ P[p + "fcproj.w"].T + P[
            p + "fcproj.b"]
    cache.len += 1
    x = F.layer_norm(x, (C,), P["lnf.w"], P["lnf.b"], eps=1e-5)
    return x @ P["wte"].T


@torch.no_grad()
def generate(P, cfg, B, tokens):
    """B streams of `tokens` tokens; the seconds each token took."""
    torch.manual_seed(1)
    cache, T = Cache(cfg, B), cfg["T"]
    window = [torch.zeros(B, dtype=torch.long)]  # a newline-ish start: token 0
    logits = feed(P, cfg, cache, window[0])
    took, most = [], 0
    for _ in range(tokens):
        t0 = time.perf_counter()
        top, idx = (logits / 0.8).topk(min(40, cfg["V"]), dim=1)
        tok = idx.gather(1, torch.multinomial(top.softmax(dim=1), 1)).view(B)
        window.append(tok)
        if cache.len == T:  # full: the last T/2 tokens fed again from position 0
            most = max(most, cache.bytes())
            cache.reset()
            window = window[-(T // 2):]
            for w in window[:-1]:
                feed(P, cfg, cache, w)
        logits = feed(P, cfg, cache, tok)
        took.append(time.perf_counter() - t0)
    return took, max(most, cache.bytes())


def generate_main(a):
    cfg, flat, _, _, _ = load_checkpoint(a.init)
    P = {k: v.detach() for k, v in unflatten(cfg, flat).items()}
    generate(P, cfg, a.batch, 20)  # warm-up: PyTorch's first calls allocate
    took, cache_bytes = generate(P, cfg, a.batch, a.tokens)
    took.sort()
    total = sum(took)
    print(f"torch_generate batch {a.batch} stream_tokens_per_s {a.tokens / total:.1f} "
          f"all_tokens_per_s {a.batch * a.tokens / total:.1f} token_ms_p50 {took[len(took) // 2] * 1e3:.4f} "
          f"token_ms_p99 {took[min(len(took) - 1, int(len(took) * 0.99))] * 1e3:.4f} "
          f"cache_bytes_per_stream {cache_bytes}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["parity", "time", "generate"])
    ap.add_argument("--init", required=True)
    ap.add_argument("--data")
    ap.add_argument("--tokens", type=int, default=512)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--wd", type=float, default=0.0)
    ap.add_argument("--clip", type=float, default=1.0)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--losses")
    ap.add_argument("--grads")
    ap.add_argument("--seed", type=int, default=1337, help="an llm.c checkpoint: the batch generator's seed")
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    if a.what == "generate":
        return generate_main(a)
    if not a.data:
        ap.error("--data is required for " + a.what)
    with open(a.init, "rb") as f:
        llmc = struct.unpack("<i", f.read(4))[0] == 20240326
    if llmc:
        cfg, flat, rng_state, seed, itos = load_llmc(a.init, a.batch, a.seed)
    else:
        cfg, flat, rng_state, seed, itos = load_checkpoint(a.init)
    data = Data(a.data, itos)
    P = unflatten(cfg, flat)
    opt = make_optimizer(P, a.lr, a.wd)
    rng = Rng(state=rng_state)
    losses, times = [], []
    for step in range(1, a.steps + 1):
        x, y = data.batch(rng, cfg["B"], cfg["T"])
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=False)
        loss = forward(P, cfg, x, y)
        loss.backward()
        if a.clip > 0:
            torch.nn.utils.clip_grad_norm_(list(P.values()), a.clip)
        if step == 1 and a.grads:
            torch.cat([p.grad.reshape(-1) for p in P.values()]).numpy().tofile(a.grads)
        opt.step()
        times.append((time.perf_counter() - t0) * 1e3)
        losses.append(loss.item())
    if a.losses:
        with open(a.losses, "w") as f:
            for i, l in enumerate(losses, 1):
                f.write(f"{i} {l:.9g}\n")
    if a.what == "time":
        if len(times) > 4:
            times = times[2:]  # PyTorch's first steps allocate its caches: not counted
        times.sort()
        print(f"torch_ms {times[len(times) // 2]:.3f} peak_rss_bytes "
              f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}")


if __name__ == "__main__":
    main()
