"""The default recipe in PyTorch, for side-by-side timings with scripts/train (issue 35); never a dependency.

784-256-10 ReLU, softmax cross-entropy, He init, batch 512, momentum 0.9 (velocity in gradient units, as
sparkprop's: PyTorch's SGD is the same form), rate 0.4 with one epoch of linear warm-up then cosine to 0 by
step, 8 epochs, pixels / 255, the test set scored after each epoch. Prints each epoch's training seconds
(scoring excluded, as sparkprop's epoch times) and the training seconds until the test accuracy first
reaches 98%.
    python pytorch_default.py DATA_DIR [--threads N] [--seed S]
"""
import argparse, math, struct, time
import numpy as np
import torch

def idx(path):
    with open(path, 'rb') as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack('>' + 'I' * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)

def main():
    a = argparse.ArgumentParser()
    a.add_argument('data')
    a.add_argument('--threads', type=int, default=2)
    a.add_argument('--seed', type=int, default=1)
    a.add_argument('--epochs', type=int, default=8)
    args = a.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    x = torch.from_numpy(idx(f'{args.data}/train-images-idx3-ubyte').reshape(-1, 784).astype(np.float32) / 255)
    y = torch.from_numpy(idx(f'{args.data}/train-labels-idx1-ubyte').astype(np.int64))
    tx = torch.from_numpy(idx(f'{args.data}/t10k-images-idx3-ubyte').reshape(-1, 784).astype(np.float32) / 255)
    ty = torch.from_numpy(idx(f'{args.data}/t10k-labels-idx1-ubyte').astype(np.int64))
    net = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
    for m in net:
        if isinstance(m, torch.nn.Linear):
            torch.nn.init.kaiming_normal_(m.weight, nonlinearity='relu')
            torch.nn.init.zeros_(m.bias)
    batch, base = 512, 0.4
    steps = x.shape[0] // batch
    total, warm = steps * args.epochs, steps
    opt = torch.optim.SGD(net.parameters(), lr=base, momentum=0.9)
    lossf = torch.nn.CrossEntropyLoss()
    elapsed, reached, step = 0.0, None, 0
    print(f'torch {torch.__version__}, {args.threads} thread(s), {steps} steps/epoch')
    for epoch in range(args.epochs):
        perm = torch.randperm(x.shape[0])
        start = time.perf_counter()
        for s in range(steps):
            lr = base * (step + 1) / warm if step < warm else base * 0.5 * (1 + math.cos(math.pi * (step - warm) / (total - warm)))
            for g in opt.param_groups:
                g['lr'] = lr
            i = perm[s * batch:(s + 1) * batch]
            opt.zero_grad(set_to_none=True)
            lossf(net(x[i]), y[i]).backward()
            opt.step()
            step += 1
        seconds = time.perf_counter() - start
        elapsed += seconds
        with torch.no_grad():
            acc = (net(tx).argmax(1) == ty).float().mean().item()
        if reached is None and acc >= 0.98:
            reached = elapsed
        print(f'epoch {epoch + 1}/{args.epochs}  test acc {100 * acc:.2f}%  {seconds:.2f} s  {steps * batch / seconds:,.0f} samples/s')
    print(f'time to 98%: {reached:.2f} s' if reached is not None else 'did not reach 98%')

if __name__ == '__main__':
    main()
