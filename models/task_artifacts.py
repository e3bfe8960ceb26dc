"""The artifacts of a trained task's selected model: its file (or refit rows), the explainer
and the JSON sidecar that says everything about how it was made (ADR 0004)."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import xgboost as xgb

from models import artifacts as art
from models.fitting import FittedModel
from models.runs import TaskProvenance
from models.task_data import TaskData
from models.train_context import TrainContext


def _model_file(ctx: TrainContext, final: FittedModel, version: str) -> tuple[str, str]:
    """XGBoost's own JSON model, or any other model in skops' format: (file, format)."""
    if final.candidate.name == "xgboost":
        booster = final.booster()
        assert booster is not None
        name = art.save_booster(ctx.artifacts_dir, f"{version}.xgboost.json", booster)
        return name, "xgboost-json"
    return art.save_model(ctx.artifacts_dir, f"{version}.skops", final.model), "skops"


def save_task_artifacts(
    ctx: TrainContext,
    data: TaskData,
    final: FittedModel,
    explainer: xgb.Booster,
    version: str,
    data_hash: str,
    metrics: dict[str, Any],
    provenance: TaskProvenance,
    final_rows: npt.NDArray[np.int64],
) -> None:
    """Write the selected model's files and sidecar; point the task's index entry at it."""
    explainer_file = art.save_booster(ctx.artifacts_dir, f"{version}.explainer.json", explainer)
    model_file, model_format = _model_file(ctx, final, version)
    cutoff, train_cutoff = provenance.cutoff, provenance.train_cutoff
    meta = {
        "model_version": version,
        "task": data.task,
        "entity": data.entity,
        "kind": data.kind,
        "candidate": final.candidate.name,
        "params": final.params,
        "seed": ctx.options.seed,
        "format": model_format,
        "model_file": model_file,
        "model_rows": int(final_rows.size),
        "explainer_file": explainer_file,
        "calibration": final.calibration,
        "calibration_method": (
            "platt on the nested search's inner out-of-fold log-odds"
            if final.candidate.nested
            else "platt on log-odds, cross-fitted inside training"
        ),
        "threshold": final.threshold,
        "nonnegative": data.nonnegative,
        "feature_names": data.names,
        "label_definition": data.label_definition,
        "cutoff": cutoff.isoformat() if cutoff else None,
        "train_cutoff": train_cutoff.isoformat() if train_cutoff else None,
        "horizon_days": data.horizon_days,
        "split_method": provenance.split_method,
        "split": data.split,
        "training_data_hash": data_hash,
        "training_rows": int(data.y.size),
        "recipe": data.recipe,
        "metrics": {k: v for k, v in metrics.items() if k != "curves"},
        "leakage_verdict": provenance.leakage_verdict,
        "build_id": ctx.build_id,
        "train_id": ctx.train_id,
        "trained_at": ctx.trained_at.isoformat(),
    }
    art.save_sidecar(ctx.artifacts_dir, meta)
    ctx.index[data.task] = f"{version}.meta.json"
