"""msgan-zoo: diverse conditional image synthesis (MSGAN and its peers) in Keras 3."""
from setuptools import find_packages, setup

setup(
    name="msgan-zoo",
    version="0.1.0",
    description="Mode seeking GANs (MSGAN, Mao et al. CVPR 2019) and their peers in Keras 3 / TensorFlow",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    # The repository keeps training/ and export/ at the top (scripts: `python training/fit.py`), but
    # they install as zoo.training and zoo.export: the distribution claims one top-level name, zoo.
    packages=["zoo." + name for name in find_packages(include=["training", "training.*", "export", "export.*"])]
    + find_packages(include=["zoo", "zoo.*"])
    + ["zoo.saved_models"],
    # The shipped generators, classifiers and LPIPS weights: inside the package in a regular
    # install (zoo/saved_models/), where zoo.paths looks when there is no checkout beside it.
    package_dir={"zoo.training": "training", "zoo.export": "export", "zoo.saved_models": "saved_models"},
    package_data={"zoo.saved_models": ["*/*.*", "*/*/*.*", "*/*/*/*.*"]},
    install_requires=[
        "tensorflow>=2.21,<2.22",
        "keras>=3.10",
        "tensorboard>=2.20",
        "tensorflow-datasets>=4.9",
        "numpy>=1.26",
        "scipy>=1.11",
        "scikit-learn>=1.4",
        "pillow>=10",
        "onnx>=1.16",
        "tf2onnx>=1.17",
        "onnxruntime>=1.18",
    ],
    extras_require={"dev": ["pytest>=8"]},
)
