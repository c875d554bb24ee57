#!/usr/bin/python3
"""Load a propflow model folder the way MLflow does and predict its input example.

  /usr/bin/python3 mlflow_flavor_predict.py MODEL_DIR
Follows MLflow's own loaders (MLflow is not installed here): for the `xgboost` flavor,
`mlflow.xgboost._load_model` — `model_class` from the flavor (default xgboost.core.Booster),
`load_model(os.path.join(model_dir, flavor["data"]))`; for `python_function` with another
loader module, `mlflow.pyfunc.load_model` — `code` on sys.path, import `loader_module`,
`_load_pyfunc(os.path.join(model_dir, data))`. The input is MLmodel's saved input example
(pandas "split" orient) in the signature's column order. Prints JSON: the flavors used and
the predictions. Exit code 3 when xgboost/numpy/yaml are not importable.
"""
import importlib
import json
import os
import sys

try:
    import numpy as np
    import xgboost as xgb
    import yaml
except ImportError as err:  # pragma: no cover - environment check
    print(f"missing: {err}", file=sys.stderr)
    sys.exit(3)


def main():
    model_dir = sys.argv[1]
    with open(os.path.join(model_dir, "MLmodel")) as f:
        mlmodel = yaml.safe_load(f)
    flavors = mlmodel["flavors"]
    inputs = [c["name"] for c in json.loads(mlmodel["signature"]["inputs"])]
    with open(os.path.join(model_dir, mlmodel["saved_input_example_info"]["artifact_path"])) as f:
        example = json.load(f)
    col = {name: i for i, name in enumerate(example["columns"])}
    rows = [[np.nan if r[col[n]] is None else r[col[n]] for n in inputs] for r in example["data"]]
    X = np.asarray(rows, dtype=np.float32)
    out = {"flavors": sorted(flavors), "xgb_version": xgb.__version__}
    if "xgboost" in flavors:
        conf = flavors["xgboost"]
        module, _, cls = conf.get("model_class", "xgboost.core.Booster").rpartition(".")
        booster = getattr(importlib.import_module(module), cls)()
        booster.load_model(os.path.join(model_dir, conf["data"]))
        out["feature_names"] = booster.feature_names
        dmat = xgb.DMatrix(X, missing=np.nan, feature_names=inputs)
        out["xgboost"] = booster.predict(dmat).tolist()
    pf = flavors["python_function"]
    if pf["loader_module"] != "mlflow.xgboost":
        if pf.get("code"):
            sys.path.insert(0, os.path.join(model_dir, pf["code"]))
        loaded = importlib.import_module(pf["loader_module"])._load_pyfunc(os.path.join(model_dir, pf["data"]))
        pred = loaded.predict({n: X[:, i] for i, n in enumerate(inputs)})
        out["pyfunc"] = {k: np.asarray(v).tolist() for k, v in pred.items()}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
