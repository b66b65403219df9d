"""Models from outside by `_target_`: any scikit-learn estimator, fitted here or elsewhere, and any LightningModule."""

from __future__ import annotations

import numpy as np
import pytest
import pytorch_lightning as pl
import torch
from omegaconf import OmegaConf, open_dict
from torch.nn import functional as F

from medbench.errors import DataError
from medbench.models.sklearn import SklearnClassifier


class TinyLogisticModule(pl.LightningModule):
    """A LightningModule written with no knowledge of medbench: no `net`, no `task_kind`, no validation."""

    def __init__(self, in_features: int, lr: float = 0.1) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.linear = torch.nn.Linear(in_features, 1)
        self.lr = lr

    def training_step(self, batch, batch_idx):
        inputs, targets = batch
        return F.binary_cross_entropy_with_logits(self.linear(inputs).squeeze(-1), targets.float())

    def predict_step(self, batch, batch_idx):
        return torch.sigmoid(self.linear(batch[0]).squeeze(-1))

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.lr)


def test_any_lightning_module_by_target(compose_config) -> None:
    from medbench.engine.run import run

    cfg = compose_config("callbacks=none", "trainer.max_epochs=5", "trainer.limit_train_batches=null", fast=True)
    with open_dict(cfg):
        cfg.model = OmegaConf.create({"_target_": f"{__name__}.TinyLogisticModule", "in_features": 30})
    record = run(cfg)
    assert record.complete and record.manifest.model.parameter_count == 31
    assert record.metrics().values["auroc"].value > 0.9


def test_a_trained_lightning_checkpoint_is_evaluated_without_training(compose_config, tmp_path, breast_cancer) -> None:
    """`_target_: <Module>.load_from_checkpoint` with `trainer.max_epochs=0`: the partner's weights, untouched."""
    from medbench.engine.run import run

    module = TinyLogisticModule(in_features=30)
    trainer = pl.Trainer(max_epochs=3, logger=False, enable_progress_bar=False, enable_checkpointing=False)
    trainer.fit(module, datamodule=breast_cancer)
    checkpoint = tmp_path / "partner.ckpt"
    trainer.save_checkpoint(checkpoint)
    cfg = compose_config("callbacks=none", "trainer.max_epochs=0")
    with open_dict(cfg):
        cfg.model = OmegaConf.create(
            {"_target_": f"{__name__}.TinyLogisticModule.load_from_checkpoint", "checkpoint_path": str(checkpoint)}
        )
    record = run(cfg)
    with torch.no_grad():
        expected = module.predict_step((torch.as_tensor(breast_cancer.split("test").inputs),), 0).double().numpy()
    np.testing.assert_allclose(record.predictions()["score"].to_numpy(), expected, rtol=1e-6)


def test_any_sklearn_estimator_by_target(compose_config) -> None:
    from medbench.engine.run import run

    record = run(
        compose_config(
            "model=logreg",
            "model.estimator._target_=sklearn.ensemble.RandomForestClassifier",
            "~model.estimator.C",
            "~model.estimator.max_iter",
            "+model.estimator.n_estimators=20",
            "+model.estimator.random_state=0",
        )
    )
    assert record.complete and record.manifest.model.target == "medbench.models.sklearn.SklearnClassifier"
    assert record.metrics().values["auroc"].value > 0.9


def test_a_prefit_estimator_is_evaluated_without_refitting(breast_cancer, fitted_logreg) -> None:
    coef = fitted_logreg.coef_.copy()
    model = SklearnClassifier(fitted_logreg, prefit=True)
    model.fit(breast_cancer.split("val"), breast_cancer.split("val"))
    np.testing.assert_array_equal(fitted_logreg.coef_, coef)
    test = breast_cancer.split("test")
    np.testing.assert_array_equal(model.predict_scores(test), fitted_logreg.predict_proba(test.inputs))
    narrow = type(test)(ids=test.ids, inputs=test.inputs[:, :5], targets=test.targets)
    with pytest.raises(DataError, match="expects 30 features, the task's inputs have 5"):
        model.fit(narrow, narrow)
    from sklearn.linear_model import LogisticRegression

    with pytest.raises(DataError, match="not fitted"):
        SklearnClassifier(LogisticRegression(), prefit=True).fit(test, test)
