"""The prompt registry: defaults declared in code, versions edited per workspace in the database.

A prompt has a system part and a user template with `{{ name }}` placeholders; the variables are
declared, and rendering with a missing or an undeclared variable is an error (a typo in a
feature must fail loudly in tests, not send "{{ nmae }}" to a model).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


class PromptError(ValueError):
    """A prompt that cannot be rendered: unknown key, missing or undeclared variables."""


@dataclass(frozen=True)
class PromptTest:
    """A code-declared test case (workspaces add their own as PromptTestCase rows)."""

    name: str
    variables: dict[str, Any]
    must_contain: tuple[str, ...] = ()
    must_not_contain: tuple[str, ...] = ()
    max_chars: int | None = None


@dataclass(frozen=True)
class PromptSpec:
    """A prompt's code default. `revision` is bumped when the default text changes, so usage
    rows tell "default-r2" from "default-r1"."""

    key: str
    feature: str
    template: str
    variables: tuple[str, ...]
    system: str = ""
    revision: int = 1
    description: str = ""
    tests: tuple[PromptTest, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        prompt_check(system=self.system, template=self.template, variables=self.variables)


@dataclass(frozen=True)
class ResolvedPrompt:
    """The prompt a call uses: the workspace's active version or the code default."""

    key: str
    feature: str
    system: str
    template: str
    variables: tuple[str, ...]
    version_label: str  # "v3" or "default-r1"
    prompt_id: int | None = None


@dataclass(frozen=True)
class RenderedPrompt:
    prompt: ResolvedPrompt
    system: str
    user: str


_SPECS: dict[str, PromptSpec] = {}


def prompt_register(spec: PromptSpec) -> PromptSpec:
    """Declare a prompt's code default (call at import time of the feature's module)."""
    existing = _SPECS.get(spec.key)
    if existing is not None and existing != spec:
        raise PromptError(f"Prompt {spec.key!r} is already registered with another definition.")
    _SPECS[spec.key] = spec
    return spec


def prompt_spec(key: str) -> PromptSpec:
    try:
        return _SPECS[key]
    except KeyError:
        raise PromptError(f"Unknown prompt {key!r}; register a PromptSpec for it.") from None


def prompt_specs() -> list[PromptSpec]:
    return sorted(_SPECS.values(), key=lambda s: s.key)


def placeholders(*texts: str) -> set[str]:
    return {m.group(1) for text in texts for m in PLACEHOLDER.finditer(text)}


def prompt_check(*, system: str, template: str, variables: tuple[str, ...] | list[str]) -> None:
    """The placeholders used must be exactly the declared variables."""
    used, declared = placeholders(system, template), set(variables)
    if len(declared) != len(variables):
        raise PromptError("A variable is declared twice.")
    if undeclared := used - declared:
        raise PromptError(
            f"Placeholders not declared as variables: {', '.join(sorted(undeclared))}"
        )
    if unused := declared - used:
        raise PromptError(f"Declared variables not used in the prompt: {', '.join(sorted(unused))}")


def _fill(text: str, values: Mapping[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def prompt_render(prompt: ResolvedPrompt, variables: Mapping[str, Any]) -> RenderedPrompt:
    given, declared = set(variables), set(prompt.variables)
    if missing := declared - given:
        raise PromptError(
            f"Prompt {prompt.key} {prompt.version_label}: missing variables "
            f"{', '.join(sorted(missing))}"
        )
    if extra := given - declared:
        raise PromptError(
            f"Prompt {prompt.key} {prompt.version_label}: undeclared variables "
            f"{', '.join(sorted(extra))}"
        )
    values = {k: "" if v is None else str(v) for k, v in variables.items()}
    return RenderedPrompt(
        prompt=prompt, system=_fill(prompt.system, values), user=_fill(prompt.template, values)
    )


def prompt_resolve(key: str) -> ResolvedPrompt:
    """The workspace's active version of `key`, else the code default."""
    from .models import Prompt

    prompt_spec(key)  # an unknown key fails before the query
    return prompt_resolve_from(key, row=Prompt.objects.filter(key=key, is_active=True).first())


def prompt_resolve_from(key: str, *, row: Any) -> ResolvedPrompt:
    """`key` with `row` as its active version (None: the code default). The gateway passes the
    row from its cached config snapshot."""
    spec = prompt_spec(key)
    if row is None:
        return ResolvedPrompt(
            key=key,
            feature=spec.feature,
            system=spec.system,
            template=spec.template,
            variables=tuple(spec.variables),
            version_label=f"default-r{spec.revision}",
        )
    return ResolvedPrompt(
        key=key,
        feature=spec.feature,
        system=row.system,
        template=row.template,
        variables=tuple(row.variables),
        version_label=f"v{row.version}",
        prompt_id=row.pk,
    )
