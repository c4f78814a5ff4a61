"""Maps the top-level ``models/`` and ``protocols/`` folders into the ``bioneuro`` namespace.

The product layout keeps paper models and protocols beside the library, while an installed wheel must
expose them as ``bioneuro.models`` and ``bioneuro.protocols``; all other metadata is in pyproject.toml.
"""

from setuptools import find_packages, setup

MAPPED = {"bioneuro.models": "models", "bioneuro.protocols": "protocols"}

packages = find_packages(include=["bioneuro", "bioneuro.*"])
for namespace, folder in MAPPED.items():
    packages += [namespace + found[len(folder):] for found in find_packages(include=[folder, folder + ".*"])]

# C++ sources that bioneuro's standalone device copies into generated projects
setup(packages=packages, package_dir=dict(MAPPED), package_data={"bioneuro.devices": ["*.h", "templates/*.cpp"]})
