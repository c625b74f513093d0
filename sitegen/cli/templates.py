"""`sitegen templates publish`: the built-in templates as the GitHub template repositories
that projects are generated from (only with SITEGEN_GIT_PROVIDER=github; the local git host
reads `templates/` directly)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from sitegen import config_catalogue as catalogue
from sitegen.cli.integrations import fail, run_with_store
from sitegen.db.integration_config import IntegrationConfigStore
from sitegen.integrations.git.base import GitError
from sitegen.integrations.git.github import GitHubGit
from sitegen.integrations.git.github_templates import publish_template
from sitegen.integrations.providers import make_git
from sitegen.settings import Settings

app = typer.Typer(name="templates", no_args_is_help=True, help="The site templates.")
console = Console(highlight=False, soft_wrap=True)


@app.command()
def publish(
    template_ids: Annotated[
        list[str] | None,
        typer.Argument(metavar="[TEMPLATE]...", help="Template ids (default: every one)."),
    ] = None,
) -> None:
    """Create or update each template's repository in the GitHub org (private, marked as a
    template), with the settings the worker would use (env > database > default). Safe to
    run again: an unchanged template gets no new commit."""
    base = Settings()

    async def go(store: IntegrationConfigStore) -> None:
        settings = catalogue.overlay(base, await store.stored_values())
        if settings.git_provider != "github":
            raise fail("git_provider is not github: the local git host reads templates/ itself")
        root = settings.templates_dir
        ids = template_ids or sorted(
            d.name for d in root.iterdir() if (d / "template.toml").is_file()
        )
        unknown = [t for t in ids if not (root / t / "template.toml").is_file()]
        if unknown:
            raise fail(f"no such template in {root.name}/: {', '.join(unknown)}")
        git = make_git(settings)
        assert isinstance(git, GitHubGit)
        for template_id in ids:
            try:
                done = await publish_template(git, template_id, root / template_id)
            except GitError as exc:
                raise fail(f"{template_id}: {exc}") from None
            what = "created" if done.created_repo else "updated" if done.changed else "up to date"
            console.print(f"{template_id:<10} {escape(done.repo)}  {what}  {done.commit[:12]}")

    run_with_store(base, go)
