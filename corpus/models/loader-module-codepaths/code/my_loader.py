class _Scaler:
    def __init__(self, factor):
        self.factor = factor

    def predict(self, model_input, params=None):
        return [v * self.factor for v in model_input["x"]]


def _load_pyfunc(data_path):
    with open(data_path) as f:
        return _Scaler(float(f.read().strip()))
