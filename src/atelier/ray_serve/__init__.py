"""Engines and tools as Ray Serve deployments (ATELIER_RAY_ADDRESS): the API processes stay
thin and call them through DeploymentHandles behind the same contracts as in-process ones."""
