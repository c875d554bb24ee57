/**
 * The pyfunc loader shipped with a two-stage model artifact (`code/propflow_two_stage.py`):
 * MLflow puts the model's `code` folder on `sys.path`, imports `loader_module` and calls
 * `_load_pyfunc(<model dir>/<data>)` (mlflow/pyfunc/__init__.py `load_model`).
 * It computes what `TwoStageModel.predict` computes: stage-1 minutes clipped at 0, stage 2
 * on the features plus the minutes estimate as the last column (times minutes in
 * `perMinute` mode).
 */
export const TWO_STAGE_PYFUNC_MODULE = 'propflow_two_stage';

export const TWO_STAGE_PYFUNC_SOURCE = `"""propflow two-stage model for mlflow.pyfunc (stage 1: minutes; stage 2: the target)."""
import json
import os

import numpy as np
import xgboost as xgb


def _columns(data, names):
    """The feature columns in the model's order, from a DataFrame or a dict of columns."""
    if hasattr(data, "to_numpy"):
        return data[names].to_numpy(dtype=np.float32)
    return np.column_stack([np.asarray(data[n], dtype=np.float32) for n in names])


class _TwoStage:
    def __init__(self, config_path):
        root = os.path.dirname(config_path)
        with open(config_path) as f:
            self.config = json.load(f)
        self.stage1 = xgb.Booster()
        self.stage1.load_model(os.path.join(root, self.config["stage1"]))
        self.stage2 = xgb.Booster()
        self.stage2.load_model(os.path.join(root, self.config["stage2"]))

    def predict(self, data, params=None):
        names = self.stage1.feature_names
        X = _columns(data, names)
        minutes = self.stage1.predict(xgb.DMatrix(X, missing=np.nan, feature_names=names))
        minutes = np.maximum(minutes, 0).astype(np.float32)
        X2 = np.column_stack([X, minutes]).astype(np.float32)
        target = self.stage2.predict(
            xgb.DMatrix(X2, missing=np.nan, feature_names=self.stage2.feature_names)
        )
        if self.config["mode"] == "perMinute":
            target = target * minutes
        out = {self.config["minutes_column"]: minutes, "prediction": target}
        try:
            import pandas as pd
        except ImportError:  # mlflow.pyfunc always has pandas; plain callers get a dict
            return out
        return pd.DataFrame(out)


def _load_pyfunc(path):
    return _TwoStage(path)
`;
