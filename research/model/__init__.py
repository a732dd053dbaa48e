"""Model training for Alpha Factory: a denoising autoencoder over the graph's normalised features, a
LightGBM head on its bottleneck, and one ONNX graph (encoder + trees) with a model card and golden
outputs. Entry points: train.py (the CLI) and bench_onnx.py."""
