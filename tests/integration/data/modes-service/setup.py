# A setup.py-only setuptools project: what debhelper alone would hand to its python_distutils build system.
from setuptools import setup

setup(
    name="modes-service",
    version="1.0",
    packages=["modes_service"],
    entry_points={"console_scripts": ["modes-service = modes_service:main"]},
)
