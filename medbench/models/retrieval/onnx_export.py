"""Export a Hugging Face transformer folder to ONNX, so the same model runs without torch.

The graph maps `input_ids`, `attention_mask`, `token_type_ids` to the token states
(`last_hidden_state`); :class:`~medbench.models.retrieval.onnx_encoder.OnnxEncoder` pools them
as sentence-transformers does (masked mean). The tokenizer files are copied beside the graph,
where the encoder looks for them. Needs torch and transformers (export time only).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from pathlib import Path

from medbench.models.retrieval.packaged import offline_hugging_face
from medbench.models.retrieval.tokenizer import TOKENIZER_FILES

ONNX_FILE = "model.onnx"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT = "last_hidden_state"
OPSET = 17


def exported_onnx(model_folder: Path) -> Path:
    """`model.onnx` of the transformer in `model_folder`, exported once into the sibling `<folder>-onnx/`."""
    target = model_folder.parent / f"{model_folder.name}-onnx"
    if not (target / ONNX_FILE).is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}-"))
        try:
            export_transformer(model_folder, staging / ONNX_FILE)
            for name in TOKENIZER_FILES:
                if (model_folder / name).is_file():
                    shutil.copyfile(model_folder / name, staging / name)
            os.replace(staging, target)
        except OSError:
            if not (target / ONNX_FILE).is_file():
                raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return target / ONNX_FILE


def export_transformer(model_folder: Path, path: Path) -> Path:
    """Write the token-state graph of the transformer saved in `model_folder` to `path`."""
    offline_hugging_face()
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(model_folder), local_files_only=True).eval()

    class TokenStates(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state

    example = torch.ones((2, 8), dtype=torch.long)
    axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, OUTPUT)}
    with warnings.catch_warnings(), torch.no_grad():
        # The TorchScript exporter is deprecated in favour of dynamo (which needs onnxscript);
        # it still traces BERT exactly, and its warnings say nothing to the user.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            TokenStates(),
            (example, torch.ones_like(example), torch.zeros_like(example)),
            str(path),
            input_names=list(INPUTS),
            output_names=[OUTPUT],
            dynamic_axes=axes,
            opset_version=OPSET,
            dynamo=False,
        )
    return path
