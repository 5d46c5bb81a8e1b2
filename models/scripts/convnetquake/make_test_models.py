#!/usr/bin/env python3
"""Tiny ONNX fixtures for the ConvNetQuake signature and output checks.

    python make_test_models.py models/tests/data/convnetquake

- channels_first.onnx: input [batch, 3, 1000] (wrong layout) -> [batch, 5];
- nan_output.onnx: the right signature ([batch, 1000, 3] -> [batch, 3])
  but every output is NaN (0/0), for the NaN-output error.
"""
import os
import sys

import torch
from torch import nn


class ChannelsFirst(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 5)

    def forward(self, x):  # [batch, 3, 1000]
        return torch.softmax(self.fc(x.mean(dim=2)), dim=1)


class NanOutput(nn.Module):
    def forward(self, x):  # [batch, 1000, 3]
        z = x.mean(dim=1) * 0.0  # [batch, 3]
        return z / z


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    dyn = {"input": {0: "batch"}, "probabilities": {0: "batch"}}
    torch.onnx.export(ChannelsFirst(), torch.zeros(2, 3, 1000), os.path.join(out, "channels_first.onnx"),
                      input_names=["input"], output_names=["probabilities"], dynamic_axes=dyn, opset_version=13)
    torch.onnx.export(NanOutput(), torch.zeros(2, 1000, 3), os.path.join(out, "nan_output.onnx"),
                      input_names=["input"], output_names=["probabilities"], dynamic_axes=dyn, opset_version=13)
    print("wrote", out)


if __name__ == "__main__":
    main()
