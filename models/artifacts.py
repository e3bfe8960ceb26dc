"""Model artifacts: files outside the packages, each with a JSON metadata sidecar.

Layout (default: an ``artifacts/`` folder next to the ``--db`` link, gitignored)::

    artifacts/
      index.json                        task -> sidecar of the model that scores it
      <model_version>.meta.json         the sidecar: version, training-data hash, label
                                        definition, cutoff, split, params, metrics,
                                        calibration map, threshold, feature names
      <model_version>.xgboost.json      XGBoost's own JSON model format
      <model_version>.skops             any other selected model, in skops' format
      <model_version>.explainer.json    the task's XGBoost model, used for the reasons

Nothing is pickled. XGBoost models are stored in XGBoost's JSON format; calibration maps,
k-means centres and scalers are plain numbers in the sidecar. A selected scikit-learn model
(logistic regression, tree, forest, SVM, MLP, the nested ensemble) is stored with
``skops.io`` and loaded only when every type the file names is in :data:`TRUSTED_TYPES`
(ADR 0005; it replaced refitting the model at scoring time, ADR 0004).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import skops.io as sio
import xgboost as xgb

from common.errors import ShopSightError

FloatArray = npt.NDArray[np.float64]


class ArtifactError(ShopSightError):
    """Artifacts are missing or do not match the warehouse."""


def default_dir(db_path: Path | str) -> Path:
    return Path(db_path).parent / "artifacts"


def training_hash(x: FloatArray, y: npt.ArrayLike, names: list[str]) -> str:
    """SHA-256 of the training matrix, labels and feature names (row order included)."""
    digest = hashlib.sha256()
    digest.update(json.dumps(names).encode())
    digest.update(np.ascontiguousarray(np.nan_to_num(x, nan=-9.99e99)).tobytes())
    digest.update(np.ascontiguousarray(np.asarray(y, dtype=np.float64)).tobytes())
    return digest.hexdigest()


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def save_booster(directory: Path, name: str, booster: xgb.Booster) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    tmp = path.with_name(f".{path.stem}.tmp.json")
    booster.save_model(str(tmp))
    os.replace(tmp, path)
    return name


def load_booster(directory: Path, name: str) -> xgb.Booster:
    path = directory / name
    if not path.is_file():
        raise ArtifactError(f"{path}: model file missing; run `shopsight train` again")
    booster = xgb.Booster()
    booster.load_model(str(path))
    booster.set_param({"nthread": 2})
    return booster


#: Every type a stored model may contain beyond the ones skops trusts by default (plain
#: scikit-learn estimators, NumPy arrays and built-ins): our own transformers and vote, the
#: tree structures, the MLP's optimiser state and XGBoost inside the nested candidate. A file
#: naming any other type is refused before anything in it is built (ADR 0005).
TRUSTED_TYPES: tuple[str, ...] = (
    "models.candidates.CalibratedVote",
    "models.candidates.ShoppersEncoding",
    "models.candidates.SignedLog",
    "numpy.dtype",
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
    "sklearn.tree._tree.Tree",
    "xgboost.core.Booster",
    "xgboost.sklearn.XGBClassifier",
    "xgboost.sklearn.XGBRegressor",
)


def save_model(directory: Path, name: str, model: Any) -> str:
    """A fitted scikit-learn model in skops' format (a zip of JSON and arrays, no pickle)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    tmp = path.with_name(f".{path.stem}.tmp.skops")
    sio.dump(model, tmp)
    os.replace(tmp, path)
    return name


def load_model_file(directory: Path, name: str) -> Any:
    """A model saved by :func:`save_model`, built only from :data:`TRUSTED_TYPES`.

    Raises
    ------
    ArtifactError
        When the file is missing or names a type outside the trusted list.
    """
    path = directory / name
    if not path.is_file():
        raise ArtifactError(f"{path}: model file missing; run `shopsight train` again")
    untrusted = sio.get_untrusted_types(file=path)
    refused = sorted(set(untrusted) - set(TRUSTED_TYPES))
    if refused:
        raise ArtifactError(
            f"{path}: the model file names types that are not trusted ({', '.join(refused)}); "
            "it was not loaded"
        )
    return sio.load(path, trusted=untrusted)


def save_sidecar(directory: Path, meta: dict[str, Any]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{meta['model_version']}.meta.json"
    _atomic_write(path, json.dumps(meta, indent=1, default=_jsonable))
    return path


def load_sidecar(directory: Path, task: str) -> dict[str, Any]:
    index = read_index(directory)
    if task not in index:
        raise ArtifactError(
            f"{directory}: no trained model for {task}; run `shopsight train` first"
        )
    path = directory / index[task]
    if not path.is_file():
        raise ArtifactError(f"{path}: sidecar missing; run `shopsight train` again")
    meta: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return meta


def read_index(directory: Path) -> dict[str, str]:
    path = directory / "index.json"
    if not path.is_file():
        return {}
    index: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return index


def write_index(directory: Path, index: dict[str, str]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    _atomic_write(directory / "index.json", json.dumps(index, indent=1, sort_keys=True))


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)
