"""Synthetic bilingual (French / English) clinical notes whose specialty can be learnt from their words.

Each note mixes a few words typical of its specialty with words shared by all notes; some notes
also carry a misleading word of another specialty, and a small fraction of labels are flipped, so
a good model scores well above chance without reaching perfection. Accented French words
(`échocardiographie`, `céphalées`, `œdème`) exercise non-ASCII text end to end.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

VOCABULARY: dict[str, dict[str, list[str]]] = {
    "cardiology": {
        "fr": ["douleur thoracique", "échocardiographie", "fibrillation auriculaire", "souffle systolique", "troponine élevée", "œdème des membres inférieurs", "coronarographie"],
        "en": ["chest pain", "echocardiography", "atrial fibrillation", "systolic murmur", "raised troponin", "ankle oedema", "coronary angiography"],
    },
    "pneumology": {
        "fr": ["dyspnée d'effort", "toux productive", "crépitants bilatéraux", "spirométrie", "épanchement pleural", "désaturation nocturne", "bronchopneumopathie"],
        "en": ["exertional dyspnoea", "productive cough", "bilateral crackles", "spirometry", "pleural effusion", "nocturnal desaturation", "obstructive lung disease"],
    },
    "neurology": {
        "fr": ["céphalées brutales", "déficit moteur", "crise d'épilepsie", "IRM cérébrale", "aphasie transitoire", "paresthésies", "électroencéphalogramme"],
        "en": ["sudden headache", "motor deficit", "epileptic seizure", "brain MRI", "transient aphasia", "paraesthesia", "electroencephalogram"],
    },
    "gastroenterology": {
        "fr": ["douleur épigastrique", "endoscopie digestive", "rectorragies", "ictère cutané", "coloscopie", "hépatomégalie", "reflux gastro-œsophagien"],
        "en": ["epigastric pain", "upper endoscopy", "rectal bleeding", "jaundice", "colonoscopy", "hepatomegaly", "gastro-oesophageal reflux"],
    },
}
SHARED = {
    "fr": ["patient de", "ans", "admis pour", "antécédents", "traitement habituel", "examen clinique", "suivi prévu", "bilan biologique", "à revoir en consultation"],
    "en": ["patient aged", "years", "admitted for", "past history", "usual treatment", "clinical examination", "follow-up planned", "blood tests", "to be seen in clinic"],
}


def make_notes(n_per_class: int = 60, label_noise: float = 0.05, distractor_rate: float = 0.3, seed: int = 0) -> pd.DataFrame:
    """A frame with columns note_id, text, specialty, language (half French, half English)."""
    rng = np.random.default_rng(seed)
    classes = sorted(VOCABULARY)
    rows = []
    for label in classes:
        for i in range(n_per_class):
            language = "fr" if i % 2 == 0 else "en"
            phrases = list(rng.choice(VOCABULARY[label][language], size=2, replace=False))
            phrases += list(rng.choice(SHARED[language], size=4, replace=False))
            if rng.random() < distractor_rate:
                other = classes[int(rng.integers(len(classes)))]
                phrases.append(str(rng.choice(VOCABULARY[other][language])))
            rng.shuffle(phrases)
            noted = label if rng.random() >= label_noise else classes[int(rng.integers(len(classes)))]
            rows.append({"text": ", ".join(phrases).capitalize() + ".", "specialty": noted, "language": language})
    order = rng.permutation(len(rows))
    frame = pd.DataFrame([rows[i] for i in order])
    frame.insert(0, "note_id", [f"note-{i:05d}" for i in range(len(frame))])
    return frame


def write_notes(path: Path, file_format: str = "csv", **params: float) -> None:
    """Write :func:`make_notes` to `path` as CSV or JSONL (UTF-8, accents kept as they are)."""
    frame = make_notes(**params)
    if file_format == "csv":
        frame.to_csv(path, index=False, encoding="utf-8")
    elif file_format == "jsonl":
        with open(path, "w", encoding="utf-8") as handle:
            for record in frame.to_dict(orient="records"):
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    else:
        raise ValueError(f"file_format must be csv or jsonl, not {file_format!r}")
