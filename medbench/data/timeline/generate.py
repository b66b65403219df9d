"""A deterministic, Synthea-like cohort for fresh clones and tests, written as a Synthea CSV export or OMOP CDM tables.

Each simulated patient lives from birth to death or the end of the record (2025-01-01) with yearly
wellness visits (BMI, blood pressure, HbA1c, flu shots), chronic conditions whose onset depends
on age and each other (hypertension, diabetes, heart failure, kidney disease, asthma) with their
medications and care plans, acute visits, inpatient stays whose 30-day readmission risk rises with
heart failure and earlier stays, cardiovascular events (infarction, stroke) driven by hypertension,
diabetes and age, and deaths. The signal is there to be learnt; the numbers mean nothing clinical.
The same seed gives the same patients, byte for byte, in both layouts.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

RECORD_START, RECORD_END = datetime(2005, 1, 1), datetime(2025, 1, 1)

# name: (SNOMED code, description, yearly onset logit at age 50, per-decade logit slope, medication, care plan)
CHRONIC = {
    "hypertension": ("59621000", "Essential hypertension", -3.2, 0.45, ("314076", "lisinopril 10 MG Oral Tablet"), ("443402002", "Lifestyle education regarding hypertension")),
    "diabetes": ("44054006", "Diabetes mellitus type 2", -4.0, 0.35, ("860975", "metformin 500 MG Oral Tablet"), ("698360004", "Diabetes self management plan")),
    "heart_failure": ("88805009", "Chronic congestive heart failure", -6.5, 0.6, ("313988", "furosemide 40 MG Oral Tablet"), None),
    "ckd": ("431855005", "Chronic kidney disease stage 1", -5.8, 0.5, None, None),
    "asthma": ("195967001", "Asthma", -5.0, -0.2, ("895994", "albuterol 0.09 MG/ACTUAT inhaler"), ("699728000", "Asthma self management")),
}
ACUTE = [("10509002", "Acute bronchitis"), ("444814009", "Viral sinusitis"), ("233604007", "Pneumonia")]
CARDIOVASCULAR = [("22298006", "Myocardial infarction"), ("230690007", "Cerebrovascular accident")]
OBSERVATIONS = {"bmi": ("39156-5", "Body mass index"), "sbp": ("8480-6", "Systolic blood pressure"), "hba1c": ("4548-4", "Hemoglobin A1c")}
ECG = ("29303009", "Electrocardiographic procedure")
FLU = ("140", "Influenza seasonal injectable preservative free")
STATIN = ("259255", "atorvastatin 80 MG Oral Tablet")


@dataclass
class SyntheaTables:
    """The tables of a Synthea CSV export that medbench reads, with Synthea's column names."""

    patients: list[dict]
    encounters: list[dict]
    conditions: list[dict]
    medications: list[dict]
    procedures: list[dict]
    observations: list[dict]
    careplans: list[dict]
    immunizations: list[dict]

    def frames(self) -> dict[str, pl.DataFrame]:
        """One frame per table; rows dated after the patient's death (visits drawn before it was known) dropped."""
        patients = pl.DataFrame(self.patients, infer_schema_length=None)
        death = patients.select(pl.col("Id").alias("PATIENT"), pl.col("DEATHDATE").str.to_date().alias("_death"))
        frames = {"patients": patients}
        for name, rows in vars(self).items():
            if name == "patients":
                continue
            frame = pl.DataFrame(rows, infer_schema_length=None)
            when = "DATE" if "DATE" in frame.columns else "START"
            frame = frame.join(death, on="PATIENT", how="left").filter(
                pl.col("_death").is_null() | (pl.col(when).str.slice(0, 10).str.to_date() <= pl.col("_death"))
            )
            frames[name] = frame.drop("_death")
        return frames


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class _Patient:
    """One simulated life; appends its rows to the tables."""

    def __init__(self, rng: np.random.Generator, tables: SyntheaTables) -> None:
        self.rng, self.tables = rng, tables
        self.id = str(uuid.UUID(int=int(rng.integers(0, 2**62)) << 64 | int(rng.integers(0, 2**62))))
        self.birth = datetime(1935, 1, 1) + timedelta(days=int(rng.integers(0, 365 * 65)))
        self.female = bool(rng.random() < 0.5)
        self.conditions: set[str] = set()
        self.stays = 0
        self.death: datetime | None = None

    def age(self, moment: datetime) -> float:
        return (moment - self.birth).days / 365.25

    def encounter(self, start: datetime, hours: float, encounter_class: str, code: str, description: str) -> tuple[str, datetime]:
        encounter_id = str(uuid.UUID(int=int(self.rng.integers(0, 2**62))))
        stop = start + timedelta(hours=hours)
        self.tables.encounters.append({
            "Id": encounter_id, "START": _stamp(start), "STOP": _stamp(stop), "PATIENT": self.id,
            "ENCOUNTERCLASS": encounter_class, "CODE": code, "DESCRIPTION": description,
        })
        return encounter_id, stop

    def condition(self, moment: datetime, encounter: str, code: str, description: str) -> None:
        self.tables.conditions.append({
            "START": moment.strftime("%Y-%m-%d"), "STOP": None, "PATIENT": self.id, "ENCOUNTER": encounter,
            "CODE": code, "DESCRIPTION": description,
        })

    def medication(self, moment: datetime, encounter: str, code: str, description: str) -> None:
        self.tables.medications.append({
            "START": _stamp(moment), "STOP": None, "PATIENT": self.id, "ENCOUNTER": encounter, "CODE": code, "DESCRIPTION": description,
        })

    def observe(self, moment: datetime, encounter: str, which: str, value: float, units: str) -> None:
        code, description = OBSERVATIONS[which]
        self.tables.observations.append({
            "DATE": _stamp(moment), "PATIENT": self.id, "ENCOUNTER": encounter, "CATEGORY": "vital-signs",
            "CODE": code, "DESCRIPTION": description, "VALUE": f"{value:.1f}", "UNITS": units, "TYPE": "numeric",
        })

    def live(self) -> None:
        rng = self.rng
        moment = max(RECORD_START, self.birth) + timedelta(days=int(rng.integers(0, 365)), hours=9)
        while moment < RECORD_END and self.death is None:
            self.year(moment)
            moment += timedelta(days=int(rng.integers(330, 400)))
        self.tables.patients.append({
            "Id": self.id, "BIRTHDATE": self.birth.strftime("%Y-%m-%d"),
            "DEATHDATE": self.death.strftime("%Y-%m-%d") if self.death else None,
            "GENDER": "F" if self.female else "M", "RACE": str(rng.choice(["white", "black", "asian", "other"], p=[0.6, 0.2, 0.1, 0.1])),
        })

    def year(self, moment: datetime) -> None:
        """A wellness visit, then the year's acute visits, stays and cardiovascular events."""
        rng, age = self.rng, self.age(moment)
        visit, _ = self.encounter(moment, 0.5, "wellness", "410620009", "Well child visit" if age < 18 else "General examination")
        bmi = 24 + 4 * ("diabetes" in self.conditions) + rng.normal(0, 3)
        self.observe(moment, visit, "bmi", bmi, "kg/m2")
        self.observe(moment, visit, "sbp", 118 + 0.3 * age + 18 * ("hypertension" in self.conditions) + rng.normal(0, 8), "mm[Hg]")
        if "diabetes" in self.conditions:
            self.observe(moment, visit, "hba1c", 7.2 + rng.normal(0, 0.8), "%")
        if rng.random() < 0.6:
            self.tables.immunizations.append({"DATE": _stamp(moment), "PATIENT": self.id, "ENCOUNTER": visit, "CODE": FLU[0], "DESCRIPTION": FLU[1]})
        for name, (code, description, base, slope, medication, careplan) in CHRONIC.items():
            if name in self.conditions:
                continue
            logit = base + slope * (age - 50) / 10 + 0.8 * ("hypertension" in self.conditions and name in ("heart_failure", "ckd"))
            logit += 0.7 * ("diabetes" in self.conditions and name in ("ckd", "heart_failure"))
            if rng.random() < 1 / (1 + np.exp(-logit)):
                self.conditions.add(name)
                self.condition(moment, visit, code, description)
                if medication:
                    self.medication(moment, visit, *medication)
                if careplan:
                    self.tables.careplans.append({
                        "Id": str(uuid.UUID(int=int(rng.integers(0, 2**62)))), "START": moment.strftime("%Y-%m-%d"), "STOP": None,
                        "PATIENT": self.id, "ENCOUNTER": visit, "CODE": careplan[0], "DESCRIPTION": careplan[1],
                    })
        for _ in range(int(rng.poisson(0.8))):
            when = moment + timedelta(days=int(rng.integers(1, 330)), hours=int(rng.integers(0, 8)))
            acute, _ = self.encounter(when, 1, "ambulatory", "185345009", "Encounter for symptom")
            self.condition(when, acute, *ACUTE[int(rng.integers(len(ACUTE)))])
        self.cardiovascular(moment, age)
        self.admissions(moment, age)
        self.mortality(moment, age)

    def cardiovascular(self, moment: datetime, age: float) -> None:
        rng = self.rng
        logit = -6.0 + 0.5 * (age - 50) / 10 + 1.2 * ("hypertension" in self.conditions) + 0.9 * ("diabetes" in self.conditions)
        if rng.random() >= 1 / (1 + np.exp(-logit)):
            return
        when = moment + timedelta(days=int(rng.integers(1, 330)), hours=int(rng.integers(0, 24)))
        emergency, stop = self.encounter(when, 3, "emergency", "50849002", "Emergency room admission")
        code, description = CARDIOVASCULAR[int(rng.integers(len(CARDIOVASCULAR)))]
        self.condition(when, emergency, code, description)
        self.tables.procedures.append({"START": _stamp(when), "STOP": None, "PATIENT": self.id, "ENCOUNTER": emergency, "CODE": ECG[0], "DESCRIPTION": ECG[1]})
        self.medication(when, emergency, *STATIN)
        self.stay(stop, 1.5)
        if rng.random() < 0.15:
            self.death = when + timedelta(days=int(rng.integers(1, 20)))

    def admissions(self, moment: datetime, age: float) -> None:
        rng = self.rng
        rate = 0.04 * np.exp(0.3 * (age - 50) / 10 + 1.2 * ("heart_failure" in self.conditions) + 0.5 * ("ckd" in self.conditions))
        for _ in range(int(rng.poisson(rate))):
            self.stay(moment + timedelta(days=int(rng.integers(1, 330)), hours=int(rng.integers(0, 24))), 1.0)

    def stay(self, start: datetime, severity: float) -> None:
        """An inpatient stay; a readmission within 30 days follows with a risk that grows with heart failure and past stays."""
        rng = self.rng
        while self.death is None and start < RECORD_END:
            self.stays += 1
            hours = 24 * (1 + rng.exponential(3 * severity))
            stay, stop = self.encounter(start, hours, "inpatient", "32485007", "Hospital admission")
            if self.conditions and rng.random() < 0.5:
                self.observe(start, stay, "sbp", 125 + rng.normal(0, 12), "mm[Hg]")
                self.tables.procedures.append({"START": _stamp(start), "STOP": None, "PATIENT": self.id, "ENCOUNTER": stay, "CODE": ECG[0], "DESCRIPTION": ECG[1]})
            logit = -2.6 + 1.6 * ("heart_failure" in self.conditions) + 0.35 * min(self.stays, 5) + 0.6 * ("ckd" in self.conditions)
            if rng.random() >= 1 / (1 + np.exp(-logit)):
                return
            start = stop + timedelta(days=int(rng.integers(2, 30)), hours=int(rng.integers(0, 24)))
            severity = 1.0

    def mortality(self, moment: datetime, age: float) -> None:
        if self.death is not None:
            return
        logit = -6.5 + 1.1 * (age - 50) / 10 + 2.2 * ("heart_failure" in self.conditions) + 1.4 * ("ckd" in self.conditions)
        if self.rng.random() < 1 / (1 + np.exp(-logit)):
            self.death = moment + timedelta(days=int(self.rng.integers(1, 330)))


def simulate(n_patients: int, seed: int = 0) -> SyntheaTables:
    """`n_patients` simulated lives (Synthea's tables as rows); deterministic in (n_patients, seed)."""
    rng = np.random.default_rng(seed)
    tables = SyntheaTables([], [], [], [], [], [], [], [])
    for _ in range(n_patients):
        _Patient(rng, tables).live()
    return tables


def write_synthea(tables: SyntheaTables, folder: Path) -> Path:
    """The tables as a Synthea CSV export: `patients.csv`, `encounters.csv`, ... in `folder`."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.frames().items():
        frame.write_csv(folder / f"{name}.csv")
    return folder
