def double(values):
    return [2 * v for v in values]
