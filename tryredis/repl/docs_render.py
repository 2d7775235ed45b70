"""``COMMAND DOCS`` replies made into help entries: (group, summary, syntax, since) by name.

Used by ``tools/gen_command_docs.py`` (which writes ``command_docs.py``) and by the
engine, which reads the connected server's own docs at start-up (``server.py``).
The syntax line is rendered the way redis.io renders a command's argument tree
(``[NX | XX]``, ``<AND | OR>``, ``key [key ...]``).
"""

from __future__ import annotations

from typing import Any

Docs = dict[str, tuple[str, str, str, str]]


def text_tree(value: Any) -> Any:
    """Decode a reply tree: bytes become str, RESP3 maps stay dicts."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, list):
        return [text_tree(item) for item in value]
    if isinstance(value, dict):
        return {text_tree(k): text_tree(v) for k, v in value.items()}
    return value


def pairs(value: list[Any] | dict[str, Any]) -> dict[str, Any]:
    """A map reply as a dict, whether RESP3 (a dict) or RESP2 (``[k1, v1, k2, v2 ...]``)."""
    if isinstance(value, dict):
        return value
    return {value[i]: value[i + 1] for i in range(0, len(value) - 1, 2)}


def render_argument(arg: dict[str, Any]) -> str:
    """One argument of COMMAND DOCS as redis.io prints it."""
    kind = arg["type"]
    flags = arg.get("flags", [])
    optional, token = "optional" in flags, arg.get("token")
    children = [pairs(child) for child in arg.get("arguments", [])]
    if kind == "block":
        body = " ".join(render_argument(child) for child in children)
    elif kind == "oneof":
        body = " | ".join(render_argument(child) for child in children)
    elif kind == "pure-token":
        body = ""
    else:
        body = arg["name"]
    text = "[" if optional else ""
    if token is not None:
        token = token or '""'  # MIGRATE's "empty string instead of a key"
        text += token + ("" if kind == "pure-token" else " ")
    text += f"<{body}>" if kind == "oneof" and not optional else body
    if "multiple" in flags:
        text += f" [{token} {body} ...]" if "multiple_token" in flags else f" [{body} ...]"
    return text + ("]" if optional else "")


def render_syntax(name: str, doc: dict[str, Any]) -> str:
    """The one-line syntax of a command or subcommand (``OBJECT ENCODING key``)."""
    words = [name.upper().replace("|", " ")]
    if "subcommands" in doc:
        words.append("subcommand [argument ...]")
    words += [render_argument(pairs(arg)) for arg in doc.get("arguments", [])]
    return " ".join(words)


def docs_from_reply(reply: Any) -> Docs:
    """Every command and subcommand of a ``COMMAND DOCS`` reply, sorted by name."""
    docs: Docs = {}

    def add(name: str, doc: dict[str, Any]) -> None:
        summary = " ".join(str(doc.get("summary", "")).split())
        group, since = str(doc.get("group", "")), str(doc.get("since", ""))
        docs[name] = (group, summary, render_syntax(name, doc), since)
        for sub_name, sub_doc in pairs(doc.get("subcommands", [])).items():
            add(sub_name, pairs(sub_doc))

    for name, doc in pairs(text_tree(reply)).items():
        add(name, pairs(doc))
    return dict(sorted(docs.items()))
