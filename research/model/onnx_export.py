"""Writes encoder + LightGBM head as one ONNX graph:

    features float32 [N, K] → Cast(double) → Gemm → Relu → Gemm → Relu → TreeEnsembleRegressor → score float32 [N, 1]

The encoder runs in double so that it matches the numpy encoder to ~1e-15, and the trees are written
from `Booster.dump_model()` with double thresholds (ai.onnx.ml opset 3 `nodes_values_as_tensor`).
Converters such as onnxmltools store thresholds as float32, so a bottleneck value lying between a
threshold and its float32 rounding takes the other branch than in LightGBM and the score moves by a
whole leaf value; with double thresholds the ONNX trees make the same decisions as LightGBM."""

from __future__ import annotations

import json

import lightgbm as lgb
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from .dae import Encoder

OPSET = 17  # ai.onnx
ML_OPSET = 3  # ai.onnx.ml: TreeEnsembleRegressor with *_as_tensor attributes
INPUT_NAME = "features"
OUTPUT_NAME = "score"
PRODUCER = "alpha-factory research/model"


def _flatten_trees(booster: lgb.Booster) -> dict[str, list]:
    """TreeEnsembleRegressor attributes from LightGBM's JSON dump (nodes numbered depth-first per tree)."""
    dump = booster.dump_model()
    if dump.get("num_class", 1) != 1:
        raise ValueError("only single-output regression boosters are supported")
    a: dict[str, list] = {k: [] for k in (
        "nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_modes", "nodes_values",
        "nodes_truenodeids", "nodes_falsenodeids", "nodes_missing_value_tracks_true",
        "target_treeids", "target_nodeids", "target_ids", "target_weights")}

    for tree in dump["tree_info"]:
        tid = tree["tree_index"]
        counter = [0]

        def visit(node: dict) -> int:
            nid = counter[0]
            counter[0] += 1
            slot = len(a["nodes_nodeids"])
            a["nodes_treeids"].append(tid)
            a["nodes_nodeids"].append(nid)
            if "leaf_value" in node:
                for k, v in (("nodes_featureids", 0), ("nodes_modes", "LEAF"), ("nodes_values", 0.0),
                             ("nodes_truenodeids", 0), ("nodes_falsenodeids", 0), ("nodes_missing_value_tracks_true", 0)):
                    a[k].append(v)
                a["target_treeids"].append(tid)
                a["target_nodeids"].append(nid)
                a["target_ids"].append(0)
                a["target_weights"].append(float(node["leaf_value"]))
                return nid
            if node["decision_type"] != "<=":
                raise ValueError(f"tree {tid}: decision type {node['decision_type']!r} (categorical splits) is not supported")
            if node["missing_type"] == "Zero":
                raise ValueError(f"tree {tid}: missing_type 'Zero' (zero_as_missing) cannot be expressed in ONNX")
            a["nodes_featureids"].append(int(node["split_feature"]))
            a["nodes_modes"].append("BRANCH_LEQ")
            a["nodes_values"].append(float(node["threshold"]))
            a["nodes_missing_value_tracks_true"].append(int(node["missing_type"] == "NaN" and node["default_left"]))
            a["nodes_truenodeids"].append(-1)
            a["nodes_falsenodeids"].append(-1)
            a["nodes_truenodeids"][slot] = visit(node["left_child"])
            a["nodes_falsenodeids"][slot] = visit(node["right_child"])
            return nid

        visit(tree["tree_structure"])
    return a


def build_model(encoder: Encoder, booster: lgb.Booster, feature_names: list[str], metadata: dict[str, str]) -> onnx.ModelProto:
    k = len(feature_names)
    if encoder.weights[0].shape[0] != k:
        raise ValueError(f"encoder expects {encoder.weights[0].shape[0]} inputs, {k} feature names given")
    inits, nodes = [], [helper.make_node("Cast", [INPUT_NAME], ["x"], to=TensorProto.DOUBLE, name="to_double")]
    h = "x"
    for i, (w, b) in enumerate(zip(encoder.weights, encoder.biases)):
        inits += [numpy_helper.from_array(np.ascontiguousarray(w, dtype=np.float64), f"W{i}"),
                  numpy_helper.from_array(np.ascontiguousarray(b, dtype=np.float64), f"b{i}")]
        nodes += [helper.make_node("Gemm", [h, f"W{i}", f"b{i}"], [f"pre{i}"], name=f"encoder_gemm{i}"),
                  helper.make_node("Relu", [f"pre{i}"], [f"h{i}"], name=f"encoder_relu{i}")]
        h = f"h{i}"

    t = _flatten_trees(booster)
    values = np.asarray(t.pop("nodes_values"), dtype=np.float64)
    weights = np.asarray(t.pop("target_weights"), dtype=np.float64)
    nodes.append(helper.make_node(
        "TreeEnsembleRegressor", [h], [OUTPUT_NAME], domain="ai.onnx.ml", name="lightgbm_head",
        n_targets=1, aggregate_function="SUM", post_transform="NONE",
        nodes_values_as_tensor=numpy_helper.from_array(values, "nodes_values"),
        target_weights_as_tensor=numpy_helper.from_array(weights, "target_weights"),
        **t,
    ))
    graph = helper.make_graph(
        nodes, "encoder_lightgbm",
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, ["N", k])],
        [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, ["N", 1])],
        initializer=inits,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid("ai.onnx.ml", ML_OPSET)],
        producer_name=PRODUCER, producer_version="1", ir_version=8,
        doc_string="Denoising-autoencoder encoder + LightGBM head; see card.json beside this file.",
    )
    meta = {"feature_names": json.dumps(feature_names), **metadata}
    for key in sorted(meta):
        model.metadata_props.add(key=key, value=meta[key])
    onnx.checker.check_model(model, full_check=True)
    return model


def session(model_bytes: bytes):
    """An onnxruntime session as the parity checks and golden outputs use it: one thread, sequential."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(model_bytes, sess_options=opts, providers=["CPUExecutionProvider"])


def run(sess, x: np.ndarray) -> np.ndarray:
    return sess.run([OUTPUT_NAME], {INPUT_NAME: np.ascontiguousarray(x, dtype=np.float32)})[0]
