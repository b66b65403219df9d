"""The image networks: torchvision-equal ResNet-18, its 28×28 adaptation, the small CNN."""

from __future__ import annotations

import torch

from medbench.models.vision import ResNet18, SmallCNN


def parameters(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_resnet18_has_torchvisions_architecture() -> None:
    # torchvision.models.resnet18() has 11,689,512 parameters and these state-dict names.
    network = ResNet18(in_channels=3, num_outputs=1000, small_input=False)
    assert parameters(network) == 11_689_512
    names = set(network.state_dict())
    assert {"conv1.weight", "layer2.0.downsample.0.weight", "layer4.1.bn2.running_var", "fc.bias"} <= names
    assert network(torch.zeros(1, 3, 64, 64)).shape == (1, 1000)


def test_small_input_stem_keeps_28x28_resolution() -> None:
    network = ResNet18(in_channels=1, num_outputs=2).eval()
    assert network.conv1.kernel_size == (3, 3) and network.conv1.stride == (1, 1)
    assert isinstance(network.maxpool, torch.nn.Identity)
    features = network.layer1(network.relu(network.bn1(network.conv1(torch.zeros(1, 1, 28, 28)))))
    assert features.shape == (1, 64, 28, 28)
    assert network(torch.zeros(4, 1, 28, 28)).shape == (4, 2)


def test_small_cnn_outputs_logits_per_class() -> None:
    assert SmallCNN(in_channels=3, num_outputs=5)(torch.zeros(2, 3, 28, 28)).shape == (2, 5)
