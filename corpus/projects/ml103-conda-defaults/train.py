import mlflow
import pandas as pd
from sklearn.linear_model import LogisticRegression

import platform

X = pd.DataFrame(
    {"a": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0], "b": [1.0, 0.0, 1.0, 0.0, 1.0, 0.0]}
)
y = [0, 0, 0, 1, 1, 1]
clf = LogisticRegression(random_state=0).fit(X, y)

conda_env = {
    "name": "churn-env",
    "channels": ["defaults"],
    "dependencies": [
        f"python={platform.python_version()}",
        "pip",
        {"pip": ["pandas==3.1.1", "scikit-learn==1.9.1", "skops==0.16.0"]},
    ],
}
mlflow.sklearn.save_model(clf, "model", conda_env=conda_env, input_example=X.head(2))
