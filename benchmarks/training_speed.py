"""Tutorial 000's softmax recipe trained two ways in one process on the same data.

    python benchmarks/training_speed.py [--data-dir DIR] [--epochs 15]

(a) the tutorial's way: a per-sample Dataset that, like torchvision.datasets.MNIST, turns each
    uint8 28x28 image into a PIL image and runs transforms.ToTensor() on it, batched by
    DataLoader(batch_size=100, shuffle=True) - the per-sample Python work is what it costs;
(b) ours: mnist_models.train.train_model with the whole set as one tensor in memory and
    batches taken by index, Recipe(epochs, 100, 0.1, "sgd", schedule="constant").

Both: nn.Linear(784, 10), cross-entropy, SGD lr 0.1, batch 100, same seed. The data path is the
only intended difference. (b)'s loop also evaluates the test set after every epoch (as
train_model always does), which (a) does not; that is counted against (b).
"""

from __future__ import annotations

import argparse
import time

import _common  # noqa: F401  (puts the repository on sys.path)
import torch
import torch.nn.functional as F
from _common import OtherLoad, machine_info, print_machine, print_table, wait_for_quiet, write_results
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

from mnist_models.data import default_data_dir, load_split
from mnist_models.device import describe_device, pick_device
from mnist_models.evaluate import evaluate_model
from mnist_models.train import Recipe, train_model


class PerSampleMNIST(Dataset):
    """torchvision.datasets.MNIST's __getitem__ over tensors we already hold: no download,
    same per-sample cost (tensor -> numpy -> PIL "L" image -> transform)."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, transform) -> None:
        self.images, self.labels, self.transform = images, labels, transform

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int):
        image = Image.fromarray(self.images[index].numpy(), mode="L")
        return self.transform(image), int(self.labels[index])


def tutorial_way(train, test, epochs: int, device: torch.device, seed: int) -> dict:
    torch.manual_seed(seed)
    loader = DataLoader(PerSampleMNIST(train.images, train.labels, transforms.ToTensor()), batch_size=100, shuffle=True)
    model = torch.nn.Linear(28 * 28, 10).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    epoch_seconds = []
    start = time.perf_counter()
    for epoch in range(epochs):
        t = time.perf_counter()
        for images, labels in loader:
            images, labels = images.to(device).reshape(-1, 28 * 28), labels.to(device)
            loss = F.cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        epoch_seconds.append(time.perf_counter() - t)
        print(f"tutorial epoch {epoch + 1}/{epochs}: {epoch_seconds[-1]:.1f} s", flush=True)
    train_seconds = time.perf_counter() - start

    # The tutorial's test loop: the same per-sample loader over the test split.
    t = time.perf_counter()
    test_loader = DataLoader(PerSampleMNIST(test.images, test.labels, transforms.ToTensor()), batch_size=100)
    correct = 0
    with torch.no_grad():
        for images, labels in test_loader:
            correct += (model(images.to(device).reshape(-1, 784)).argmax(1).cpu() == labels).sum().item()
    return {
        "train_seconds": train_seconds,
        "epoch_seconds": epoch_seconds,
        "test_seconds": time.perf_counter() - t,
        "test_accuracy": correct / len(test),
    }


def our_way(train, test, epochs: int, device: torch.device, seed: int) -> dict:
    recipe = Recipe(epochs, 100, 0.1, "sgd", schedule="constant")
    start = time.perf_counter()
    model, metrics = train_model("softmax", recipe, train, test, device, seed=seed, progress=False)
    call_seconds = time.perf_counter() - start
    # train_model's own clock covers the epoch loop including its per-epoch test evaluation;
    # the call also renders the synthetic drawn-digit set at the end (not training).
    t = time.perf_counter()
    accuracy = evaluate_model(model.eval(), test.as_float().to(device), test.labels)["accuracy"]
    return {
        "train_seconds": metrics["train_seconds"],
        "call_seconds": call_seconds,
        "test_seconds": time.perf_counter() - t,
        "test_accuracy": accuracy,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", help="folder with the MNIST IDX files (default: $MNIST_DATA_DIR or ./data)")
    parser.add_argument("--epochs", type=int, default=15, help="epochs for both (tutorial 000: 15)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", help="cuda, mps, cpu or auto (default: $MNIST_DEVICE or auto)")
    parser.add_argument("--threads", type=int, help="torch.set_num_threads (default: torch's choice)")
    parser.add_argument("--no-wait", action="store_true", help="start at once even if the machine is busy")
    args = parser.parse_args(argv)
    if not args.no_wait:
        wait_for_quiet()

    if args.threads:
        torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    info = machine_info(describe_device(device))
    print_machine(info)
    root = args.data_dir or default_data_dir()
    # download=False: a benchmark must not reach out to the network behind the user's back.
    train, test = load_split("train", root, download=False), load_split("test", root, download=False)
    print(f"data: {len(train)} train / {len(test)} test images from {root}")

    load = OtherLoad()
    ours = our_way(train, test, args.epochs, device, args.seed)
    ours["other_cores_busy"] = load.cores_used_by_others()
    load = OtherLoad()
    tutorial = tutorial_way(train, test, args.epochs, device, args.seed)
    tutorial["other_cores_busy"] = load.cores_used_by_others()
    ratio = tutorial["train_seconds"] / ours["train_seconds"]
    # The median epoch is robust to a burst of other work during one epoch of the long run.
    median_epoch = sorted(tutorial["epoch_seconds"])[len(tutorial["epoch_seconds"]) // 2]
    median_ratio = median_epoch * args.epochs / ours["train_seconds"]

    rows = [
        {
            "way": "tutorial (PIL+ToTensor DataLoader)",
            "epochs": args.epochs,
            "train_s": tutorial["train_seconds"],
            "s_per_epoch": tutorial["train_seconds"] / args.epochs,
            "test_accuracy": tutorial["test_accuracy"],
            "others_cores": tutorial["other_cores_busy"],
        },
        {
            "way": "ours (tensors in memory)",
            "epochs": args.epochs,
            "train_s": ours["train_seconds"],
            "s_per_epoch": ours["train_seconds"] / args.epochs,
            "test_accuracy": ours["test_accuracy"],
            "others_cores": ours["other_cores_busy"],
        },
    ]
    print()
    print_table(rows, ["way", "epochs", "train_s", "s_per_epoch", "test_accuracy", "others_cores"])
    print(
        f"ratio tutorial / ours (training loop time): {ratio:.1f}x; from the tutorial's median epoch "
        f"({median_epoch:.2f} s): {median_ratio:.1f}x"
    )
    print(f"tutorial epoch times: {', '.join(f'{s:.1f}' for s in tutorial['epoch_seconds'])} s")
    if max(tutorial["other_cores_busy"], ours["other_cores_busy"]) > 0.25:
        print("warning: other processes kept cores busy during the run (others_cores); the figures are contended")
    write_results(
        "training_speed",
        {
            "machine": info,
            "epochs": args.epochs,
            "tutorial": tutorial,
            "ours": ours,
            "ratio": ratio,
            "median_epoch_ratio": median_ratio,
        },
    )


if __name__ == "__main__":
    main()
