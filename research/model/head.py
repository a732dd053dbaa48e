"""The LightGBM head: a regressor on the encoder's bottleneck predicting the demeaned forward return.
Single-threaded and `deterministic` so the same inputs and seed give the same trees."""

from __future__ import annotations

from dataclasses import dataclass

import lightgbm as lgb
import numpy as np


@dataclass(frozen=True)
class HeadConfig:
    trees: int = 200
    leaves: int = 15
    learning_rate: float = 0.05
    min_leaf: int = 100
    feature_fraction: float = 0.8
    bagging_fraction: float = 0.8
    l2: float = 1.0


def lightgbm_params(cfg: HeadConfig, seed: int) -> dict:
    return {
        "objective": "regression",
        "learning_rate": cfg.learning_rate,
        "num_leaves": cfg.leaves,
        "min_data_in_leaf": cfg.min_leaf,
        "feature_fraction": cfg.feature_fraction,
        "bagging_fraction": cfg.bagging_fraction,
        "bagging_freq": 1 if cfg.bagging_fraction < 1 else 0,
        "lambda_l2": cfg.l2,
        "max_bin": 255,
        "seed": seed,
        "deterministic": True,
        "num_threads": 1,
        "force_row_wise": True,
        "verbosity": -1,
    }


def fit_head(z: np.ndarray, y: np.ndarray, cfg: HeadConfig, seed: int) -> lgb.Booster:
    params = lightgbm_params(cfg, seed)
    data = lgb.Dataset(z, label=y, params={"max_bin": params["max_bin"], "verbosity": -1}, free_raw_data=True)
    return lgb.train(params, data, num_boost_round=cfg.trees)
