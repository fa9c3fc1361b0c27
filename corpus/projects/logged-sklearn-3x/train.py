import mlflow
import pandas as pd
from sklearn.linear_model import LogisticRegression

X = pd.DataFrame(
    {"a": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0], "b": [1.0, 0.0, 1.0, 0.0, 1.0, 0.0]}
)
y = [0, 0, 0, 1, 1, 1]
clf = LogisticRegression(random_state=0).fit(X, y)

mlflow.set_tracking_uri("sqlite:///mlflow.db")
mlflow.set_experiment("corpus")
with mlflow.start_run():
    info = mlflow.sklearn.log_model(clf, name="model", input_example=X.head(2))
mlflow.artifacts.download_artifacts(artifact_uri=info.model_uri, dst_path="model")
