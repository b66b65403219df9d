"""An ONNX file evaluated with onnxruntime: same scores as the model it was exported from, its hash recorded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from medbench.errors import ConfigError, DataError
from medbench.models.onnx import OnnxModel, scores_from_outputs
from medbench.io import sha256_file


def export_logreg(estimator, path: Path, output: str) -> Path:
    """A logistic regression as an ONNX graph built by hand: Gemm (+ Sigmoid for probabilities)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    n_features = estimator.coef_.shape[1]
    weights = numpy_helper.from_array(estimator.coef_.T.astype(np.float32), "weights")
    bias = numpy_helper.from_array(estimator.intercept_.astype(np.float32), "bias")
    nodes = [helper.make_node("Gemm", ["features", "weights", "bias"], ["logit"])]
    if output == "probabilities":
        nodes.append(helper.make_node("Sigmoid", ["logit"], ["probability"]))
    graph = helper.make_graph(
        nodes,
        "logreg",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", n_features])],
        [helper.make_tensor_value_info(nodes[-1].output[0], TensorProto.FLOAT, ["batch", 1])],
        initializer=[weights, bias],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


@pytest.mark.parametrize("output", ["probabilities", "logits"])
def test_onnx_scores_equal_the_exported_model(tmp_path: Path, breast_cancer, fitted_logreg, output: str) -> None:
    path = export_logreg(fitted_logreg, tmp_path / "logreg.onnx", output)
    model = OnnxModel(str(path), task_kind="binary", output=output, batch_size=50)
    model.fit(breast_cancer.split("train"), breast_cancer.split("val"))
    test = breast_cancer.split("test")
    expected = fitted_logreg.predict_proba(test.inputs)[:, 1]
    np.testing.assert_allclose(model.predict_scores(test), expected, atol=1e-5)
    assert model.parameter_count() == fitted_logreg.coef_.size + 1


def test_run_records_the_onnx_file_and_its_hash(compose_config, tmp_path: Path, breast_cancer, fitted_logreg) -> None:
    from sklearn.metrics import roc_auc_score

    from medbench.engine.run import run

    path = export_logreg(fitted_logreg, tmp_path / "partner.onnx", "logits")
    record = run(compose_config("model=onnx", f"model.path={path}", "model.output=logits"))
    assert record.complete
    assert record.manifest.model.checkpoint_sha256 == sha256_file(path)
    assert sha256_file(record.checkpoint_path()) == sha256_file(path)
    test = breast_cancer.split("test")
    expected = roc_auc_score(test.targets, fitted_logreg.predict_proba(test.inputs)[:, 1])
    assert record.metrics().values["auroc"].value == pytest.approx(expected, abs=1e-6)


def test_bad_onnx_inputs_are_refused(tmp_path: Path, breast_cancer, fitted_logreg) -> None:
    path = export_logreg(fitted_logreg, tmp_path / "logreg.onnx", "probabilities")
    with pytest.raises(DataError, match="SHA-256"):
        OnnxModel(str(path), task_kind="binary", sha256="0" * 64)
    with pytest.raises(DataError, match="no such file"):
        OnnxModel(str(tmp_path / "absent.onnx"), task_kind="binary")
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a protobuf")
    with pytest.raises(DataError, match="not a valid ONNX model"):
        OnnxModel(str(broken), task_kind="binary")
    with pytest.raises(ConfigError, match="has no 'image'"):
        OnnxModel(str(path), task_kind="binary", input_name="image")
    with pytest.raises(ConfigError, match="model.output"):
        OnnxModel(str(path), task_kind="binary", output="labels")
    train = breast_cancer.split("train")
    narrow = type(train)(ids=train.ids, inputs=train.inputs[:, :10], targets=train.targets)
    with pytest.raises(DataError, match="takes input 'features'"):
        OnnxModel(str(path), task_kind="binary").fit(narrow, narrow)


def test_the_onnx_path_is_mandatory(compose_config) -> None:
    from medbench.engine.run import run

    with pytest.raises(ConfigError, match="model.path"):
        run(compose_config("model=onnx"))


def test_raw_outputs_become_the_task_kinds_scores() -> None:
    logits = np.array([[2.0, 0.0, -1.0], [0.0, 0.0, 0.0]])
    softmax = scores_from_outputs(logits, "multiclass", "logits")
    np.testing.assert_allclose(softmax.sum(axis=1), 1.0)
    assert softmax[0].argmax() == 0 and np.allclose(softmax[1], 1 / 3)
    np.testing.assert_allclose(scores_from_outputs(logits, "multilabel", "logits")[1], 0.5)
    two_columns = scores_from_outputs(np.array([[0.0, 0.0], [0.0, 10.0]]), "binary", "logits")
    np.testing.assert_allclose(two_columns, [0.5, 1 / (1 + np.exp(-10))])
    with pytest.raises(DataError, match="3 output column"):
        scores_from_outputs(logits, "binary", "probabilities")


def test_onnx_scores_images(tmp_path: Path) -> None:
    """An image model (N, C, H, W): here the mean brightness through a sigmoid, as a hand-built graph."""
    import onnx
    from onnx import TensorProto, helper

    from medbench.tasks.split import Split

    nodes = [
        helper.make_node("ReduceMean", ["image"], ["mean"], axes=[1, 2, 3], keepdims=0),
        helper.make_node("Unsqueeze", ["mean", "axis"], ["logit"]),
    ]
    graph = helper.make_graph(
        nodes,
        "brightness",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 1, 8, 8])],
        [helper.make_tensor_value_info("logit", TensorProto.FLOAT, ["batch", 1])],
        initializer=[helper.make_tensor("axis", TensorProto.INT64, [1], [1])],
    )
    path = tmp_path / "brightness.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)
    images = np.random.default_rng(0).normal(size=(10, 1, 8, 8)).astype(np.float32)
    split = Split(ids=np.arange(10).astype(str), inputs=images, targets=np.zeros(10, dtype=np.int64))
    model = OnnxModel(str(path), task_kind="binary", output="logits", batch_size=4)
    model.fit(split, split)
    expected = 1 / (1 + np.exp(-images.mean(axis=(1, 2, 3), dtype=np.float64)))
    np.testing.assert_allclose(model.predict_scores(split), expected, atol=1e-6)
    wrong = Split(ids=split.ids, inputs=np.zeros((10, 3, 8, 8), dtype=np.float32), targets=split.targets)
    with pytest.raises(DataError, match=r"shape \[3, 8, 8\]"):
        model.fit(wrong, wrong)
