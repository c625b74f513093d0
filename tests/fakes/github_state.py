"""The fake GitHub's state and endpoints: a real bare git repository per repository, and one
handler per REST endpoint GitHubGit uses (see github.py for the server and the faults)."""

from __future__ import annotations

import base64
import gzip
import re
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from tests.fakes import github_json as j

Answer = tuple[int, Any, dict[str, str]]
GIT_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null", "HOME": "/nonexistent", "LC_ALL": "C",
        "GIT_AUTHOR_NAME": "GitHub Fake", "GIT_AUTHOR_EMAIL": "fake@github.example",
        "GIT_COMMITTER_NAME": "GitHub Fake", "GIT_COMMITTER_EMAIL": "fake@github.example"}  # fmt: skip
REPO = r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)"


class GitHubState:
    root: Path
    url: str
    orgs: set[str]
    repos: dict[str, j.RepoMeta]

    def bare(self, full_name: str) -> Path:
        return self.root / f"{full_name}.git"

    # -- git ----------------------------------------------------------------------------------

    def _git(self, bare: Path, *args: str, stdin: bytes | None = None,
             env: dict[str, str] | None = None, check: bool = True) -> str:  # fmt: skip
        out = subprocess.run(["git", "--git-dir", str(bare), *args], input=stdin,
                             capture_output=True, env={**GIT_ENV, **(env or {})})  # fmt: skip
        if check and out.returncode != 0:
            raise RuntimeError(f"git {args[0]}: {out.stderr.decode()}")
        return out.stdout.decode("utf-8", "surrogateescape").strip() if out.returncode == 0 else ""

    def _ok(self, bare: Path, *args: str) -> bool:
        return subprocess.run(["git", "--git-dir", str(bare), *args], capture_output=True,
                              env=GIT_ENV).returncode == 0  # fmt: skip

    def _init(self, full_name: str) -> Path:
        bare = self.bare(full_name)
        bare.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True,
                       env=GIT_ENV)  # fmt: skip
        return bare

    def _repo(self, m: re.Match[str]) -> tuple[j.RepoMeta, Path] | None:
        meta = self.repos.get(f"{m['o']}/{m['r']}")
        return (meta, self.bare(meta.full_name)) if meta else None

    def _commit(self, bare: Path, sha: str) -> j.GitCommitObject | None:
        if not re.fullmatch(r"[0-9a-f]{40}", sha) or not self._ok(
            bare, "cat-file", "-e", f"{sha}^{{commit}}"
        ):
            return None
        raw = self._git(bare, "cat-file", "commit", sha)
        head, _, message = raw.partition("\n\n")
        fields: dict[str, list[str]] = {}
        for line in head.splitlines():
            k, _, v = line.partition(" ")
            fields.setdefault(k, []).append(v)

        def person(v: str) -> tuple[str, str, str]:
            name, _, rest = v.partition(" <")
            email, _, when = rest.partition("> ")
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(when.split()[0])))
            return name, email, stamp

        return j.GitCommitObject(sha, fields["tree"][0], fields.get("parent", []),
                                 person(fields["author"][0]), person(fields["committer"][0]),
                                 message + "\n")  # fmt: skip

    def _rev(self, bare: Path, rev: str) -> str | None:
        out = self._git(bare, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False)
        return out or None

    # -- handlers -----------------------------------------------------------------------------

    def _get_org(self, m: re.Match[str], q: dict[str, str], b: dict[str, Any]) -> Answer:
        if m["org"] not in self.orgs:
            return 404, j.error("Not Found"), {}
        return 200, {"login": m["org"], "id": 1, "node_id": "O_1", "type": "Organization"}, {}

    def _get_repo(self, m: re.Match[str], q: dict[str, str], b: dict[str, Any]) -> Answer:
        found = self._repo(m)
        if not found:
            return 404, j.error("Not Found"), {}
        return 200, j.repo(self.url, found[0], self.repos), {}

    def _create_repo(self, m: re.Match[str], q: dict[str, str], b: dict[str, Any]) -> Answer:
        """POST /orgs/{org}/repos; `auto_init` makes the first commit (a README), as GitHub."""
        if m["org"] not in self.orgs:
            return 404, j.error("Not Found"), {}
        full = f"{m['org']}/{b['name']}"
        if full in self.repos:
            return 422, j.error("Repository creation failed.", errors=[{
                "resource": "Repository", "code": "custom", "field": "name",
                "message": "name already exists on this account"}]), {}  # fmt: skip
        bare = self._init(full)
        if b.get("auto_init"):
            blob = self._git(
                bare, "hash-object", "-w", "--stdin", stdin=f"# {b['name']}\n".encode()
            )
            tree = self._git(bare, "mktree", stdin=f"100644 blob {blob}\tREADME.md\n".encode())
            sha = self._git(bare, "commit-tree", tree, "-m", "Initial commit")
            self._git(bare, "update-ref", "refs/heads/main", sha)
        meta = j.RepoMeta(
            m["org"],
            b["name"],
            private=bool(b.get("private")),
            is_template=bool(b.get("is_template")),
        )
        self.repos[full] = meta
        return 201, j.repo(self.url, meta, self.repos), {}

    def _update_repo(self, m: re.Match[str], q: dict[str, str], b: dict[str, Any]) -> Answer:
        found = self._repo(m)
        if not found:
            return 404, j.error("Not Found"), {}
        meta = found[0]
        if "is_template" in b:
            meta.is_template = bool(b["is_template"])
        if "private" in b:
            meta.private = bool(b["private"])
        return 200, j.repo(self.url, meta, self.repos), {}

    def _generate(self, m: re.Match[str], q: dict[str, str], b: dict[str, Any]) -> Answer:
        found = self._repo(m)
        owner, name = b.get("owner", ""), b["name"]
        if not found or not found[0].is_template or owner not in self.orgs:
            return 404, j.error("Not Found"), {}
        full = f"{owner}/{name}"
        if full in self.repos:
            return 422, j.error("Repository creation failed.", errors=[{
                "resource": "Repository", "code": "custom", "field": "name",
                "message": "name already exists on this account"}]), {}  # fmt: skip
        template, tpl_bare = found
        bare = self._init(full)
        tree = self._git(tpl_bare, "rev-parse", f"{template.default_branch}^{{tree}}")
        # A generated repo starts a new history: one commit holding the template's files.
        self._git(tpl_bare, "push", "-q", str(bare), f"{template.default_branch}:refs/tmp/template")
        sha = self._git(bare, "commit-tree", tree, "-m", "Initial commit")
        self._git(bare, "update-ref", "refs/heads/main", sha)
        self._git(bare, "update-ref", "-d", "refs/tmp/template")
        meta = j.RepoMeta(owner, name, private=bool(b.get("private")), template=template.full_name)
        self.repos[full] = meta
        return 201, j.repo(self.url, meta, self.repos), {}

    def _get_ref(self, m: re.Match[str], q: dict[str, str], b: dict[str, Any]) -> Answer:
        found = self._repo(m)
        sha = found and self._rev(found[1], f"refs/{m['ref']}")
        if not found or not sha:
            return 404, j.error("Not Found"), {}
        return 200, j.ref(self.url, found[0].full_name, f"refs/{m['ref']}", sha), {}

    def _create_ref(self, m: re.Match[str], q: dict[str, str], b: dict[str, Any]) -> Answer:
        found = self._repo(m)
        if not found:
            return 404, j.error("Not Found"), {}
        meta, bare = found
        if self._commit(bare, b["sha"]) is None:
            return 422, j.error("Object does not exist"), {}
        if not self._ok(bare, "update-ref", b["ref"], b["sha"], ""):
            return 422, j.error("Reference already exists"), {}
        return 201, j.ref(self.url, meta.full_name, b["ref"], b["sha"]), {}

    def _update_ref(self, m: re.Match[str], q: dict[str, str], b: dict[str, Any]) -> Answer:
        found = self._repo(m)
        if not found:
            return 404, j.error("Not Found"), {}
        meta, bare = found
        name, new = f"refs/{m['ref']}", b["sha"]
        current = self._rev(bare, name)
        if current is None:
            return 422, j.error("Reference does not exist"), {}
        if self._commit(bare, new) is None:
            return 422, j.error("Object does not exist"), {}
        if not b.get("force") and not self._ok(bare, "merge-base", "--is-ancestor", current, new):
            return 422, j.error("Update is not a fast forward"), {}
        self._git(bare, "update-ref", name, new, current)
        return 200, j.ref(self.url, meta.full_name, name, new), {}

    def _get_commit(self, m: re.Match[str], q: dict[str, str], b: dict[str, Any]) -> Answer:
        found = self._repo(m)
        c = found and self._commit(found[1], m["sha"])
        if not found or not c:
            return 404, j.error("Not Found"), {}
        return 200, j.git_commit(self.url, found[0].full_name, c), {}

    def _create_commit(self, m: re.Match[str], q: dict[str, str], b: dict[str, Any]) -> Answer:
        found = self._repo(m)
        if not found:
            return 404, j.error("Not Found"), {}
        meta, bare = found
        if not self._ok(bare, "cat-file", "-e", f"{b['tree']}^{{tree}}") or any(
            self._commit(bare, p) is None for p in b.get("parents", [])
        ):
            return 422, j.error("Tree or parent SHA does not exist"), {}
        args = [arg for p in b.get("parents", []) for arg in ("-p", p)]
        sha = self._git(
            bare, "commit-tree", b["tree"], *args, "-F", "-", stdin=b["message"].encode()
        )
        c = self._commit(bare, sha)
        assert c is not None
        return 201, j.git_commit(self.url, meta.full_name, c), {}

    def _get_tree(self, m: re.Match[str], q: dict[str, str], b: dict[str, Any]) -> Answer:
        found = self._repo(m)
        if not found or not self._ok(found[1], "cat-file", "-e", f"{m['sha']}^{{tree}}"):
            return 404, j.error("Not Found"), {}
        return self._tree(*found, m["sha"], bool(q.get("recursive")))

    def _tree(self, meta: j.RepoMeta, bare: Path, tree: str, recursive: bool) -> Answer:
        flags = ["-r", "-t"] if recursive else []
        out = self._git(bare, "ls-tree", "-z", "--long", *flags, tree)
        entries = []
        for record in filter(None, out.split("\0")):
            info, _, path = record.partition("\t")
            mode, kind, sha, size = info.split()
            entry: dict[str, Any] = {"path": path, "mode": mode, "type": kind, "sha": sha,
                     "url": f"{self.url}/repos/{meta.full_name}/git/{kind}s/{sha}"}  # fmt: skip
            if kind == "blob":
                entry["size"] = int(size)
            entries.append(entry)
        url = f"{self.url}/repos/{meta.full_name}/git/trees/{tree}"
        return 200, {"sha": tree, "url": url, "truncated": False, "tree": entries}, {}

    def _create_tree(self, m: re.Match[str], q: dict[str, str], b: dict[str, Any]) -> Answer:
        found = self._repo(m)
        if not found:
            return 404, j.error("Not Found"), {}
        meta, bare = found
        index = {"GIT_INDEX_FILE": str(bare / f"tree-index-{threading.get_ident()}")}
        Path(index["GIT_INDEX_FILE"]).unlink(missing_ok=True)
        if b.get("base_tree"):
            self._git(bare, "read-tree", b["base_tree"], env=index)
        lines = []
        for e in b["tree"]:
            if e["sha"] is None:
                lines.append(f"0 {'0' * 40}\t{e['path']}\0")
            elif e["type"] == "blob" and not self._ok(bare, "cat-file", "-e", e["sha"]):
                return 422, j.error(f"tree.sha {e['sha']} is not a valid blob"), {}
            else:
                lines.append(f"{e['mode']} {e['sha']}\t{e['path']}\0")
        self._git(bare, "update-index", "-z", "--add", "--index-info",
                  stdin="".join(lines).encode(), env=index)  # fmt: skip
        sha = self._git(bare, "write-tree", env=index)
        Path(index["GIT_INDEX_FILE"]).unlink(missing_ok=True)
        _, data, headers = self._tree(meta, bare, sha, False)
        return 201, data, headers

    def _get_blob(self, m: re.Match[str], q: dict[str, str], b: dict[str, Any]) -> Answer:
        found = self._repo(m)
        if not found or not self._ok(found[1], "cat-file", "-e", f"{m['sha']}^{{blob}}"):
            return 404, j.error("Not Found"), {}
        raw = subprocess.run(["git", "--git-dir", str(found[1]), "cat-file", "blob", m["sha"]],
                             capture_output=True, env=GIT_ENV, check=True).stdout  # fmt: skip
        return 200, {"sha": m["sha"], "node_id": f"B_{m['sha'][:12]}", "size": len(raw),
                     "url": f"{self.url}/repos/{found[0].full_name}/git/blobs/{m['sha']}",
                     "content": base64.encodebytes(raw).decode(), "encoding": "base64"}, {}  # fmt: skip

    def _create_blob(self, m: re.Match[str], q: dict[str, str], b: dict[str, Any]) -> Answer:
        found = self._repo(m)
        if not found:
            return 404, j.error("Not Found"), {}
        raw = (
            base64.b64decode(b["content"])
            if b.get("encoding") == "base64"
            else b["content"].encode()
        )
        sha = self._git(found[1], "hash-object", "-w", "--stdin", stdin=raw)
        return (
            201,
            {"sha": sha, "url": f"{self.url}/repos/{found[0].full_name}/git/blobs/{sha}"},
            {},
        )

    def _list_commits(self, m: re.Match[str], q: dict[str, str], b: dict[str, Any]) -> Answer:
        found = self._repo(m)
        if not found:
            return 404, j.error("Not Found"), {}
        meta, bare = found
        head = self._rev(bare, q.get("sha", meta.default_branch))
        if head is None:
            return 404, j.error("Not Found"), {}
        per_page, page = min(int(q.get("per_page", 30)), 100), int(q.get("page", 1))
        total = int(self._git(bare, "rev-list", "--count", head))
        shas = self._git(bare, "rev-list", f"--max-count={per_page}",
                         f"--skip={(page - 1) * per_page}", head).split()  # fmt: skip
        last = max(1, -(-total // per_page))
        link = f"{self.url}/repos/{meta.full_name}/commits?sha={head}&per_page={per_page}&page="
        rels = ([f'<{link}{page + 1}>; rel="next"', f'<{link}{last}>; rel="last"']
                if page < last else [])  # fmt: skip
        data = [j.commit(self.url, meta.full_name, c) for s in shas if (c := self._commit(bare, s))]
        return 200, data, {"link": ", ".join(rels)} if rels else {}

    def _merge(self, m: re.Match[str], q: dict[str, str], b: dict[str, Any]) -> Answer:
        found = self._repo(m)
        if not found:
            return 404, j.error("Not Found"), {}
        meta, bare = found
        base, head = self._rev(bare, f"refs/heads/{b['base']}"), self._rev(bare, b["head"])
        if base is None or head is None:
            return (
                404,
                j.error("Base does not exist" if base is None else "Head does not exist"),
                {},
            )
        if self._ok(bare, "merge-base", "--is-ancestor", head, base):
            return 204, None, {}
        tree = self._git(bare, "merge-tree", "--write-tree", base, head, check=False)
        if not re.fullmatch(r"[0-9a-f]{40}", tree):
            return 409, j.error("Merge conflict"), {}
        message = b.get("commit_message") or f"Merge {b['head']} into {b['base']}"
        sha = self._git(bare, "commit-tree", tree, "-p", base, "-p", head, "-F", "-",
                        stdin=message.encode())  # fmt: skip
        self._git(bare, "update-ref", f"refs/heads/{b['base']}", sha, base)
        c = self._commit(bare, sha)
        return 201, j.commit(self.url, meta.full_name, c), {}  # type: ignore[arg-type]

    def _tarball(self, m: re.Match[str], q: dict[str, str], b: dict[str, Any]) -> Answer:
        found = self._repo(m)
        sha = found and self._rev(found[1], m["ref"])
        if not found or not sha:
            return 404, j.error("Not Found"), {}
        location = f"{self.url}/_codeload/{found[0].full_name}/tar.gz/{sha}"
        return 302, None, {"location": location}

    def _codeload(self, m: re.Match[str], q: dict[str, str], b: dict[str, Any]) -> Answer:
        found = self._repo(m)
        if not found:
            return 404, j.error("Not Found"), {}
        meta, bare = found
        prefix = f"{meta.owner}-{meta.name}-{m['sha'][:7]}/"
        tar = subprocess.run(["git", "--git-dir", str(bare), "archive", "--format=tar",
                              f"--prefix={prefix}", m["sha"]], capture_output=True, env=GIT_ENV,
                             check=True).stdout  # fmt: skip
        return 200, gzip.compress(tar), {}
