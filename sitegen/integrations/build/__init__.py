from sitegen.integrations.build.runner import BuildResult, BuildRunner

__all__ = ["BuildResult", "BuildRunner"]
