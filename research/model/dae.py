"""The denoising autoencoder: an sklearn MLPRegressor input → hidden → bottleneck → hidden → input,
trained to reproduce clean rows from corrupted ones (Gaussian noise, and optionally masking some inputs
to 0, the graph's value for "missing"). The corruption is drawn afresh each epoch from the seed.

The encoder is the first two layers (input → hidden → bottleneck, ReLU after each); `Encoder.encode` is
its plain-numpy forward pass, the reference that the ONNX graph is checked against."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor
from threadpoolctl import threadpool_limits


@dataclass(frozen=True)
class DaeConfig:
    hidden: int = 128
    bottleneck: int = 64
    noise: float = 0.1  # std of the Gaussian noise added to every input
    mask: float = 0.0  # fraction of inputs set to 0 in each corrupted row
    epochs: int = 20
    batch_size: int = 256
    learning_rate: float = 1e-3
    l2: float = 1e-4


@dataclass(frozen=True)
class Encoder:
    weights: tuple[np.ndarray, ...]  # [in, out] per layer, float64
    biases: tuple[np.ndarray, ...]

    def encode(self, x: np.ndarray) -> np.ndarray:
        h = np.asarray(x, dtype=np.float64)
        for w, b in zip(self.weights, self.biases):
            h = np.maximum(h @ w + b, 0.0)
        return h


@dataclass(frozen=True)
class Dae:
    config: DaeConfig
    mlp: MLPRegressor
    encoder: Encoder
    final_loss: float

    def reconstruct(self, x: np.ndarray) -> np.ndarray:
        with threadpool_limits(1):
            return self.mlp.predict(x)

    def report(self, x: np.ndarray) -> dict:
        """Reconstruction MSE of clean rows against the all-zero baseline (the mean of x², since the
        inputs are already ~N(0,1) per snapshot) and the number of bottleneck units that are 0 on every row."""
        mse = float(np.mean((self.reconstruct(x) - x) ** 2))
        baseline = float(np.mean(x**2))
        z = self.encoder.encode(x)
        return {
            "reconstruction_mse": mse,
            "baseline_mse": baseline,
            "mse_ratio": mse / baseline if baseline > 0 else None,
            "dead_bottleneck_units": int((z.max(axis=0) <= 0).sum()),
            "rows": int(len(x)),
        }


def corrupt(x: np.ndarray, cfg: DaeConfig, rng: np.random.Generator) -> np.ndarray:
    noisy = x + rng.standard_normal(x.shape) * cfg.noise if cfg.noise > 0 else x.copy()
    if cfg.mask > 0:
        noisy[rng.random(x.shape) < cfg.mask] = 0.0
    return noisy


def fit_dae(x: np.ndarray, cfg: DaeConfig, seed: int) -> Dae:
    """Deterministic for a given seed: one BLAS thread, corruption and shuffling from the seed."""
    mlp = MLPRegressor(
        hidden_layer_sizes=(cfg.hidden, cfg.bottleneck, cfg.hidden),
        activation="relu",
        solver="adam",
        alpha=cfg.l2,
        batch_size=min(cfg.batch_size, len(x)),
        learning_rate_init=cfg.learning_rate,
        shuffle=True,
        random_state=seed,
    )
    rng = np.random.default_rng(seed)
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(cfg.epochs):
            mlp.partial_fit(corrupt(x, cfg, rng), x)
    encoder = Encoder(
        weights=tuple(np.array(w, dtype=np.float64) for w in mlp.coefs_[:2]),
        biases=tuple(np.array(b, dtype=np.float64) for b in mlp.intercepts_[:2]),
    )
    return Dae(config=cfg, mlp=mlp, encoder=encoder, final_loss=float(mlp.loss_))
