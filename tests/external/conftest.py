"""Fixtures of the outside models: the breast-cancer task's data, and a logistic regression fitted on it."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def breast_cancer():
    """The default task's data module, as configured in conf/task/breast_cancer.yaml."""
    from medbench.data.tabular import SklearnTabularDataModule

    data = SklearnTabularDataModule(dataset="breast_cancer", positive_label="malignant")
    data.setup()
    return data


@pytest.fixture(scope="module")
def fitted_logreg(breast_cancer):
    from sklearn.linear_model import LogisticRegression

    train = breast_cancer.split("train")
    return LogisticRegression(max_iter=2000).fit(train.inputs, train.targets)
