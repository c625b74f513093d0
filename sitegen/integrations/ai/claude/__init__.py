"""The `SiteAI` port on Claude (Anthropic's Messages API, through the `anthropic` SDK)."""

from sitegen.integrations.ai.claude.adapter import AnthropicAI

__all__ = ["AnthropicAI"]
