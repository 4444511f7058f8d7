"""The Pulumi program: read the stack config once, build one TuningEnvironment, export its outputs.

`pulumi up` runs this file; `tunectl infra plan` runs the same file offline under Pulumi's mocks.
A `ConfigError` is a `pulumi.RunError`: preview prints its key and hint, without a traceback.
"""

import pulumi

from infra.config import read_config
from infra.environment import TuningEnvironment

config = read_config()
environment = TuningEnvironment("tunectl", config)
for name, value in environment.outputs.items():
    pulumi.export(name, value)
