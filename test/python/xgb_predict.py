#!/usr/bin/python3
"""Load an XGBoost JSON model and predict a float32 row-major matrix.

  /usr/bin/python3 xgb_predict.py MODEL.json X.f32 N_ROWS N_COLS OUT.f32
Writes little-endian float32 predictions to OUT.f32 (NaN in X = missing).
Exit code 3 when xgboost is not importable (callers skip with that reason).
"""
import sys

try:
    import numpy as np
    import xgboost as xgb
except ImportError as err:  # pragma: no cover - environment check
    print(f"xgboost not available: {err}", file=sys.stderr)
    sys.exit(3)


def main():
    model, x_path, n_rows, n_cols, out = sys.argv[1:6]
    X = np.fromfile(x_path, dtype="<f4").reshape(int(n_rows), int(n_cols))
    booster = xgb.Booster()
    booster.load_model(model)
    dmat = xgb.DMatrix(X, missing=np.nan, feature_names=booster.feature_names)
    pred = booster.predict(dmat)
    pred.astype("<f4").tofile(out)
    print(xgb.__version__)


if __name__ == "__main__":
    main()
