"""The environment files a model ships (requirements.txt, conda.yaml, python_env.yaml) and what
a fresh environment built from them would contain."""
