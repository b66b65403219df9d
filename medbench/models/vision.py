"""Image classification networks trained from scratch (logits out; no pretrained weights, no download).

`ResNet18` follows torchvision's `resnet18` layer for layer (BasicBlock ×[2, 2, 2, 2], widths
64–512, the same parameter names and initialisation: 11,689,512 parameters for ImageNet's
3×224×224 → 1000) so that results compare with the literature, written in plain `torch.nn` because torchvision is not a dependency.
`small_input=True` is MedMNIST v2's adaptation to 28×28 images: a 3×3 stride-1 stem and no
max-pool, so the 28×28 input is not reduced to 7×7 before the first block.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class BasicBlock(nn.Module):
    """Two 3×3 convolutions with a residual connection (torchvision's BasicBlock)."""

    def __init__(self, in_planes: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or in_planes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride=stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class ResNet18(nn.Module):
    """ResNet-18 with `num_outputs` logits; `small_input` adapts the stem to 28×28 images (MedMNIST v2)."""

    def __init__(self, in_channels: int, num_outputs: int, small_input: bool = True) -> None:
        super().__init__()
        if small_input:
            self.conv1 = nn.Conv2d(in_channels, 64, 3, stride=1, padding=1, bias=False)
            self.maxpool: nn.Module = nn.Identity()
        else:
            self.conv1 = nn.Conv2d(in_channels, 64, 7, stride=2, padding=3, bias=False)
            self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        widths, in_planes, layers = (64, 128, 256, 512), 64, []
        for index, planes in enumerate(widths):
            stride = 1 if index == 0 else 2
            layers.append(nn.Sequential(BasicBlock(in_planes, planes, stride), BasicBlock(planes, planes)))
            in_planes = planes
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512, num_outputs)
        self._initialise()

    def _initialise(self) -> None:
        # torchvision's initialisation: Kaiming normal (fan out) for convolutions, BN at identity.
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class SmallCNN(nn.Sequential):
    """Conv–BN–ReLU–pool stages, global average pooling and a linear head: a fast CPU baseline."""

    def __init__(self, in_channels: int, num_outputs: int, widths: Sequence[int] = (16, 32, 64), dropout: float = 0.1) -> None:
        layers: list[nn.Module] = []
        channels = in_channels
        for width in widths:
            layers += [nn.Conv2d(channels, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True), nn.MaxPool2d(2)]
            channels = width
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(dropout), nn.Linear(channels, num_outputs)]
        super().__init__(*layers)
