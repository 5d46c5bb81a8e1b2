#!/usr/bin/env python3
"""Write two tiny ONNX models for the error-path tests of eqnemix-models:

  models/tests/data/eqt_wrong_input.onnx  input [N, 3000, 3] (not EQTransformer's)
  models/tests/data/eqt_nan_output.onnx   EQTransformer's signature, outputs NaN

Needs only the `onnx` package (e.g. the venv of convert_eqtransformer.py):
  /work/venvs/tf/bin/python models/scripts/make_test_models.py
"""
import os

import onnx
from onnx import TensorProto, helper

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "data")


def save(model, name):
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(OUT, name))
    print("wrote", name)


def model(inputs, outputs, nodes, initializers=()):
    graph = helper.make_graph(nodes, "eqnemix_test", inputs, outputs, list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="eqnemix tests")


def main():
    os.makedirs(OUT, exist_ok=True)
    # Wrong input length: [N, 3000, 3] -> three [N, 3000, 1] slices.
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3000, 3])
    outs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, ["N", 3000, 1]) for n in ("detector", "picker_P", "picker_S")]
    nodes = [helper.make_node("Split", ["input", "split"], ["detector", "picker_P", "picker_S"], axis=2)]
    split = helper.make_tensor("split", TensorProto.INT64, [3], [1, 1, 1])
    save(model([x], outs, nodes, [split]), "eqt_wrong_input.onnx")

    # Right signature, NaN outputs: sqrt(-1 - x^2) is NaN for every x.
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 6000, 3])
    outs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, ["N", 6000, 1]) for n in ("detector", "picker_P", "picker_S")]
    one = helper.make_tensor("one", TensorProto.FLOAT, [], [1.0])
    nodes = [
        helper.make_node("Mul", ["input", "input"], ["sq"]),
        helper.make_node("Add", ["sq", "one"], ["pos"]),
        helper.make_node("Neg", ["pos"], ["neg"]),
        helper.make_node("Sqrt", ["neg"], ["nan"]),
        helper.make_node("Split", ["nan", "split"], ["detector", "picker_P", "picker_S"], axis=2),
    ]
    save(model([x], outs, nodes, [one, split]), "eqt_nan_output.onnx")


if __name__ == "__main__":
    main()
